"""One live SSH connection of the native client, as its parts use it.

:class:`Connection` is made right before the handshake of each connection attempt and
handed to the parts of :class:`~pssh.clients.native.single.SSHClient`: authentication
(:mod:`._auth`), commands and their output (:mod:`._commands`), SFTP (:mod:`._transfer`,
:mod:`._sftp`) and SCP (:mod:`._scp`). They see it through :class:`SSHConnection` only, so
the client is composed of small objects instead of being one stack of mixins, and none of
them reaches into another's private state.

Every wait goes through the connection's :class:`~._eagain.SessionIO`; a wait that runs out
of time raises :py:class:`pssh.exceptions.Timeout` naming the host. The pass-through methods
(:meth:`Connection.call`, :meth:`~Connection.read`, :meth:`~Connection.try_read`,
:meth:`~Connection.write`, :meth:`~Connection.wait`) are the ``SessionIO`` methods themselves,
so the per-chunk paths of output reading and file transfers pay one bound method call, as
before the split.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from ssh2.session import (
    LIBSSH2_FLAG_COMPRESS,
    LIBSSH2_METHOD_CRYPT_CS,
    LIBSSH2_METHOD_CRYPT_SC,
    LIBSSH2_METHOD_KEX,
)

from ...exceptions import SessionError, Timeout
from ._eagain import SessionIO

F = TypeVar("F", bound=Callable[..., Any])

# Algorithms offered, best first. AES-GCM has hardware support on today's CPUs
# (twice chacha20's throughput here, at half the CPU); CBC, arcfour, 3DES and
# SHA-1 key exchanges are not offered at all.
_CIPHERS = (
    "aes128-gcm@openssh.com,aes256-gcm@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,"
    "chacha20-poly1305@openssh.com"
)
_KEX = (
    "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,"
    "ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,"
    "diffie-hellman-group18-sha512,diffie-hellman-group14-sha256"
)


def prefer_modern_algorithms(session: Any, compress: bool = False) -> None:
    """Offer only modern ciphers and key exchanges on ``session``, best first.

    :param compress: Offer compression too (``zlib@openssh.com``, ``zlib``;
      parallel-ssh 2.x ``compress``): it saves bandwidth on slow links at
      some CPU cost (before the handshake, like the preferences)."""
    if compress:
        session.flag(LIBSSH2_FLAG_COMPRESS)
    for method, pref in (
        (LIBSSH2_METHOD_CRYPT_CS, _CIPHERS),
        (LIBSSH2_METHOD_CRYPT_SC, _CIPHERS),
        (LIBSSH2_METHOD_KEX, _KEX),
    ):
        session.method_pref(method, pref)


ReadFunc = Callable[[int], tuple[int, bytes]]
WriteFunc = Callable[[bytes], tuple[int, int]]


class SSHConnection(Protocol):
    """What the parts of the native client use of a connection.

    ``session`` is the non-blocking :py:class:`ssh2.session.Session`, ``sock`` its socket,
    ``timeout`` the client's ``timeout`` (seconds or ``None``)."""

    host: str
    port: int
    session: Any
    sock: Any
    timeout: float | None

    def eagain(self, func: Callable[..., Any], *args: Any, timeout: float | None = None) -> Any:
        """``func(*args)`` until libssh2 stops answering "try again"."""

    def open(self, opener: Callable[..., Any], *args: Any) -> Any:
        """Run a session-level opener (channel, SFTP, SCP, forward) alone, within ``timeout``."""

    def send_all(self, write_func: WriteFunc, data: bytes) -> None:
        """Write all of ``data`` within ``timeout``."""

    def recv(self, read_func: ReadFunc, size: int) -> bytes:
        """Read one chunk within ``timeout``; ``b''`` at the end of the stream."""

    def call(self, func: Callable[..., Any], *args: Any) -> Any:
        """``func(*args)`` once, waking other waiters if it took data off the socket."""

    def read(
        self,
        read_func: ReadFunc,
        size: int = 65536,
        timeout: float | None = None,
        meanwhile: Callable[[], bool] | None = None,
    ) -> bytes:
        """:meth:`pssh.clients.native._eagain.SessionIO.read`."""

    def try_read(self, read_func: ReadFunc, size: int = 65536) -> bytes | None:
        """:meth:`pssh.clients.native._eagain.SessionIO.try_read`."""

    def write(self, write_func: WriteFunc, data: bytes, timeout: float | None = None) -> None:
        """:meth:`pssh.clients.native._eagain.SessionIO.write`."""

    def wait(self, timeout: float | None = None, *, read: bool | None = None) -> None:
        """:meth:`pssh.clients.native._eagain.SessionIO.wait`."""


class Connection:
    """A handshaken (or handshaking) session, its socket and the one wait helper for it.

    :param host: Host name, for messages.
    :param port: Port connected to, for messages.
    :param session: Non-blocking :py:class:`ssh2.session.Session`.
    :param sock: Its connected socket.
    :param timeout: The client's ``timeout``: limit of each open, transfer read and write.
    :param open_lock: Lock letting one session-level open run at a time. libssh2 keeps an
      open in progress per session, not per caller, so greenlets sharing the session take
      turns (else two callers get the same channel). The client's, kept across reconnects.
    """

    def __init__(
        self,
        host: str,
        port: int,
        session: Any,
        sock: Any,
        timeout: float | None,
        open_lock: Any,
    ) -> None:
        self.host = host
        self.port = port
        self.session = session
        self.sock = sock
        self.timeout = timeout
        self.open_lock = open_lock
        self.io = io = SessionIO(session, sock)
        # The hot paths call these directly: bound methods of the SessionIO.
        self.call = io.call
        self.read = io.read
        self.try_read = io.try_read
        self.write = io.write
        self.wait = io.wait

    def eagain(self, func: Callable[..., Any], *args: Any, timeout: float | None = None) -> Any:
        """Call ``func(*args)`` until it stops answering EAGAIN; return its result.

        :raises: :py:class:`pssh.exceptions.Timeout` naming host and port when ``timeout``
          seconds pass first.
        """
        try:
            return self.io.eagain(func, *args, timeout=timeout)
        except Timeout as exc:
            raise Timeout(
                "Timed out on host %s:%s - %s",
                self.host,
                self.port,
                "no reply within %s seconds" % timeout,
                host=self.host,
            ) from exc

    def open(self, opener: Callable[..., Any], *args: Any) -> Any:
        """Run one of libssh2's session-level openers to completion, one at a time
        (see ``open_lock``), within ``timeout``."""
        with self.open_lock:
            return self.eagain(opener, *args, timeout=self.timeout)

    def send_all(self, write_func: WriteFunc, data: bytes) -> None:
        """Write all of ``data`` with ``write_func`` (a channel's or SFTP handle's
        ``write``), within ``timeout``.

        :raises: :py:class:`pssh.exceptions.Timeout` naming the host.
        """
        try:
            self.io.write(write_func, data, self.timeout)
        except Timeout as exc:
            raise self.timed_out() from exc

    def recv(self, read_func: ReadFunc, size: int) -> bytes:
        """Read one chunk of at most ``size`` bytes with ``read_func``, within ``timeout``;
        ``b''`` at the end of the stream.

        :raises: :py:class:`pssh.exceptions.Timeout` naming the host.
        """
        try:
            return bytes(self.io.read(read_func, size, self.timeout))
        except Timeout as exc:
            raise self.timed_out() from exc

    def timed_out(self) -> Timeout:
        """The error of a transfer that waited ``timeout`` seconds for the host."""
        return Timeout(
            "Timed out after %s seconds waiting on host %s", self.timeout, self.host, host=self.host
        )


def live(conn: SSHConnection | None, host: str) -> SSHConnection:
    """``conn``, the current connection of a client's part.

    :raises: :py:class:`pssh.exceptions.SessionError` when it is ``None`` (disconnected)."""
    if conn is None:
        raise SessionError("Client for host %s is disconnected", host, host=host)
    return conn


def releases_on_error(method: F) -> F:
    """Decorate a part's method so that, when it fails, the libssh2 objects it
    made (an SFTP session, an SCP channel, file handles) are freed at once.

    An exception keeps every frame it passed through, and so their local
    variables, for as long as anyone holds it: a caller's log, a greenlet's
    ``exception``, a ``HostOutput``. The SFTP session or channel in those frames
    would keep counting against the server's ``MaxSessions`` until then, so
    the next copy could be refused. The frames' variables are cleared
    (:py:func:`traceback.clear_frames`); the traceback's files and lines stay.
    """

    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except BaseException as exc:
            seen: set[int] = set()
            error: BaseException | None = exc
            while error is not None and id(error) not in seen:
                seen.add(id(error))
                traceback.clear_frames(error.__traceback__)
                error = error.__cause__ or error.__context__
            raise

    return call  # type: ignore[return-value]


class Part:
    """What every part of a native client has in common (:class:`~._commands.Commands`,
    :class:`~._transfer.SFTPTransfers`, :class:`~._scp.SCPTransfers`): the host it
    works for and the client's current connection, handed over by the client with
    :meth:`attach` at every (re)connection and at close.

    :param host: The host, for messages.
    """

    def __init__(self, host: str) -> None:
        self.host = host
        self.conn: SSHConnection | None = None

    def attach(self, conn: SSHConnection | None) -> None:
        """Work on ``conn`` from now on (``None``: disconnected)."""
        self.conn = conn

    def connection(self) -> SSHConnection:
        """The current connection.

        :raises: :py:class:`pssh.exceptions.SessionError` when disconnected."""
        return live(self.conn, self.host)
