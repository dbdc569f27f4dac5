"""Translation of ssh2-python (libssh2) and socket errors into pssh.exceptions.

:func:`classify` says which kind of failure (:class:`~pssh.clients._failures.Failure`)
a library error is; the shared table decides the exception. One context
manager, :func:`map_errors`, used around each transport step, so that what
leaves the native client is a documented exception naming the host.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from ssh2 import exceptions as ssh2_exc

from ...exceptions import PSSHError
from .._failures import Failure, describe, exception_for

_AUTH = (
    ssh2_exc.AuthenticationError,
    ssh2_exc.PublickeyUnverifiedError,
    ssh2_exc.KeyfileAuthFailedError,
    ssh2_exc.PasswordExpiredError,
    ssh2_exc.MethodNotSupported,
    ssh2_exc.AgentError,
    ssh2_exc.FileError,
)
_DISCONNECT = (
    ssh2_exc.SocketDisconnectError,
    ssh2_exc.SocketRecvError,
    ssh2_exc.SocketSendError,
    ssh2_exc.BannerRecvError,
    ssh2_exc.BannerSendError,
    ssh2_exc.SocketTimeout,
)


def classify(exc: BaseException, auth: bool = False, sftp: bool = False) -> Failure | None:
    """The kind of failure a libssh2/socket error is, or ``None`` for a local
    I/O error met inside an SFTP/SCP step (raised as it is).

    :param auth: Inside an authentication step: credential errors are
      authentication failures (elsewhere they are protocol errors).
    :param sftp: Inside a file transfer: an ``OSError`` there is the local
      file's, not the connection's.
    """
    if isinstance(exc, _AUTH):
        return Failure.AUTH if auth else Failure.PROTOCOL
    if isinstance(exc, _DISCONNECT):
        return Failure.CONNECTION_LOST
    if isinstance(exc, (ssh2_exc.SFTPProtocolError, ssh2_exc.SFTPHandleError)):
        return Failure.REMOTE_IO
    if isinstance(exc, ssh2_exc.SFTPError):
        return Failure.SFTP
    if isinstance(exc, ssh2_exc.SSH2Error):
        return Failure.PROTOCOL
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return Failure.CONNECT_TIMEOUT
    if isinstance(exc, OSError):
        return None if sftp else Failure.CONNECTION_LOST
    return None


@contextmanager
def map_errors(
    host: str, what: str, auth: bool = False, sftp: bool = False, port: int | None = None
) -> Iterator[None]:
    """Raise libssh2/socket errors met while doing ``what`` on ``host`` as the
    :mod:`pssh.exceptions` class :data:`pssh.clients._failures.TABLE` gives
    their kind, carrying the host (the original is the ``__cause__``).

    :param port: The host's port: given while connecting, so that the
      exceptions have the 1.8.0 ``args`` ``(message, host, port, cause)``.
    """
    try:
        yield
    except PSSHError:
        raise
    except Exception as exc:
        kind = classify(exc, auth=auth, sftp=sftp)
        if kind is None:
            raise
        raise exception_for(kind, host, describe(exc), port=port, what=what) from exc
