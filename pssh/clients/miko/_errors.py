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


@contextmanager
def map_errors(host: str, what: str, sftp: bool = False) -> Iterator[None]:
    """Raise paramiko/socket errors met while doing ``what`` on ``host`` as
    :mod:`pssh.exceptions` that carry the host.

    :param host: Host the operation is for; set as the exceptions' ``host``.
    :param what: What was being done, for the message ("connecting", ...).
    :param sftp: Inside an SFTP operation: remote I/O errors become
      :py:class:`pssh.exceptions.SFTPIOError`, other SFTP protocol errors
      :py:class:`pssh.exceptions.SFTPError`.
    """
    try:
        yield
    except PSSHError:
        raise
    except paramiko.AuthenticationException as exc:
        raise AuthenticationException(
            "Authentication error while %s on host %s - %s", what, host, describe(exc), host=host
        ) from exc
    except paramiko.BadHostKeyException as exc:
        raise HostKeyMismatchError(
            "Host key of %s does not match - %s", host, describe(exc), host=host
        ) from exc
    except paramiko.SFTPError as exc:
        raise SFTPError(
            "SFTP error %s on host %s - %s", what, host, describe(exc), host=host
        ) from exc
    except paramiko.ChannelException as exc:
        raise SessionError(
            "Error %s on host %s - %s", what, host, describe(exc), host=host
        ) from exc
    except EOFError as exc:
        raise ConnectionErrorException(
            "Connection to host %s closed while %s - %s", host, what, describe(exc), host=host
        ) from exc
    except paramiko.SSHException as exc:
        raise SSHException(
            "Error %s on host %s - %s", what, host, describe(exc), host=host
        ) from exc
    except socket.gaierror as exc:
        raise UnknownHostException("Unknown host %s - %s", host, exc, host=host) from exc
    except (socket.timeout, TimeoutError) as exc:
        raise Timeout("Timed out %s on host %s", what, host, host=host) from exc
    except OSError as exc:
        if sftp:
            raise SFTPIOError(
                "SFTP I/O error %s on host %s - %s", what, host, describe(exc), host=host
            ) from exc
        raise ConnectionErrorException(
            "Error %s on host %s - %s", what, host, describe(exc), host=host
        ) from exc


@contextmanager
def map_proxy_errors(host: str, proxy_host: str, proxy_port: int) -> Iterator[None]:
    """Any failure to reach ``host`` through the proxy, including failing to
    reach the proxy itself, as :py:class:`pssh.exceptions.ProxyError` naming
    ``host`` (the original error is the ``__cause__``)."""
    try:
        yield
    except (PSSHError, paramiko.SSHException, OSError, EOFError) as exc:
        raise ProxyError(
            "Error connecting to host %s through proxy %s:%s - %s",
            host, proxy_host, proxy_port, exc if isinstance(exc, PSSHError) else describe(exc),
            host=host,
        ) from exc  # fmt: skip
