"""Waiting for commands to end, on every client: ``join``, results as hosts
finish (``as_completed``), exit codes, and cancelling the commands still
running. One :class:`Completion` per parallel client; it asks the client
only which single-host client ran an output (``client_of``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import gevent
from gevent.queue import Empty, Queue

from ..exceptions import Timeout
from ..output import HostOutput
from ._tasks import consume, run_for_host, tag_host
from ._watch import ClientOf, set_exit_code

logger = logging.getLogger("pssh.clients")


class CommandsTimeout(Timeout):
    """:py:class:`pssh.exceptions.Timeout` raised by ``join`` and
    ``as_completed`` with commands still running. Its ``args`` are 2.x's:
    ``(message, timeout, finished_output, unfinished_output)`` (lists of
    :py:class:`pssh.output.HostOutput`); its message names the hosts still
    running (the first ten)."""

    def __str__(self) -> str:
        timeout, unfinished = self.args[1], self.args[3]
        names = ", ".join(out.host for out in unfinished[:10])
        more = ", ..." if len(unfinished) > 10 else ""
        return "Commands still running after %s seconds on %s host(s): %s%s" % (
            timeout, len(unfinished), names, more,
        )  # fmt: skip


def still_running(
    timeout: float | None, finished: list[HostOutput], unfinished: list[HostOutput]
) -> CommandsTimeout:
    """The :class:`CommandsTimeout` for ``unfinished`` outputs after ``timeout``."""
    return CommandsTimeout(
        "Timeout of %s sec(s) reached with commands still running",
        timeout,
        finished,
        unfinished,
        host=unfinished[0].host if len(unfinished) == 1 else None,
    )


def has_ended(out: HostOutput) -> bool:
    """Whether ``out``'s command has ended, without waiting."""
    if out._watcher is not None:
        return bool(out._watcher.ready())
    return out.exception is not None or out.channel is None or out.exit_code is not None


def outputs_of(output: Any) -> list[HostOutput]:
    """The host outputs of ``output``: a dict or list as ``run_command``
    returns it."""
    if isinstance(output, dict):
        values = list(output.values())
    elif isinstance(output, (list, tuple)):
        values = list(output)
    else:
        raise TypeError(
            "output must be a dict or list as returned by run_command, got %r" % (output,)
        )
    return [out for out in values if isinstance(out, HostOutput)]


class Completion:
    """Waits for and stops the commands of one parallel client.

    :param client_of: the single-host client that ran an output's command
    :param last_output: the output of the client's last ``run_command``
      (``None`` before the first)
    """

    def __init__(self, client_of: ClientOf, last_output: Callable[[], Any]) -> None:
        self.client_of = client_of
        self._last_output = last_output

    def outputs(self, output: Any) -> list[HostOutput]:
        """The host outputs of ``output``, or of the last run for ``None``."""
        if output is None:
            output = self._last_output()
            if output is None:
                raise ValueError("No output given and no command has been run yet")
        return outputs_of(output)

    def join(
        self,
        output: Any,
        consume_output: bool,
        timeout: float | None,
        cancel_on_timeout: bool,
    ) -> None:
        """``join`` of the parallel clients (see theirs)."""
        outputs = self.outputs(output)
        todo = [
            out
            for out in outputs
            # a watcher (callbacks) is waited for even for a host that failed
            if out._watcher is not None or (out.exception is None and out.channel is not None)
        ]
        watchers = [out._watcher for out in outputs if out._watcher is not None]
        tasks = [
            gevent.spawn(run_for_host, out.host, self._join_host, out, consume_output)
            for out in todo
        ]
        finished = gevent.joinall(tasks, timeout=timeout)
        if len(finished) < len(tasks):
            running = [out for out, task in zip(todo, tasks) if not task.ready()]
            gevent.killall([task for task in tasks if not task.ready()], block=True)
            for out in todo:
                if out._watcher is None:  # a watcher's reading stays as it is
                    self.reset_generators(out)
            if cancel_on_timeout:
                self.cancel(running)
            done = [out for out in outputs if not any(out is r for r in running)]
            raise still_running(timeout, done, running)
        for out in todo:
            if out._watcher is None:
                self.reset_generators(out)
        for task in tasks:
            if task.exception is not None:
                raise task.exception
        for watcher in watchers:  # a failed callback is the caller's error
            if watcher.exception is not None:
                raise watcher.exception

    def _join_host(self, host_out: HostOutput, consume_output: bool) -> None:
        watcher = host_out._watcher
        if watcher is not None:
            # the client reads this output itself (on_line / on_finished)
            watcher.join()
            return
        if consume_output:
            # Both streams at once: a command blocked writing one never
            # finishes the other.
            reader = gevent.spawn(consume, host_out.stderr)
            try:
                consume(host_out.stdout)
                reader.get()
            finally:
                reader.kill()
        set_exit_code(host_out, self.client_of)

    def wait_ended(self, host_out: HostOutput) -> None:
        """Wait until ``host_out``'s command has ended (output not read is
        kept for its generators) and set its exit code; an error waiting
        becomes its ``exception``."""
        watcher = host_out._watcher
        if watcher is not None:
            watcher.join()
            return
        if host_out.exception is not None or host_out.channel is None:
            return
        try:
            set_exit_code(host_out, self.client_of)
        except Exception as exc:
            tag_host(exc, host_out.host)
            host_out.exception = exc

    def as_completed(self, output: Any, timeout: float | None) -> Iterator[HostOutput]:
        """``as_completed`` of the parallel clients (see theirs)."""
        outputs = self.outputs(output)
        queue: Queue = Queue()

        def wait(out: HostOutput) -> None:
            try:
                self.wait_ended(out)
            finally:
                queue.put(out)

        # Those already ended (failed to connect, or finished) come first,
        # in host order; the others as they end.
        ended = [out for out in outputs if has_ended(out)]
        for out in ended:
            queue.put(out)
        waiters = [gevent.spawn(wait, out) for out in outputs if not any(out is e for e in ended)]
        deadline = None if timeout is None else time.monotonic() + timeout
        done: list[HostOutput] = []
        try:
            for _ in outputs:
                remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
                try:
                    out = queue.get(timeout=remaining)
                except Empty:
                    running = [o for o in outputs if not any(o is d for d in done)]
                    raise still_running(timeout, done, running) from None
                done.append(out)
                yield out
        finally:
            gevent.killall([w for w in waiters if not w.ready()], block=True)

    def cancel(self, output: Any, signal: str | None = "TERM", grace: float | None = 5) -> None:
        """``cancel`` of the parallel clients (see theirs)."""
        name = None
        if signal is not None:
            name = str(signal).upper()
            name = name[3:] if name.startswith("SIG") else name
        running = [
            out for out in self.outputs(output)
            if out.exception is None and out.channel is not None and out._exit_code is None
        ]  # fmt: skip
        if name is not None:
            for out in running:
                try:
                    self.client_of(out).send_signal(out.channel, name)
                except Exception as exc:  # the channel still gets closed below
                    logger.debug("Could not send %s to %s: %s", name, out.host, exc)
            waiters = [gevent.spawn(self.wait_ended, out) for out in running]
            gevent.joinall(waiters, timeout=grace)
            gevent.killall([w for w in waiters if not w.ready()], block=True)
        for out in running:
            client = self.client_of(out)
            if client is None or client.finished(out.channel):
                continue
            try:
                client.hang_up(out.channel)
            except Exception as exc:
                logger.debug("Could not close the channel on %s: %s", out.host, exc)
            if out._exit_code is None:
                out.exit_code = client.get_exit_status(out.channel)

    def finished(self, output: dict) -> bool:
        """Whether every command of ``output`` has finished, without waiting."""
        for host_out in output.values():
            if not isinstance(host_out, HostOutput):
                continue
            client = self.client_of(host_out)
            channel = host_out.channel
            if client is not None and channel is not None and not client.finished(channel):
                return False
        return True

    def exit_code(self, host_output: Any) -> int | None:
        """The exit code of ``host_output``'s command if known, else ``None``."""
        if not isinstance(host_output, HostOutput):
            return None
        client = self.client_of(host_output)
        if client is None or host_output.channel is None:
            return None
        return client.get_exit_status(host_output.channel)

    def set_exit_codes(self, output: dict) -> None:
        """Set the exit code of every host output of ``output`` that has one
        now (a code already known stays)."""
        for host_out in output.values():
            code = self.exit_code(host_out)
            if code is not None:
                host_out.exit_code = code

    def reset_generators(
        self,
        host_out: HostOutput,
        timeout: float | None = None,
        client: Any = None,
        channel: Any = None,
        keep_timeout: bool = True,
    ) -> tuple[Any, Any]:
        """New output generators for ``host_out``, resuming where the old ones
        stopped; ``keep_timeout``: with the read timeout the command started
        with (``join``), else ``timeout``."""
        client = client or self.client_of(host_out)
        channel = channel or host_out.channel
        if client is None or channel is None:
            return host_out.stdout, host_out.stderr
        stdout, stderr = client.output_streams(channel, timeout, keep_timeout=keep_timeout)
        host_out.stdout = stdout
        host_out.stderr = stderr
        return stdout, stderr
