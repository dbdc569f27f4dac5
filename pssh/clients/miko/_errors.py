"""Translation of paramiko and socket errors into :mod:`pssh.exceptions`.

One context manager, :func:`map_errors`, is used around each step of the
paramiko client, so that what leaves it is the same documented exception
class the native client raises, naming the host. The original error is kept
as ``__cause__``.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import paramiko

from ...exceptions import (
    AuthenticationException,
    ConnectionErrorException,
    HostKeyMismatchError,
    ProxyError,
    PSSHError,
    SessionError,
    SFTPError,
    SFTPIOError,
    SSHException,
    Timeout,
    UnknownHostException,
)


def describe(exc: BaseException) -> str:
    """A short description of an error: its class and message."""
    text = str(exc).strip()
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


def shaped(
    cls: type[PSSHError], template: str, host: str, port: int | None, cause: object
) -> PSSHError:
    """``cls`` with the 1.8.0 ``args`` layout ``(message, host, port, cause)``
    (``(message, host, cause)`` when no port is known).

    :param template: The message, with ``{host}`` where the host (and port)
      go; once that is filled it is a ``%``-format string, so any other ``%``
      in it must be written ``%%``.
    """
    where, values = ("host %s", (host,)) if port is None else ("host %s:%s", (host, port))
    return cls(template.format(host=where) + " - %s", *values, str(cause), host=host)


@contextmanager
def map_errors(host: str, what: str, sftp: bool = False, port: int | None = None) -> Iterator[None]:
    """Raise paramiko/socket errors met while doing ``what`` on ``host`` as
    :mod:`pssh.exceptions` that carry the host.

    :param host: Host the operation is for; set as the exceptions' ``host``.
    :param what: What was being done, for the message ("connecting", ...).
    :param sftp: Inside an SFTP operation: remote I/O errors become
      :py:class:`pssh.exceptions.SFTPIOError`, other SFTP protocol errors
      :py:class:`pssh.exceptions.SFTPError`.
    :param port: The host's port: given while connecting, so that the
      exceptions have the 1.8.0 ``args`` ``(message, host, port, cause)``.
    """
    doing = what.replace("%", "%%")
    try:
        yield
    except PSSHError:
        raise
    except paramiko.AuthenticationException as exc:
        raise shaped(
            AuthenticationException,
            "Authentication error while %s on {host}" % doing, host, port, describe(exc),
        ) from exc  # fmt: skip
    except paramiko.BadHostKeyException as exc:
        raise HostKeyMismatchError(
            "Host key of %s does not match - %s", host, describe(exc), host=host
        ) from exc
    except paramiko.SFTPError as exc:
        raise shaped(
            SFTPError, "SFTP error %s on {host}" % doing, host, port, describe(exc)
        ) from exc
    except paramiko.ChannelException as exc:
        raise shaped(SessionError, "Error %s on {host}" % doing, host, port, describe(exc)) from exc
    except EOFError as exc:
        raise shaped(
            ConnectionErrorException,
            "Connection to {host} closed while %s" % doing, host, port, describe(exc),
        ) from exc  # fmt: skip
    except paramiko.SSHException as exc:
        raise shaped(SSHException, "Error %s on {host}" % doing, host, port, describe(exc)) from exc
    except socket.gaierror as exc:
        raise UnknownHostException("Unknown host %s - %s", host, str(exc), host=host) from exc
    except (socket.timeout, TimeoutError) as exc:
        raise shaped(Timeout, "Timed out %s on {host}" % doing, host, port, describe(exc)) from exc
    except OSError as exc:
        if sftp:
            raise shaped(
                SFTPIOError, "SFTP I/O error %s on {host}" % doing, host, port, describe(exc)
            ) from exc
        raise shaped(
            ConnectionErrorException, "Error %s on {host}" % doing, host, port, describe(exc)
        ) from exc


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
            raise Timeout(
                "Timed out connecting to host %s:%s - %s", host, port,
                "through proxy %s:%s: %s" % (proxy_host, proxy_port, cause), host=host,
            ) from exc  # fmt: skip
        raise ProxyError(
            "Error connecting to host %s through proxy %s:%s - %s",
            host, proxy_host, proxy_port, cause, host=host,
        ) from exc  # fmt: skip
