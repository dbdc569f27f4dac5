"""Translation of ssh2-python (libssh2) and socket errors into pssh.exceptions.

One context manager, :func:`map_errors`, used around each transport step so
that what leaves the native client is a documented exception naming the host.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from ssh2 import exceptions as ssh2_exc

from ...exceptions import (
    AuthenticationException,
    ConnectionErrorException,
    PSSHError,
    SessionError,
    SFTPError,
    SFTPIOError,
)

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


def describe(exc: BaseException) -> str:
    """A short description of a libssh2 error: its class and message."""
    text = str(exc).strip()
    name = type(exc).__name__
    return "%s: %s" % (name, text) if text else name


@contextmanager
def map_errors(host: str, what: str, auth: bool = False, sftp: bool = False) -> Iterator[None]:
    """Raise libssh2/socket errors met while doing ``what`` on ``host`` as
    pssh exceptions that carry the host (the original is the ``__cause__``)."""
    try:
        yield
    except PSSHError:
        raise
    except _AUTH as exc:
        if auth:
            raise AuthenticationException(
                "Authentication error while %s on host %s - %s",
                what,
                host,
                describe(exc),
                host=host,
            ) from exc
        raise SessionError(
            "Error %s on host %s - %s", what, host, describe(exc), host=host
        ) from exc
    except _DISCONNECT as exc:
        raise ConnectionErrorException(
            "Connection to host %s lost while %s - %s", host, what, describe(exc), host=host
        ) from exc
    except (ssh2_exc.SFTPProtocolError, ssh2_exc.SFTPHandleError) as exc:
        raise SFTPIOError(
            "SFTP error %s on host %s - %s", what, host, describe(exc), host=host
        ) from exc
    except ssh2_exc.SFTPError as exc:
        raise SFTPError(
            "SFTP error %s on host %s - %s", what, host, describe(exc), host=host
        ) from exc
    except ssh2_exc.SSH2Error as exc:
        raise SessionError(
            "Error %s on host %s - %s", what, host, describe(exc), host=host
        ) from exc
    except (socket.timeout, TimeoutError) as exc:
        raise ConnectionErrorException(
            "Timed out %s on host %s - %s", what, host, exc, host=host
        ) from exc
    except OSError as exc:
        if sftp:
            raise
        raise ConnectionErrorException(
            "Error %s on host %s - %s", what, host, exc, host=host
        ) from exc
