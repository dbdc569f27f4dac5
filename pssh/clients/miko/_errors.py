"""Translation of paramiko and socket errors into :mod:`pssh.exceptions`.

:func:`classify` says which kind of failure
(:class:`~pssh.clients._failures.Failure`) a paramiko error is; the table
shared with the native client decides the exception. One context manager,
:func:`map_errors`, is used around each step of the paramiko client, so that
what leaves it is the same documented exception class the native client
raises, naming the host. The original error is kept as ``__cause__``.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

import paramiko

from ...exceptions import PSSHError
from .._copy import local_errors
from .._failures import Failure, describe, exception_for

_MISSING = (errno.ENOENT,)
_DENIED = (errno.EACCES, errno.EPERM)


def is_local(exc: BaseException) -> bool:
    """Whether ``exc`` is an error of a local file: pssh's local file code
    (:func:`pssh.clients._copy.local_errors`) gives those the host."""
    return isinstance(exc, OSError) and getattr(exc, "host", None) is not None


def _timed_out(exc: BaseException) -> bool:
    # paramiko raises SSHException("Error reading SSH protocol banner") while
    # handling the socket timeout of a server that never answers
    seen = exc.__cause__ or exc.__context__
    return isinstance(seen, (socket.timeout, TimeoutError))


def classify(exc: BaseException, sftp: bool = False) -> Failure | None:
    """The kind of failure a paramiko/socket error is, or ``None`` for one
    that is raised as it is (a local file's error).

    :param sftp: Inside an SFTP operation: an ``OSError`` there is the
      server's answer about a remote path.
    """
    if isinstance(exc, paramiko.AuthenticationException):
        return Failure.AUTH
    if isinstance(exc, paramiko.BadHostKeyException):
        return Failure.HOST_KEY_MISMATCH
    if isinstance(exc, paramiko.SFTPError):
        return Failure.SFTP
    if isinstance(exc, paramiko.ChannelException):
        return Failure.CHANNEL
    if isinstance(exc, EOFError):
        return Failure.CONNECTION_LOST
    if isinstance(exc, paramiko.SSHException):
        return Failure.CONNECT_TIMEOUT if _timed_out(exc) else Failure.PROTOCOL
    if isinstance(exc, socket.gaierror):
        return Failure.UNKNOWN_NAME
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return Failure.CONNECT_TIMEOUT
    if is_local(exc):
        return None
    if isinstance(exc, OSError):
        if not sftp:
            return Failure.CONNECTION_LOST
        if exc.errno in _MISSING:
            return Failure.REMOTE_MISSING
        return Failure.REMOTE_DENIED if exc.errno in _DENIED else Failure.REMOTE_IO
    return None


_NO_PORT = (Failure.HOST_KEY_MISMATCH, Failure.UNKNOWN_NAME)


@contextmanager
def map_errors(host: str, what: str, sftp: bool = False, port: int | None = None) -> Iterator[None]:
    """Raise paramiko/socket errors met while doing ``what`` on ``host`` as the
    :mod:`pssh.exceptions` class :data:`pssh.clients._failures.TABLE` gives
    their kind, carrying the host (the original is the ``__cause__``).

    :param host: Host the operation is for; set as the exceptions' ``host``.
    :param what: What was being done, for the message ("connecting", ...).
    :param sftp: Inside an SFTP operation: remote I/O errors become
      :py:class:`pssh.exceptions.SFTPIOError`, other SFTP protocol errors
      :py:class:`pssh.exceptions.SFTPError`.
    :param port: The host's port: given while connecting, so that the
      exceptions have the 1.8.0 ``args`` ``(message, host, port, cause)``.
    """
    try:
        yield
    except PSSHError:
        raise
    except Exception as exc:
        kind = classify(exc, sftp=sftp)
        if kind is None:
            raise
        where = None if kind in _NO_PORT else port
        raise exception_for(kind, host, _cause(exc, kind), port=where, what=what) from exc


def _cause(exc: BaseException, kind: Failure) -> str:
    # a resolver's message is its own text ("[Errno -2] Name or service not known")
    return str(exc) if kind is Failure.UNKNOWN_NAME else describe(exc)


def connection_lost(channel: Any) -> EOFError | None:
    """The error to report when ``channel``'s output ended because its
    connection died (the server sent no end of file and the transport is
    down), else ``None``: paramiko ends such a stream as if the command had
    finished, which would lose the failure."""
    if channel is None or channel.eof_received:
        return None
    transport = channel.get_transport()
    if transport is not None and transport.is_active():
        return None
    return EOFError("the connection closed before the command ended")


class LocalWrites:
    """The local file a download writes to, whose write errors are marked as
    local (naming the host) so that :func:`map_errors` lets them through as
    the :class:`OSError` they are instead of taking them for the server's."""

    def __init__(self, fh: BinaryIO, host: str) -> None:
        self._fh = fh
        self._host = host

    def write(self, data: bytes) -> int:
        """Write ``data`` to the local file."""
        with local_errors(self._host, "writing local file"):
            return self._fh.write(data)


@contextmanager
def map_proxy_errors(
    host: str, proxy_host: str, proxy_port: int, port: int | None = None
) -> Iterator[None]:
    """Any failure to reach ``host`` through the proxy, including failing to
    reach the proxy itself, as :py:class:`pssh.exceptions.ProxyError` naming
    ``host`` (the original error is the ``__cause__``) - except a timeout,
    which stays a :py:class:`pssh.exceptions.Timeout` (1.8.0 code catches
    that), now naming ``host`` and saying it happened on the way through the
    proxy."""
    try:
        yield
    except (PSSHError, paramiko.SSHException, OSError, EOFError) as exc:
        cause = exc if isinstance(exc, PSSHError) else describe(exc)
        if isinstance(exc, (TimeoutError, socket.timeout)):
            through = "through proxy %s:%s: %s" % (proxy_host, proxy_port, cause)
            raise exception_for(Failure.UNREACHABLE, host, through, port=port) from exc
        raise exception_for(
            Failure.PROXY_DOWN, host, cause, proxy_host=proxy_host, proxy_port=proxy_port
        ) from exc
