"""What the native and paramiko single-host clients share.

Subclasses supply the transport (connect, authenticate, open channels, read);
this base holds the constructor's common state, command wrapping, the
``read_output_buffer`` helper and the host logger.
"""

from __future__ import annotations

import functools
import getpass
import logging
import shlex
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from .._retry import RetryPolicy
from ..constants import DEFAULT_RETRIES, RETRY_DELAY

logger = logging.getLogger("pssh.clients")
host_logger = logging.getLogger("pssh.host_logger")
T = TypeVar("T")


def make_command(
    command: str, sudo: bool = False, user: str | None = None, shell: str | None = None
) -> str:
    """Wrap ``command`` for the remote side.

    The command runs under ``shell`` (default ``$SHELL -c``, the login
    user's shell) and, with ``sudo`` or ``user``, under ``sudo -S`` (reading a
    password from stdin if sudo asks for one). The command is quoted for the
    shell, so it needs no escaping of its own.

    :rtype: str
    """
    if not isinstance(command, str):
        raise TypeError("command must be a string, got %r" % (type(command).__name__,))
    wrapped = "%s %s" % (shell or "$SHELL -c", shlex.quote(command))
    if user:
        return "sudo -u %s -S %s" % (shlex.quote(user), wrapped)
    if sudo:
        return "sudo -S %s" % (wrapped,)
    return wrapped


class Holders:
    """Calls ``on_dropped`` once every object given to :meth:`hold` (a
    command's output generators and stdin, as handed to the user) has been
    garbage collected: the user dropped the command's output, so its
    channel can be closed. The objects themselves are watched, not what they
    hold: a generator ended by a read timeout is still held by its owner,
    who may ask for fresh generators resuming its output."""

    __slots__ = ("_count", "_callback", "__weakref__")

    def __init__(self, on_dropped: Callable[[], Any]) -> None:
        self._count = 0
        self._callback: Callable[[], Any] | None = on_dropped

    def hold(self, obj: Any) -> Any:
        """Watch ``obj``; returns it."""
        self._count += 1
        weakref.finalize(obj, self._gone)
        return obj

    def _gone(self) -> None:
        self._count -= 1
        if self._count <= 0 and self._callback is not None:
            callback, self._callback = self._callback, None
            callback()


def host_logging() -> bool:
    """Whether lines of output are logged to ``pssh.host_logger`` (at ``INFO``); asked once
    per generator, so that the line loops do not ask per line."""
    return host_logger.isEnabledFor(logging.INFO)


def logged_lines(host: str, lines: Iterable[T], prefix: str = "") -> Iterator[T]:
    """``lines``, each logged to ``pssh.host_logger`` as ``[host]<prefix>\\t<line>`` as it
    is handed out: the one place both clients log output lines."""
    info = host_logger.info
    for line in lines:
        info("[%s]%s\t%s", host, prefix, line)
        yield line


def delegate(part: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """A client method running ``method`` on the client's attribute ``part`` (one of the
    objects a client is composed of), with ``method``'s name, signature and docstring: the
    documented API stays on the client, the work is done by the part."""

    @functools.wraps(method)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        return method(getattr(self, part), *args, **kwargs)

    return call


def default_user() -> str:
    """The logged in user's name."""
    return getpass.getuser()


class BaseSSHClient:
    """State and helpers common to every single-host client."""

    def __init__(
        self,
        host: str,
        user: str | None = None,
        password: str | None = None,
        port: int | None = None,
        pkey: Any = None,
        num_retries: int = DEFAULT_RETRIES,
        retry_delay: float = RETRY_DELAY,
        allow_agent: bool = True,
        timeout: float | None = None,
        forward_ssh_agent: bool = False,
        proxy_host: str | None = None,
    ) -> None:
        if not isinstance(host, str) or not host:
            raise TypeError("host must be a non-empty string, got %r" % (host,))
        self.host = host
        self.user = user or default_user()
        self.password = password
        self.port = int(port) if port else 22
        self.pkey = pkey
        self.num_retries = num_retries
        self.retry_delay = retry_delay
        self.retry = RetryPolicy.from_args(num_retries, retry_delay)
        self.allow_agent = allow_agent
        self.timeout = timeout
        self.forward_ssh_agent = forward_ssh_agent
        self.proxy_host = proxy_host

    def __repr__(self) -> str:
        return "<%s %s@%s:%s>" % (type(self).__name__, self.user, self.host, self.port)

    def read_output_buffer(
        self,
        output_buffer: Iterable[Any],
        prefix: str | None = None,
        callback: Callable[..., Any] | None = None,
        callback_args: tuple[Any, ...] | None = None,
        encoding: str = "utf-8",
    ) -> Iterator[str]:
        """Read from output buffers and log to ``host_logger``.

        :param output_buffer: Iterator containing buffer
        :type output_buffer: :py:class:`~collections.abc.Iterator`
        :param prefix: String to prefix log output to ``host_logger`` with
        :type prefix: str
        :param callback: Function to call back once buffer is depleted:
        :type callback: :py:class:`~collections.abc.Callable`
        :param callback_args: Arguments for call back function
        :type callback_args: tuple
        :param encoding: Encoding of byte lines in the buffer (as
          :py:meth:`~pssh.clients.native.single.SSHClient.read_output` yields
          them, or a file object's lines, whose line ending is dropped). Text
          lines are handed out as they are.
        :type encoding: str
        """
        lines = _text_lines(output_buffer, encoding)
        yield from logged_lines(self.host, lines, prefix or "") if host_logging() else lines
        if callback is not None:
            callback(*(callback_args or ()))


def _text_lines(output_buffer: Iterable[Any], encoding: str) -> Iterator[str]:
    # byte lines decoded, without a file's line ending; text lines as they are
    for line in output_buffer:
        if isinstance(line, (bytes, bytearray)):
            line = line.decode(encoding, "replace")
            if line.endswith("\n"):  # a file's line (paramiko's makefile)
                line = line[:-2] if line.endswith("\r\n") else line[:-1]
        yield line
