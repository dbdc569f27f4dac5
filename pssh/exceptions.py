"""Exceptions raised by parallel-ssh classes.

Every exception has the 1.8.0 name and ``args`` layout (a message, a
``%``-format string, followed by its values) and derives from
:class:`PSSHError`, which adds a ``host`` attribute. An exception raised for a
host carries that host from the moment it is raised; a foreign exception that
escapes a per-host task gets it in exactly one place, the parallel client's
per-host runner.

Errors met while connecting have the ``args`` 1.8.0 code reads (``ex.args[1]``
is the host, the last two the attempt that failed and the attempts allowed):

========================================  ===================================================
:class:`UnknownHostException`             ``(message, host, cause, retry, num_retries)``
:class:`ConnectionErrorException`         ``(message, host, port, cause, retry, num_retries)``
:class:`AuthenticationException`          ``(message, host, port, cause)``
:class:`Timeout` (connecting)             ``(message, host, port, cause)``
:class:`SSHProtocolError` (connecting)    ``(message, host, port, cause)``
========================================  ===================================================

Which class each kind of failure raises, on both clients, is one table:
the failure table (``pssh.clients._failures.TABLE``, shown as "Which exception for
which failure" in the advanced documentation).

``cause`` is a readable string (the original exception is ``__cause__``).
:class:`SFTPIOError` is also an :class:`OSError` (``IOError``) and
:class:`Timeout` also a :class:`TimeoutError` (``socket.timeout``), so that
``except IOError`` and ``except socket.timeout`` keep catching them; their
``args`` are the tuple given, never reinterpreted as ``(errno, strerror)``.
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
        # not OSError's "[Errno ...]" form for the OSError subclasses
        return str(self.args[0]) if self.args else ""

    def __reduce__(self) -> Any:
        # args as given (OSError's own would rebuild them from errno/strerror)
        return (type(self), self.args, self.__dict__)


class _Retried(PSSHError):
    """An error that ends the connection attempts: the client appends the
    failed attempt and the attempts allowed to its ``args`` (see
    :meth:`add_retries`), as 1.8.0 did."""

    retry: int | None = None
    """The attempt that failed (1 = the first), once known."""
    num_retries: int | None = None
    """The attempts the client was allowed, once known."""

    def add_retries(self, retry: int, num_retries: int) -> None:
        """Append ``retry`` and ``num_retries`` to ``args`` (and
        ``" - retry retry/num_retries"`` to the message). Only the first call
        counts: the innermost client that gave up (a proxy's, for example)
        says how many attempts it made."""
        if self.retry is not None:
            return
        self.retry, self.num_retries = retry, num_retries
        if self.args and isinstance(self.args[0], str):
            message = self.args[0] + " - retry %s/%s"
            self.args = (message, *self.args[1:], retry, num_retries)


class UnknownHostException(_Retried):
    """Raised when a host is unknown (dns failure)"""


class ConnectionErrorException(_Retried):
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


class SSHProtocolError(SessionError, SSHException):
    """Raised when the SSH library reports an error no other class describes
    (a broken or unexpected protocol message, a failed key exchange).

    Both a :class:`SessionError` (what the native client raised for it) and
    an :class:`SSHException` (what the paramiko client raised), so that 1.8.0
    code written for either client still catches it. See
    the failure table (``pssh.clients._failures.TABLE``).
    """


class SFTPError(PSSHError):
    """Raised on SFTP errors"""


class _OSErrorArgs(OSError):
    """Keeps ``args`` as given: :class:`OSError` would read a two to five
    item ``args`` as ``(errno, strerror, filename...)`` and keep only two."""

    def __init__(self, *args: Any) -> None:  # after PSSHError.__init__ in the MRO
        super().__init__(*args)
        self.args = args
        self.errno = None  # type: ignore[assignment]
        self.strerror = str(self)  # type: ignore[assignment]
        self.filename = None


class SFTPIOError(SFTPError, _OSErrorArgs):
    """Raised on SFTP IO errors

    Also an :class:`OSError` (``IOError``), as the file errors it reports are.
    """


class ProxyError(PSSHError):
    """Raised on proxy errors"""


class Timeout(PSSHError, _OSErrorArgs, TimeoutError):
    """Raised on timeout requested and reached

    Also a :class:`TimeoutError` (that is ``socket.timeout``).
    """


class SCPError(PSSHError):
    """Raised on errors copying file via SCP"""


class PKeyFileError(PSSHError):
    """Raised on errors finding private key file"""


class ShellError(PSSHError):
    """Raised on errors running command on interactive shell (parallel-ssh 2.x):
    a command given to a shell that was closed or never opened"""


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


class NotStartedError(PSSHError):
    """Set as the ``exception`` of a host that was never started: a
    :meth:`~pssh.clients.base_pssh.BaseParallelSSHClient.run_in_batches`
    rollout stopped, its failure budget spent, before the host's batch.
    Nothing was run on (or connected to) the host. ``args`` are
    ``(message, host, batch)``: ``batch`` is the number (1 = first) of the
    batch the host belonged to (also ``.batch``); ``.host`` is the host.
    """

    batch: int | None = None


class ShardError(PSSHError):
    """Set as the ``exception`` of every host of a shard of a sharded run
    (:mod:`pssh.scale`) whose shard did not come back: its worker process
    died or was killed, the executor lost or cancelled the task, or the shard
    did not return within ``shard_timeout``. Whether the command ran on the
    host is then unknown. Also set for a host whose own exception could not
    be sent back from the worker (its class and message are in the message).
    ``args`` are ``(message, host, shard, cause)``: ``shard`` is the shard's
    number (0 = first, also ``.shard``), ``cause`` a readable string naming
    what the executor reported; ``.host`` is the host.
    """

    shard: int | None = None
