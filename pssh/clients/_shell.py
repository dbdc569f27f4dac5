"""Interactive shells, for both client families (the parallel-ssh 2.x API).

An :class:`InteractiveShell` is one remote login shell on one channel: each
:meth:`~InteractiveShell.run` writes a command line to the shell's standard input, so the
commands run in order in one process and share its state (working folder, variables,
functions). :meth:`~InteractiveShell.close` ends the shell's input and waits for it to exit;
its exit code is then the last command's. Output is read as for ``run_command``: the same
line generators, read timeout and memory bound per line, with every command's lines in one
stream.

Each client family opens the channel and makes its output streams in its own module
(``pssh.clients.native._shell``, ``pssh.clients.miko._shell``); what this module
needs of the single-host client is :class:`ShellClient`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from ..exceptions import PSSHError, ShellError
from ..output import HostOutput


class ShellClient(Protocol):
    """What an :class:`InteractiveShell` uses of the single-host client that opened it."""

    host: str

    def wait_finished(self, channel: Any, timeout: float | None = None) -> None:
        """Wait (at most ``timeout`` seconds) for the shell to exit; close its channel.
        Output not read yet is kept for the output generators."""

    def get_exit_status(self, channel: Any) -> int | None:
        """The shell's exit status, ``None`` while it runs."""

    def finished(self, channel: Any) -> bool:
        """Whether the shell has exited, without waiting (output that arrived is kept)."""


class InteractiveShell:
    """Run commands on an interactive shell, in order, sharing its state.

    Use as a context manager (``with client.open_shell() as shell``) to close the shell,
    waiting for its commands to finish, when the block ends. Read ``stdout`` and ``stderr``
    after it closed: before, reading waits for output until the shell exits (or
    ``read_timeout`` passes without output, raising :py:class:`pssh.exceptions.Timeout`).

    Made by ``open_shell`` of the clients, not by users.

    :param client: The single-host client whose channel the shell runs on.
    :param channel: The channel the shell runs on; ``None`` for a shell that could not be
      opened (a parallel client's ``open_shell(stop_on_errors=False)``): its
      ``output.exception`` says why.
    :param stdout: Line generator of the shell's standard output (as ``run_command``).
    :param stderr: Line generator of its standard error.
    :param stdin: Its standard input (``write``, ``flush``, ``close``).
    :param encoding: Codec of the commands written and of the output read.
    :param host: The host name (defaults to ``client.host``).
    :param exception: Why the shell could not be opened, if it was not.
    """

    def __init__(
        self,
        client: ShellClient | None,
        channel: Any,
        stdout: Any,
        stderr: Any,
        stdin: Any,
        encoding: str = "utf-8",
        *,
        host: str | None = None,
        exception: BaseException | None = None,
    ) -> None:
        self.client = client
        self.channel = channel
        self.encoding = encoding
        self.host = host if host is not None else getattr(client, "host", "")
        self.output = HostOutput(self.host, None, channel, stdout, stderr, stdin)
        """The shell's :py:class:`pssh.output.HostOutput`: every command's output."""
        self.output.exception = exception
        self.closed = channel is None
        """Whether the shell has exited and its channel is closed (no more commands)."""
        self._eof_sent = channel is None

    @property
    def stdout(self) -> Any:
        """``self.output.stdout``"""
        return self.output.stdout

    @property
    def stderr(self) -> Any:
        """``self.output.stderr``"""
        return self.output.stderr

    @property
    def stdin(self) -> Any:
        """``self.output.stdin``: the shell's standard input."""
        return self.output.stdin

    @property
    def exit_code(self) -> int | None:
        """Exit code of the shell, which is the last command's: ``None`` until it has
        exited (see :meth:`close`)."""
        return self.output.exit_code

    def run(self, cmd: str) -> None:
        """Run ``cmd`` on the shell: written to its input with a new line appended. It
        runs after the commands given before, in the same shell process.

        :param cmd: The command line (several lines are run one after the other).
        :type cmd: str
        :raises: :py:class:`pssh.exceptions.ShellError` naming the host when the shell has
          been closed, its input ended, it exited (``exit`` ran) or it could not be opened.
        """
        if self._eof_sent:
            raise ShellError(
                "Shell on host %s is closed: it cannot run %r", self.host, cmd, host=self.host
            )
        if self._exited():
            raise self._exited_error(cmd)
        try:
            self.output.stdin.write((cmd + "\n").encode(self.encoding))
        except PSSHError as exc:
            if self._exited():  # it ended while we wrote: say so, not "connection lost"
                raise self._exited_error(cmd) from exc
            raise

    def _exited(self) -> bool:
        try:
            return self.client is not None and self.client.finished(self.channel)
        except PSSHError:  # the connection is gone: writing says so
            return False

    def _exited_error(self, cmd: str) -> ShellError:
        return ShellError(
            "Shell on host %s has exited: it cannot run %r", self.host, cmd, host=self.host
        )

    def run_all(self, commands: str | Iterable[str]) -> None:
        """:meth:`run` one command (a string) or each of ``commands`` in order."""
        for cmd in [commands] if isinstance(commands, str) else commands:
            self.run(cmd)

    def close(self, timeout: float | None = None) -> None:
        """End the shell's input, wait for it to exit (its commands to finish) and close its
        channel; its exit code (the last command's) is then known, and its output can be
        read to the end without waiting. Closing a closed shell does nothing.

        :param timeout: (Optional, keyword) Seconds to wait at most; ``None`` waits as long
          as the commands run.
        :raises: :py:class:`pssh.exceptions.Timeout` when the shell is still running after
          ``timeout`` seconds (it keeps running: close it again to wait more).
        """
        if self.closed:
            return
        if not self._eof_sent:
            self._eof_sent = True
            self.output.stdin.close()
        client = self.client
        assert client is not None
        client.wait_finished(self.channel, timeout)
        self.output.exit_code = client.get_exit_status(self.channel)
        self.closed = True

    def __enter__(self) -> InteractiveShell:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return "<InteractiveShell on %s (%s)>" % (self.host, state)


__all__ = ["InteractiveShell", "ShellClient"]
