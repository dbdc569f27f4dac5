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


def _consumed(sock: Any) -> int:
    """Bytes the process has taken off ``sock`` so far."""
    try:
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 136)
        received = struct.unpack_from("Q", info, _TCP_INFO_BYTES_RECEIVED)[0]
        unread = array.array("i", [0])
        fcntl.ioctl(sock.fileno(), termios.FIONREAD, unread)
    except (OSError, struct.error):
        return -1  # not TCP (or closed): assume something moved
    return received - unread[0]


class SessionIO:
    """Calls into one libssh2 session, and waits for its socket, on behalf of
    any number of greenlets.

    :param session: A non-blocking :py:class:`ssh2.session.Session`.
    :param sock: The session's connected socket.
    """

    __slots__ = ("session", "sock", "_event", "_waiters")

    def __init__(self, session: Any, sock: Any) -> None:
        self.session = session
        self.sock = sock
        self._event = Event()
        self._waiters = 0

    def wait(self, timeout: float | None = None) -> None:
        """Wait until the socket is ready the way the session is blocked, or
        until another greenlet took data off it.

        :raises: :py:class:`pssh.exceptions.Timeout` after ``timeout`` seconds.
        """
        directions = self.session.block_directions()
        events = 0
        if directions & LIBSSH2_SESSION_BLOCK_INBOUND:
            events |= _READ
        if directions & LIBSSH2_SESSION_BLOCK_OUTBOUND:
            events |= _WRITE
        if not events:
            # libssh2 said "again" without naming a direction: yield, retry.
            gevent.sleep(0.001)
            return
        event = self._event
        watcher = get_hub().loop.io(self.sock.fileno(), events)
        watcher.start(self._fire, event)
        self._waiters += 1
        try:
            if not event.wait(timeout):
                raise Timeout("No activity for %s seconds", timeout)
        finally:
            self._waiters -= 1
            watcher.stop()

    def _fire(self, event: Event) -> None:
        if self._event is event:
            self._event = Event()
        event.set()

    def call(self, func: Callable[..., Any], *args: Any) -> Any:
        """``func(*args)``, waking the other waiters if it took data off the
        socket."""
        if not self._waiters:
            return func(*args)
        before = _consumed(self.sock)
        try:
            return func(*args)
        finally:
            if before < 0 or _consumed(self.sock) != before:
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


def try_read(read_func: Callable[[int], tuple[int, bytes]], size: int = 65536) -> bytes | None:
    """Read what is there without waiting (``None``: nothing yet; ``b''``: end)."""
    rc, data = read_func(size)
    if rc == EAGAIN:
        return None
    return data if rc > 0 else b""
