"""Interactive shells on every host (parallel-ssh 2.x's ``open_shell``,
``run_shell_commands`` and ``join_shells``), in parallel."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import gevent
import gevent.pool

from ..exceptions import Timeout
from ._shell import InteractiveShell
from ._tasks import Failed, command_task, run_for_host

logger = logging.getLogger("pssh.clients")


class ParallelShells:
    """Opens, feeds and joins the shells of one parallel client.

    :param pool: the client's pool (its size bounds the shells being opened)
    :param get_client: ``get_client(host, index)``: the host's connected client
    :param hosts: the client's hosts now
    :param timeout: the client's ``timeout`` now (the default of
      :meth:`join`)
    """

    def __init__(
        self,
        pool: gevent.pool.Pool,
        get_client: Callable[[str, int], Any],
        hosts: Callable[[], list[str]],
        timeout: Callable[[], float | None],
    ) -> None:
        self._pool = pool
        self._get_client = get_client
        self._hosts = hosts
        self._timeout = timeout

    def open(
        self, encoding: str, read_timeout: float | None, stop_on_errors: bool
    ) -> list[InteractiveShell]:
        """``open_shell`` of the parallel clients (see theirs)."""
        "".encode(encoding)  # an unknown codec fails here, on no host
        hosts = self._hosts()
        tasks = [
            self._pool.spawn(command_task, host, self._open_one, host, i, encoding, read_timeout)
            for i, host in enumerate(hosts)
        ]
        gevent.joinall(tasks)
        shells: list[InteractiveShell] = []
        failure: BaseException | None = None
        for host, task in zip(hosts, tasks):
            result = task.get()
            if isinstance(result, Failed):
                failure = failure or result.exception
                result = InteractiveShell(
                    None, None, None, None, None, encoding, host=host, exception=result.exception
                )
            shells.append(result)
        if failure is not None and stop_on_errors:
            self._close_quietly([shell for shell in shells if not shell.closed])
            raise failure
        return shells

    def _open_one(self, host: str, index: int, encoding: str, read_timeout: float | None) -> Any:
        client = self._get_client(host, index)
        return client.open_shell(encoding=encoding, read_timeout=read_timeout)

    def _close_quietly(self, shells: list[InteractiveShell]) -> None:
        # shells nobody will use (another host failed): end them, errors only logged
        def close(shell: InteractiveShell) -> None:
            try:
                shell.close(timeout=self._timeout() or 10)
            except Exception as exc:
                logger.debug("Could not close the shell on %s: %s", shell.host, exc)

        gevent.joinall([gevent.spawn(close, shell) for shell in shells])

    @staticmethod
    def run(shells: list[InteractiveShell], commands: Any) -> None:
        """``run_shell_commands`` of the parallel clients (see theirs)."""
        tasks = [
            gevent.spawn(run_for_host, shell.host, shell.run_all, commands)
            for shell in shells
            if shell.output.exception is None
        ]
        gevent.joinall(tasks)
        for task in tasks:
            if task.exception is not None:
                raise task.exception

    def join(self, shells: list[InteractiveShell], timeout: float | None) -> None:
        """``join_shells`` of the parallel clients (see theirs)."""
        wait = self._timeout() if timeout is None else timeout
        todo = [shell for shell in shells if shell.output.exception is None]
        tasks = [
            gevent.spawn(run_for_host, shell.host, shell.close, timeout=wait) for shell in todo
        ]
        gevent.joinall(tasks)
        unfinished = [
            shell for shell, task in zip(todo, tasks) if isinstance(task.exception, Timeout)
        ]
        if unfinished:
            finished = [shell for shell in todo if shell.closed]
            exc = Timeout(
                "Shells still running after %s seconds - finished: %s, unfinished: %s",
                wait, finished, unfinished,
                host=unfinished[0].host if len(unfinished) == 1 else None,
            )  # fmt: skip
            exc.finished_shells = finished  # type: ignore[attr-defined]
            exc.unfinished_shells = unfinished  # type: ignore[attr-defined]
            raise exc
        for task in tasks:
            if task.exception is not None:
                raise task.exception
