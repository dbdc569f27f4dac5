"""The default executor: one fresh local process per shard.

Why not a plain :class:`concurrent.futures.ProcessPoolExecutor`: when one of
its workers dies the whole pool is broken and every unfinished task fails
with it, so one killed worker would fail every shard. Here each shard has its
own process, so a dead worker fails its own shard's hosts only; and the
executor knows its processes, so that it can end them (a shard past its
``shard_timeout``) and tell their ids (:attr:`LocalShardExecutor.pids`).

Processes start with the ``forkserver`` method where the platform has it,
else ``spawn``: never ``fork``, which would copy a process whose gevent hub,
libssh2 sessions or threads are running.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from multiprocessing.connection import wait
from typing import Any


def _default_method() -> str:
    methods = multiprocessing.get_all_start_methods()
    return "forkserver" if "forkserver" in methods else "spawn"


def _child(conn: Any, fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
    try:
        result: tuple[str, Any] = ("ok", fn(*args, **kwargs))
    except BaseException as exc:  # noqa: BLE001 - sent to the caller's future
        result = ("error", exc)
    try:
        conn.send(result)
    except Exception as exc:  # noqa: BLE001 - an unpicklable result or error
        conn.send(("error", RuntimeError("The result could not be sent back: %r" % (exc,))))
    conn.close()


class WorkerDied(RuntimeError):
    """A shard's process ended without sending its result (killed, or
    crashed); ``args`` are ``(message, pid, exitcode)``."""

    def __str__(self) -> str:
        return self.args[0] % self.args[1:]


class LocalShardExecutor(Executor):
    """A :class:`concurrent.futures.Executor` running each submitted call in
    its own new process.

    :param method: the multiprocessing start method, ``'forkserver'`` or
      ``'spawn'`` (default: ``'forkserver'`` where available). ``'fork'`` is
      refused.
    """

    def __init__(self, method: str | None = None) -> None:
        method = method or _default_method()
        if method == "fork":
            raise ValueError("'fork' would copy the caller's gevent hub and sessions: "
                             "use 'forkserver' or 'spawn'")  # fmt: skip
        self._context: Any = multiprocessing.get_context(method)
        self._lock = threading.Lock()
        self._processes: list[Any] = []
        self._running: dict[Future, Any] = {}  # future -> its process, until it ends
        self._shutdown = False

    @property
    def pids(self) -> list[int]:
        """The process ids of the calls submitted so far, in submission
        order (processes that ended included)."""
        with self._lock:
            return [proc.pid for proc in self._processes]

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:  # type: ignore[override]
        """Start a new process calling ``fn`` with the arguments (all must
        pickle) and return the future of its result.

        :rtype: :class:`concurrent.futures.Future`
        """
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            reader, writer = self._context.Pipe(duplex=False)
            proc = self._context.Process(
                target=_child, args=(writer, fn, args, kwargs), daemon=True
            )
            proc.start()
            writer.close()
            self._processes.append(proc)
        future: Future = Future()
        future.set_running_or_notify_cancel()
        with self._lock:
            self._running[future] = proc
        threading.Thread(
            target=self._collect, args=(proc, reader, future), daemon=True,
            name="pssh-shard-%s" % proc.pid,
        ).start()  # fmt: skip
        return future

    def _collect(self, proc: Any, reader: Any, future: Future) -> None:
        message = None
        try:
            wait([reader, proc.sentinel])  # the result, or the process's end
            if reader.poll():
                message = reader.recv()
        except (EOFError, OSError):
            message = None
        finally:
            reader.close()
        proc.join()
        with self._lock:
            self._running.pop(future, None)
        if message is None:
            future.set_exception(WorkerDied(
                "Worker process %s ended without a result (exit code %s)", proc.pid,
                proc.exitcode,
            ))  # fmt: skip
        elif message[0] == "ok":
            future.set_result(message[1])
        else:
            future.set_exception(message[1])

    def kill(self, future: Future) -> None:
        """Kill the process running the call behind ``future`` (returned by
        :meth:`submit`), if it still runs; the future then fails with
        :class:`WorkerDied`."""
        with self._lock:
            proc = self._running.get(future)
        if proc is not None and proc.is_alive():
            proc.kill()

    def terminate(self) -> None:
        """Kill every process still running (their futures then fail with
        :class:`WorkerDied`)."""
        with self._lock:
            running = [proc for proc in self._processes if proc.is_alive()]
        for proc in running:
            proc.kill()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """No new calls; with ``wait``, wait for the running ones to end."""
        with self._lock:
            self._shutdown = True
            processes = list(self._processes)
        if cancel_futures:
            self.terminate()
        if wait:
            for proc in processes:
                proc.join()
