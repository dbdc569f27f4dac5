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


def _where(host: str, port: int | None) -> tuple[str, tuple]:
    """``host %s`` or ``host %s:%s`` for a message, with its values."""
    return ("host %s", (host,)) if port is None else ("host %s:%s", (host, port))


def shaped(
    cls: type[PSSHError], template: str, host: str, port: int | None, cause: object
) -> PSSHError:
    """``cls`` with the 1.8.0 ``args`` layout ``(message, host, port, cause)``
    (``(message, host, cause)`` when no port is known).

    :param template: The message, with ``{host}`` where the host (and port)
      go; it is a ``%``-format string once that is filled, so any other
      ``%`` in it must be written ``%%``.
    """
    where, values = _where(host, port)
    return cls(template.format(host=where) + " - %s", *values, str(cause), host=host)


@contextmanager
def map_errors(
    host: str, what: str, auth: bool = False, sftp: bool = False, port: int | None = None
) -> Iterator[None]:
    """Raise libssh2/socket errors met while doing ``what`` on ``host`` as
    pssh exceptions that carry the host (the original is the ``__cause__``).

    :param port: The host's port: given while connecting, so that the
      exceptions have the 1.8.0 ``args`` ``(message, host, port, cause)``.
    """
    doing = what.replace("%", "%%")
    try:
        yield
    except PSSHError:
        raise
    except _AUTH as exc:
        if auth:
            raise shaped(
                AuthenticationException,
                "Authentication error while %s on {host}" % doing,
                host, port, describe(exc),
            ) from exc  # fmt: skip
        raise shaped(SessionError, "Error %s on {host}" % doing, host, port, describe(exc)) from exc
    except _DISCONNECT as exc:
        raise shaped(
            ConnectionErrorException,
            "Connection to {host} lost while %s" % doing, host, port, describe(exc),
        ) from exc  # fmt: skip
    except (ssh2_exc.SFTPProtocolError, ssh2_exc.SFTPHandleError) as exc:
        raise shaped(
            SFTPIOError, "SFTP error %s on {host}" % doing, host, port, describe(exc)
        ) from exc
    except ssh2_exc.SFTPError as exc:
        raise shaped(
            SFTPError, "SFTP error %s on {host}" % doing, host, port, describe(exc)
        ) from exc
    except ssh2_exc.SSH2Error as exc:
        raise shaped(SessionError, "Error %s on {host}" % doing, host, port, describe(exc)) from exc
    except (socket.timeout, TimeoutError) as exc:
        raise shaped(
            ConnectionErrorException, "Timed out %s on {host}" % doing, host, port, exc
        ) from exc
    except OSError as exc:
        if sftp:
            raise
        raise shaped(
            ConnectionErrorException, "Error %s on {host}" % doing, host, port, exc
        ) from exc
