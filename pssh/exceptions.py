"""Exceptions raised by parallel-ssh classes.

Every exception has the 1.8.0 name and ``args`` layout (a message, possibly a
``%``-format string, followed by its values) and derives from
:class:`PSSHError`, which adds a ``host`` attribute. An exception raised for a
host carries that host from the moment it is raised; a foreign exception that
escapes a per-host task gets it in exactly one place, the parallel client's
per-host runner.
"""

from __future__ import annotations

from typing import Any


class PSSHError(Exception):
    """Base class of every pssh exception.

    :param args: A message, optionally a ``%``-format string, and its values.
    :param host: The host the error is about, if any.
    """

    def __init__(self, *args: Any, host: str | None = None) -> None:
        super().__init__(*args)
        self.host = host

    def __str__(self) -> str:
        if len(self.args) > 1 and isinstance(self.args[0], str):
            try:
                return self.args[0] % self.args[1:]
            except (TypeError, ValueError):
                return " ".join(str(arg) for arg in self.args)
        return super().__str__()


class UnknownHostException(PSSHError):
    """Raised when a host is unknown (dns failure)"""


class ConnectionErrorException(PSSHError):
    """Raised on error connecting (connection refused/timed out)"""


# 1.8.0 kept a second name for the same error.
ConnectionError = ConnectionErrorException  # noqa: A001


class AuthenticationException(PSSHError):
    """Raised on authentication error (user/password/ssh key error)"""


class SSHException(PSSHError):
    """Raised on SSHException error - error authenticating with SSH server"""


class HostArgumentException(PSSHError):
    """Raised on errors with per-host arguments to parallel functions"""


class SessionError(PSSHError):
    """Raised on errors establishing SSH session"""


class SFTPError(PSSHError):
    """Raised on SFTP errors"""


class SFTPIOError(SFTPError):
    """Raised on SFTP IO errors"""


class ProxyError(PSSHError):
    """Raised on proxy errors"""


class Timeout(PSSHError):
    """Raised on timeout requested and reached"""


class SCPError(PSSHError):
    """Raised on errors copying file via SCP"""


class PKeyFileError(PSSHError):
    """Raised on errors finding private key file"""


class HostKeyError(SessionError):
    """Raised when a server's host key cannot be verified.

    Base class of :class:`UnknownHostKeyError`, :class:`HostKeyMismatchError`
    and :class:`RevokedHostKeyError`.
    """


class UnknownHostKeyError(HostKeyError):
    """Raised under the ``strict`` policy for a host with no known key"""


class HostKeyMismatchError(HostKeyError):
    """Raised when a host presents a key other than the one recorded for it"""


class RevokedHostKeyError(HostKeyError):
    """Raised when a host presents a key marked ``@revoked`` in known_hosts"""
