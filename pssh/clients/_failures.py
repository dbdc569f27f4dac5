"""Which exception a failure raises: one table for both client families.

Each backend only says *what kind* of failure its library reported (a
:class:`Failure`); :data:`TABLE` decides the :mod:`pssh.exceptions` class and
the shape of its message and ``args``, so that the same failure raises the
same class, with the same ``args`` layout, whichever client met it. The native
client classifies ssh2-python and socket errors in
:mod:`pssh.clients.native._errors`, the paramiko client paramiko and socket
errors in :mod:`pssh.clients.miko._errors`; opening the TCP connection
(:mod:`pssh.clients._sock`) is shared.

A local I/O error (the download's own disk or folder) is no remote failure:
it leaves the clients as the :class:`OSError` the operating system raised
(``PermissionError``, ``IsADirectoryError``...), naming the host in its
message, and is never mapped. The table still lists it so that the
documentation says which class it is.

The table is shown in ``doc/advanced.rst`` ("Which exception for which
failure"); ``tests/unit/test_failure_table_doc.py`` checks the two agree.
"""

from __future__ import annotations

import enum
from typing import NamedTuple

from ..exceptions import (
    AuthenticationException,
    ConnectionErrorException,
    HostKeyMismatchError,
    ProxyError,
    PSSHError,
    SessionError,
    SFTPError,
    SFTPIOError,
    SSHProtocolError,
    Timeout,
    UnknownHostException,
)


class Failure(enum.Enum):
    """The kinds of failure a backend reports (the rows of :data:`TABLE`)."""

    REFUSED = "refused"
    UNREACHABLE = "unreachable"
    UNKNOWN_NAME = "unknown name"
    AUTH = "auth failure"
    HOST_KEY_MISMATCH = "host key mismatch"
    CONNECT_TIMEOUT = "timeout on connect"
    READ_TIMEOUT = "timeout on read"
    CONNECTION_LOST = "connection lost"
    REMOTE_MISSING = "remote file missing"
    REMOTE_DENIED = "remote permission denied"
    REMOTE_IO = "other remote file error"
    SFTP = "SFTP refused"
    CHANNEL = "channel refused"
    PROTOCOL = "protocol error"
    LOCAL_DISK = "local disk error"
    PROXY_DOWN = "proxy down"


class Row(NamedTuple):
    """One failure and what it raises."""

    kind: Failure
    exception: type[BaseException]
    """The class raised."""
    template: str
    """The message: ``{where}`` is ``host %s`` (or ``host %s:%s`` when the
    port is known, while connecting), ``{what}`` what was being done; the
    ``%s`` after it take the row's ``extra`` values, then the cause."""
    args: str
    """The ``args`` layout, as the documentation shows it."""
    when: str
    """When it happens, for the documentation."""
    extra: tuple[str, ...] = ()
    """Names of values that follow the host (and port) in ``args``."""
    cause: bool = True
    """Whether the cause ends the message and ``args``."""


_CONNECT = "(message, host, port, cause, retry, num_retries)"
_FILE = "message first (naming the path), host in ``.host``"
TABLE: tuple[Row, ...] = (
    Row(Failure.REFUSED, ConnectionErrorException,
        "Error connecting to {where}", _CONNECT,
        "the port refuses the connection (or the network says the host is unreachable)"),
    Row(Failure.UNREACHABLE, Timeout,
        "Timed out connecting to {where}", "(message, host, port, cause)",
        "nothing answers the TCP connection within ``timeout``"),
    Row(Failure.UNKNOWN_NAME, UnknownHostException,
        "Unknown {where}", "(message, host, cause, retry, num_retries)",
        "the name does not resolve"),
    Row(Failure.AUTH, AuthenticationException,
        "Authentication error while {what} on {where}", "(message, host, port, cause)",
        "no credential is accepted (never retried)"),
    Row(Failure.HOST_KEY_MISMATCH, HostKeyMismatchError,
        "Host key does not match for {where}", "message first, naming both fingerprints",
        "the server's key differs from the one in known_hosts (a ``SessionError``)"),
    Row(Failure.CONNECT_TIMEOUT, Timeout,
        "Timed out {what} on {where}", "(message, host, port, cause)",
        "the server accepts the connection but does not finish the SSH handshake within "
        "``timeout``"),
    Row(Failure.READ_TIMEOUT, Timeout,
        "No output from {where} for %s seconds", "(message, host, seconds)",
        "reading output with ``timeout`` and no line arrives in time",
        extra=("seconds",), cause=False),
    Row(Failure.CONNECTION_LOST, ConnectionErrorException,
        "Connection to {where} lost while {what}", "(message, host, cause)",
        "the connection drops after login (server killed, network cut)"),
    Row(Failure.REMOTE_MISSING, SFTPIOError,
        "SFTP I/O error {what} on {where}", _FILE,
        "a remote file or folder to copy from or into does not exist"),
    Row(Failure.REMOTE_DENIED, SFTPIOError,
        "SFTP I/O error {what} on {where}", _FILE,
        "the login user may not read or write the remote path"),
    Row(Failure.REMOTE_IO, SFTPIOError,
        "SFTP I/O error {what} on {where}", _FILE,
        "any other remote file error (disk full, not a directory...)"),
    Row(Failure.SFTP, SFTPError,
        "SFTP error {what} on {where}", _FILE,
        "the server refuses the SFTP subsystem or breaks its protocol"),
    Row(Failure.CHANNEL, SessionError,
        "Error {what} on {where}", "(message, host, cause)",
        "the server refuses a channel (MaxSessions) or the client is disconnected"),
    Row(Failure.PROTOCOL, SSHProtocolError,
        "Error {what} on {where}", "(message, host, port, cause) while connecting",
        "the SSH library reports any other error: a ``SessionError`` and an "
        "``SSHException``"),
    Row(Failure.LOCAL_DISK, OSError,
        "", "``(errno, strerror)``, ``filename``",
        "the local file or folder of a download cannot be written: the ``OSError`` "
        "itself (``PermissionError``, ``NotADirectoryError``...), naming the host"),
    Row(Failure.PROXY_DOWN, ProxyError,
        "Error connecting to {where} through proxy %s:%s",
        "(message, host, proxy_host, proxy_port, cause)",
        "the proxy cannot be reached or refuses the login (a proxy that does not answer "
        "within ``timeout`` is a ``Timeout``)",
        extra=("proxy_host", "proxy_port")),
)  # fmt: skip

ROWS: dict[Failure, Row] = {row.kind: row for row in TABLE}


def exception_for(
    kind: Failure,
    host: str,
    cause: object = None,
    *,
    port: int | None = None,
    what: str = "",
    **values: object,
) -> PSSHError:
    """The exception :data:`TABLE` says ``kind`` raises, naming ``host``.

    :param cause: What the library said (a readable string is kept in
      ``args``); the caller raises ``from`` the original error.
    :param port: The host's port, known while connecting: the 1.8.0
      ``args`` are then ``(message, host, port, cause)``.
    :param what: What was being done ("reading output", "copying a to b"),
      for rows whose message says it.
    :param values: The row's ``extra`` values, by name.
    :raises ValueError: for :attr:`Failure.LOCAL_DISK`, which is never mapped.
    """
    row = ROWS[kind]
    if not issubclass(row.exception, PSSHError):
        raise ValueError("%s errors are raised as they are, not mapped" % kind.value)
    where, head = ("host %s", (host,)) if port is None else ("host %s:%s", (host, port))
    message = row.template.format(where=where, what=what.replace("%", "%%"))
    tail = tuple(values[name] for name in row.extra)
    if row.cause:
        message += " - %s"
        tail += (str(cause),)
    return row.exception(message, *head, *tail, host=host)


def describe(exc: BaseException) -> str:
    """A short description of a library error for a message: its class and text."""
    text = str(exc).strip()
    name = type(exc).__name__
    return "%s: %s" % (name, text) if text else name


def _class_role(exception: type[BaseException]) -> str:
    if issubclass(exception, PSSHError):
        return ":class:`~pssh.exceptions.%s`" % exception.__name__
    return ":class:`%s`" % exception.__name__


def rst_table() -> str:
    """:data:`TABLE` as the reStructuredText ``list-table`` that
    ``doc/advanced.rst`` shows (a test checks the page holds exactly this)."""
    lines = [".. list-table::", "   :header-rows: 1", ""]
    cells = [("Failure", "Exception", "``args``", "When")]
    for row in TABLE:
        args, sep, rest = row.args.partition(" while ")
        args = "``%s``%s%s" % (args, sep, rest) if args.startswith("(") else row.args
        cells.append((row.kind.value, _class_role(row.exception), args, row.when))
    for cell in cells:
        lines.append("   * - " + cell[0])
        lines.extend("     - " + text for text in cell[1:])
    return "\n".join(lines) + "\n"
