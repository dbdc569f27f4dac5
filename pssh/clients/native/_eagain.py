"""The one place that waits on libssh2's "try again" (EAGAIN).

Sessions are non-blocking: a libssh2 call that cannot go on returns
``LIBSSH2_ERROR_EAGAIN`` and the session tells which way the socket is blocked
(:py:meth:`ssh2.session.Session.block_directions`). We then wait for the
socket with gevent's hub (an io watcher: epoll underneath, so there is no
``select()`` limit on descriptor numbers) and call again. Nothing else in the
package names ``LIBSSH2_ERROR_EAGAIN``; a unit test checks that.

``timeout`` is a deadline for the whole call, not for one wait.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import gevent
from gevent import Timeout as GTimeout
from gevent.hub import get_hub
from ssh2.error_codes import LIBSSH2_ERROR_EAGAIN
from ssh2.session import LIBSSH2_SESSION_BLOCK_INBOUND, LIBSSH2_SESSION_BLOCK_OUTBOUND

from ...exceptions import Timeout

EAGAIN = LIBSSH2_ERROR_EAGAIN
_READ = 1  # libev EV_READ
_WRITE = 2  # libev EV_WRITE


def is_eagain(result: Any) -> bool:
    """Whether a libssh2 call's result (an int, a ``(rc, data)`` tuple or an
    object) says "try again"."""
    if result.__class__ is int:
        return result == EAGAIN
    if result.__class__ is tuple:
        return result[0] == EAGAIN
    return False


def wait_socket(session: Any, sock: Any, timeout: float | None = None) -> None:
    """Wait until ``sock`` is ready the way ``session`` is blocked.

    :raises: :py:class:`pssh.exceptions.Timeout` after ``timeout`` seconds.
    """
    directions = session.block_directions()
    events = 0
    if directions & LIBSSH2_SESSION_BLOCK_INBOUND:
        events |= _READ
    if directions & LIBSSH2_SESSION_BLOCK_OUTBOUND:
        events |= _WRITE
    if not events:
        # libssh2 said "again" without naming a direction: yield and retry.
        gevent.sleep(0.001)
        return
    hub = get_hub()
    watcher = hub.loop.io(sock.fileno(), events)
    if timeout is None:
        hub.wait(watcher)
        return
    with GTimeout(timeout, Timeout("No activity for %s seconds", timeout)):
        hub.wait(watcher)


def eagain(
    session: Any, sock: Any, func: Callable[..., Any], *args: Any, timeout: float | None = None
) -> Any:
    """Call ``func(*args)`` until it stops answering EAGAIN; return its result.

    :raises: :py:class:`pssh.exceptions.Timeout` when ``timeout`` seconds pass first.
    """
    result = func(*args)
    if not is_eagain(result):
        return result
    with _deadline(timeout):
        while is_eagain(result):
            wait_socket(session, sock)
            result = func(*args)
    return result


def eagain_write(
    session: Any,
    sock: Any,
    write_func: Callable[[bytes], tuple[int, int]],
    data: bytes,
    timeout: float | None = None,
) -> None:
    """Write all of ``data`` with ``write_func``, resuming from the last byte
    written after every partial write or EAGAIN. Callers pass chunks of at
    most a few hundred KiB, so the slice after a partial write stays cheap."""
    with _deadline(timeout):
        while data:
            rc, written = write_func(data)
            if written > 0:
                data = data[written:]
            if rc == EAGAIN and data:
                wait_socket(session, sock)


def iter_read(
    session: Any,
    sock: Any,
    read_func: Callable[[int], tuple[int, bytes]],
    size: int = 65536,
    timeout: float | None = None,
) -> Iterator[bytes]:
    """Yield chunks from ``read_func(size)`` until it returns 0 (end of stream).

    ``timeout`` bounds the wait for each chunk.
    """
    while True:
        rc, data = read_func(size)
        if rc == EAGAIN:
            with _deadline(timeout):
                while rc == EAGAIN:
                    wait_socket(session, sock)
                    rc, data = read_func(size)
        if rc <= 0:
            return
        yield data


def read_chunk(
    session: Any,
    sock: Any,
    read_func: Callable[[int], tuple[int, bytes]],
    size: int = 65536,
    timeout: float | None = None,
) -> bytes:
    """Read one chunk, waiting for it; ``b''`` at end of stream."""
    rc, data = read_func(size)
    if rc == EAGAIN:
        with _deadline(timeout):
            while rc == EAGAIN:
                wait_socket(session, sock)
                rc, data = read_func(size)
    return data if rc > 0 else b""


def try_read(read_func: Callable[[int], tuple[int, bytes]], size: int = 65536) -> bytes | None:
    """Read what is there without waiting: ``None`` when nothing is yet,
    ``b''`` at end of stream."""
    rc, data = read_func(size)
    if rc == EAGAIN:
        return None
    return data if rc > 0 else b""


class _deadline:
    """A gevent timeout raising :py:class:`pssh.exceptions.Timeout`, or nothing."""

    __slots__ = ("_seconds", "_timer")

    def __init__(self, seconds: float | None) -> None:
        self._seconds = seconds
        self._timer: GTimeout | None = None

    def __enter__(self) -> None:
        if self._seconds is not None:
            exc = Timeout("No activity for %s seconds", self._seconds)
            self._timer = GTimeout(self._seconds, exc)
            self._timer.start()

    def __exit__(self, *exc_info: Any) -> None:
        if self._timer is not None:
            self._timer.close()
