"""The one place that waits on libssh2's "try again" (EAGAIN).

Sessions are non-blocking: a libssh2 call that cannot go on returns
``LIBSSH2_ERROR_EAGAIN`` and the session tells which way the socket is blocked
(:py:meth:`ssh2.session.Session.block_directions`). We then wait for the
socket with gevent's hub (an io watcher: epoll underneath, so there is no
``select()`` limit on descriptor numbers) and call again. Nothing else in the
package names ``LIBSSH2_ERROR_EAGAIN``; a unit test checks that.

Several greenlets may use one session at once (a command's stdout and stderr
readers, several commands on one host, the tunnels of a proxy). Any libssh2
call may read packets of *other* channels off the socket into libssh2's
queue, leaving the socket empty while another greenlet waits on it for data
that has in fact arrived. :class:`SessionIO` therefore counts the bytes taken
off the socket (the kernel's ``tcpi_bytes_received`` minus what is still
unread) around each call made while others wait, and wakes every waiter
when that count moved. Waiters then try again; a try that takes nothing off
the socket wakes nobody, so there is no ping-pong and an idle session costs
no CPU.

Where ``TCP_INFO`` is missing (a socket that is not TCP, such as the socket
pair of a ``ProxyCommand``, or a kernel without the counter) the count is the
negated number of unread bytes (``FIONREAD``): a call that took bytes off the
socket still shows. Data arriving *and* taken within one call would not, so in
that mode waiters also look again every :data:`FALLBACK_TICK` seconds.

The forwarding driver of a proxy session (:mod:`._forward`) waits here too,
with :meth:`SessionIO.wait` told whether reading matters and woken by
:meth:`SessionIO.wake` from the greenlets that feed it.

``timeout`` is a deadline for the whole call, not for one wait.
"""

from __future__ import annotations

import array
import fcntl
import socket
import struct
import termios
from collections.abc import Callable
from typing import Any

import gevent
from gevent.event import Event
from gevent.hub import get_hub
from ssh2.error_codes import LIBSSH2_ERROR_EAGAIN
from ssh2.session import LIBSSH2_SESSION_BLOCK_INBOUND, LIBSSH2_SESSION_BLOCK_OUTBOUND

from ...exceptions import Timeout

EAGAIN = LIBSSH2_ERROR_EAGAIN
_READ = 1  # libev EV_READ
_WRITE = 2  # libev EV_WRITE
_TCP_INFO_BYTES_RECEIVED = 128  # offset of tcpi_bytes_received in struct tcp_info


def is_eagain(result: Any) -> bool:
    """Whether a libssh2 call's result (an int, a ``(rc, data)`` tuple or an
    object) says "try again"."""
    if result.__class__ is int:
        return result == EAGAIN
    if result.__class__ is tuple:
        return result[0] == EAGAIN
    return False


FALLBACK_TICK = 0.05
"""Seconds between looks while waiting on a socket without ``TCP_INFO``."""


def _unread(sock: Any) -> int:
    unread = array.array("i", [0])
    fcntl.ioctl(sock.fileno(), termios.FIONREAD, unread)
    return unread[0]


def _tcp_consumed(sock: Any) -> int:
    """Bytes the process has taken off the TCP socket ``sock`` so far.

    :raises OSError: or :py:class:`struct.error` where ``TCP_INFO`` (or its
      ``tcpi_bytes_received`` field, Linux 4.1+) is not available.
    """
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 136)
    received: int = struct.unpack_from("Q", info, _TCP_INFO_BYTES_RECEIVED)[0]
    return received - _unread(sock)


def _fallback_consumed(sock: Any) -> int:
    """A count that changes when a call took bytes off ``sock`` (any socket type)."""
    return -_unread(sock)


def _has_tcp_info(sock: Any) -> bool:
    try:
        _tcp_consumed(sock)
    except (OSError, struct.error, AttributeError):
        return False
    return True


class SessionIO:
    """Calls into one libssh2 session, and waits for its socket, on behalf of
    any number of greenlets.

    :param session: A non-blocking :py:class:`ssh2.session.Session`.
    :param sock: The session's connected socket.
    :param shared: Whether several greenlets call into the session. A session
      driven by one greenlet only (the forwarding driver) never has its data
      taken by another, so it needs neither the count nor the fallback's tick.
    """

    __slots__ = ("session", "sock", "_event", "_waiters", "_consumed", "_tick")

    def __init__(self, session: Any, sock: Any, shared: bool = True) -> None:
        self.session = session
        self.sock = sock
        self._event = Event()
        self._waiters = 0
        if not shared or _has_tcp_info(sock):
            self._consumed: Callable[[Any], int] = _tcp_consumed
            self._tick: float | None = None
        else:
            self._consumed = _fallback_consumed
            self._tick = FALLBACK_TICK

    def wait(self, timeout: float | None = None, *, read: bool | None = None) -> None:
        """Wait until the socket is ready the way the session is blocked, or
        until another greenlet took data off it (or called :meth:`wake`).

        :param read: ``None``: wait for what the session is blocked on.
          ``True``/``False``: wait for the socket to become readable, or not,
          whatever the session says (a caller that knows no call of its would
          read the socket must not wait for readable: that would spin on data
          meant for later); writable is waited for when the session is
          blocked outbound. With neither, only :meth:`wake` ends the wait.
        :raises: :py:class:`pssh.exceptions.Timeout` after ``timeout`` seconds.
        """
        directions = self.session.block_directions()
        events = _WRITE if directions & LIBSSH2_SESSION_BLOCK_OUTBOUND else 0
        if read is None:
            if directions & LIBSSH2_SESSION_BLOCK_INBOUND:
                events |= _READ
            if not events:
                # libssh2 said "again" without naming a direction: yield, retry.
                gevent.sleep(0.001)
                return
        elif read:
            events |= _READ
        event = self._event
        watcher = get_hub().loop.io(self.sock.fileno(), events) if events else None
        if watcher is not None:
            watcher.start(self._fire, event)
        self._waiters += 1
        try:
            self._wait_event(event, timeout, watcher is not None)
        finally:
            self._waiters -= 1
            if watcher is not None:
                watcher.stop()

    def _wait_event(self, event: Event, timeout: float | None, on_socket: bool) -> None:
        tick = self._tick if on_socket else None
        if tick is not None and (timeout is None or timeout > tick):
            # No exact byte count: look again after a tick (callers retry their
            # call in a loop under their own deadline, see :class:`_deadline`).
            event.wait(tick)
            return
        if not event.wait(timeout):
            raise Timeout("No activity for %s seconds", timeout)

    def wake(self) -> None:
        """Wake every greenlet waiting in :meth:`wait` (they try their calls again)."""
        self._fire(self._event)

    def _fire(self, event: Event) -> None:
        if self._event is event:
            self._event = Event()
        event.set()

    def call(self, func: Callable[..., Any], *args: Any) -> Any:
        """``func(*args)``, waking the other waiters if it took data off the
        socket."""
        if not self._waiters:
            return func(*args)
        try:
            before = self._consumed(self.sock)
        except (OSError, struct.error):
            before = None  # closed: whatever happens, let the waiters look
        try:
            return func(*args)
        finally:
            try:
                moved = before is None or self._consumed(self.sock) != before
            except (OSError, struct.error):
                moved = True
            if moved:
                self._fire(self._event)

    def eagain(self, func: Callable[..., Any], *args: Any, timeout: float | None = None) -> Any:
        """Call ``func(*args)`` until it stops answering EAGAIN; return its result.

        :raises: :py:class:`pssh.exceptions.Timeout` when ``timeout`` seconds
          pass first.
        """
        result = self.call(func, *args)
        if not is_eagain(result):
            return result
        with _deadline(timeout):
            while is_eagain(result):
                self.wait()
                result = self.call(func, *args)
        return result

    def write(
        self,
        write_func: Callable[[bytes], tuple[int, int]],
        data: bytes,
        timeout: float | None = None,
    ) -> None:
        """Write all of ``data`` with ``write_func``, resuming from the last
        byte written after every partial write or EAGAIN. Callers pass chunks
        of at most a few hundred KiB, so the slice after a partial write stays
        cheap."""
        with _deadline(timeout):
            while data:
                rc, written = self.call(write_func, data)
                if written > 0:
                    data = data[written:]
                if rc == EAGAIN and data:
                    self.wait()

    def read(
        self,
        read_func: Callable[[int], tuple[int, bytes]],
        size: int = 65536,
        timeout: float | None = None,
        meanwhile: Callable[[], bool] | None = None,
    ) -> bytes:
        """Read one chunk, waiting for it; ``b''`` at end of stream.

        :param meanwhile: Called whenever there is nothing to read yet, before
          waiting; when it returns true (it got something done, such as
          reading the channel's other stream) the read is tried again at once.
        """
        rc, data = self.call(read_func, size)
        if rc == EAGAIN:
            with _deadline(timeout):
                while rc == EAGAIN:
                    if meanwhile is None or not meanwhile():
                        self.wait()
                    rc, data = self.call(read_func, size)
        return data if rc > 0 else b""

    def try_read(
        self, read_func: Callable[[int], tuple[int, bytes]], size: int = 65536
    ) -> bytes | None:
        """Read what is there without waiting: ``None`` when nothing is yet,
        ``b''`` at end of stream."""
        rc, data = self.call(read_func, size)
        if rc == EAGAIN:
            return None
        return data if rc > 0 else b""


class _deadline:
    """A gevent timeout raising :py:class:`pssh.exceptions.Timeout`, or nothing."""

    __slots__ = ("_seconds", "_timer")

    def __init__(self, seconds: float | None) -> None:
        self._seconds = seconds
        self._timer: gevent.Timeout | None = None

    def __enter__(self) -> None:
        if self._seconds is not None:
            exc = Timeout("No activity for %s seconds", self._seconds)
            self._timer = gevent.Timeout(self._seconds, exc)
            self._timer.start()

    def __exit__(self, *exc_info: Any) -> None:
        if self._timer is not None:
            self._timer.close()


# Function forms, for code holding a session that no other greenlet waits on.


def eagain(
    session: Any, sock: Any, func: Callable[..., Any], *args: Any, timeout: float | None = None
) -> Any:
    """:py:meth:`SessionIO.eagain` for a session used by one greenlet only."""
    return SessionIO(session, sock).eagain(func, *args, timeout=timeout)
