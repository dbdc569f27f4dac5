"""``ProxyCommand`` from the OpenSSH client configuration, for both clients.

Like ``ssh``, the command is run as ``exec COMMAND`` by the user's shell
(``$SHELL -c``, else ``/bin/sh``), with the tokens ``%h`` (the host name
connected to), ``%n`` (the host as given), ``%p`` (port), ``%r`` (remote
user) and ``%%`` expanded; its standard input and output become the
connection: the client gets one end of a socket pair as its socket (the
native client's "a connected socket", paramiko's ``sock=``). Its standard
error is passed through, as ``ssh`` does.

Why a shell: the command comes from the user's own configuration, and real
ones use shell syntax (``2>/dev/null``, ``$VAR``, pipes) that ``ssh`` gives
them; running it any other way would break them. What ssh does *not*
guard against, and this does: the token values come from host lists (an
inventory file, a command line) rather than from the configuration, so a
value containing anything but letters, digits and ``@%+=:,./-_`` (or
starting with ``-``, which would be read as an option) is refused: a host
named ``x;rm -rf ~`` cannot become a shell command, and ``-oProxyCommand=...``
cannot become an option of the proxy program.

The child is stopped (``SIGTERM``, then ``SIGKILL``) and reaped by its pid
when the client disconnects or a connection attempt fails. A command that
exits before the SSH connection is made is reported as
:class:`~pssh.exceptions.ConnectionErrorException` naming the host, the
command and its exit status.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any, Optional

from gevent import socket, subprocess

from ..exceptions import AuthenticationException, ConnectionErrorException, HostKeyError

logger = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^\w@%+=:,./-]", re.ASCII)
_TOKEN = re.compile(r"%(.?)", re.DOTALL)
STOP_WAIT = 2.0  # seconds a stopped command gets to exit before SIGKILL
EXIT_WAIT = 1.0  # seconds to wait, after a failed handshake, for the command to exit


def expand(template: str, host: str, hostname: str, port: int, user: str) -> str:
    """``template`` with ``%h %n %p %r %%`` expanded, as ``ssh`` does for
    ``ProxyCommand``.

    :param host: The host as the user named it (``%n``).
    :param hostname: The host name connected to (``%h``, ``HostName``).
    :raises ValueError: For an unknown token, or a value that is not safe to
      hand to a shell (see the module docstring).
    :rtype: str
    """
    tokens = {"h": hostname, "n": host, "p": str(port), "r": user}
    for key, value in tokens.items():
        if not value or _UNSAFE.search(value) or value.startswith("-"):
            raise ValueError(f"%{key} value {value!r} is not safe in a ProxyCommand")

    def repl(match: re.Match[str]) -> str:
        key = match.group(1)
        if key == "%":
            return "%"
        if key not in tokens:
            raise ValueError(f"unknown token %{key} in ProxyCommand {template!r}")
        return tokens[key]

    return _TOKEN.sub(repl, template)


class ProxyCommand:
    """The ``ProxyCommand`` of one client: one child process per connection
    attempt (see the module docstring).

    :param host: The host as the user named it (exceptions carry it).
    :param template: The raw ``ProxyCommand`` text.
    :param hostname: The host name connected to.
    :param port: The port connected to.
    :param user: The remote user.
    :raises: :py:class:`pssh.exceptions.ConnectionErrorException` for a
      command that cannot be expanded safely.
    """

    def __init__(self, host: str, template: str, hostname: str, port: int, user: str) -> None:
        self.host = host
        try:
            self.command = expand(template, host, hostname, port, user)
        except ValueError as exc:
            raise ConnectionErrorException(
                "Cannot use the ProxyCommand for host %s - %s", host, exc, host=host
            ) from None
        self.proc: Any = None

    def __repr__(self) -> str:
        pid = self.proc.pid if self.proc is not None else None
        return f"<ProxyCommand {self.host} pid={pid} {self.command!r}>"

    def open(self) -> Any:
        """Start the command; the connected socket for the client.

        :raises: :py:class:`pssh.exceptions.ConnectionErrorException` if it
          cannot be started.
        """
        self.stop()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        shell = os.environ.get("SHELL") or "/bin/sh"
        try:
            self.proc = subprocess.Popen(
                [shell, "-c", "exec " + self.command],
                stdin=theirs.fileno(), stdout=theirs.fileno(), close_fds=True,
            )  # fmt: skip
        except OSError as exc:
            ours.close()
            raise ConnectionErrorException(
                "Cannot start the ProxyCommand for host %s (%s) - %s",
                self.host, self.command, exc.strerror or exc, host=self.host,
            ) from None  # fmt: skip
        finally:
            theirs.close()
        logger.debug("Started ProxyCommand for %s, pid %s: %s", self.host, self.proc.pid,
                     self.command)  # fmt: skip
        return ours

    def failure(self, exc: BaseException) -> Optional[ConnectionErrorException]:
        """After a connection attempt failed with ``exc``: the error to report
        if the command has exited, else ``None`` (the failure was something
        else). Unless ``exc`` shows the connection itself worked (a host key
        or authentication failure), the command gets :data:`EXIT_WAIT`
        seconds to exit: the client may see the end of the stream first."""
        proc = self.proc
        if proc is None or not isinstance(exc, Exception):
            return None
        wait = 0 if isinstance(exc, (AuthenticationException, HostKeyError)) else EXIT_WAIT
        try:
            status = proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            return None
        return ConnectionErrorException(
            "ProxyCommand for host %s exited with status %s before the connection was made "
            "- %s", self.host, status, self.command, host=self.host,
        )  # fmt: skip

    def stop(self) -> None:
        """Stop the running command, if any, and reap it (idempotent)."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            try:
                proc.terminate()
                proc.wait(timeout=STOP_WAIT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            except OSError:
                pass
        logger.debug("ProxyCommand for %s (pid %s) ended: %s", self.host, proc.pid,
                     proc.returncode)  # fmt: skip


__all__ = ["ProxyCommand", "expand"]
