"""An SFTP upload that keeps a bounded window of write requests in flight.

libssh2's ``sftp_write`` turns the buffer it is given into 30000-byte SFTP write requests,
sends them, and returns as acknowledgements arrive; the caller passes the buffer again,
starting at the first byte not yet acknowledged. Whatever the buffer holds beyond what was
sent already becomes new requests. Writing a file chunk by chunk therefore drains the
pipeline at the end of every chunk: the last requests of a chunk are acknowledged before
the first of the next one leaves. That costs a round trip per chunk, and more where a hop
delays the last small segment of a burst: through a proxy host each 2 MiB chunk cost a fixed
~40 ms on top of its transfer (``bench/proxy_bench.py``; 512 KiB chunks cost the same 40 ms,
8 MiB ones too), which held uploads through a proxy to 25-30 MB/s.

:func:`upload` instead tops the window up from the file as acknowledgements come in, so
between :data:`SFTP_WINDOW` - :data:`SFTP_REFILL` and :data:`SFTP_WINDOW` bytes stay in
flight until the file ends. Memory is bounded: the file's bytes in flight never exceed the
window (:attr:`WindowStats.peak` records it), libssh2 holds as much again in requests, and
a refill briefly holds one joined copy (libssh2 wants the bytes in flight and the new ones
in one buffer). Between refills the calls that only collect acknowledgements pass the
oldest piece read from the file (a buffer shorter than what is in flight makes libssh2
send nothing new), so they copy at most :data:`SFTP_PIECE` bytes.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from ...exceptions import Timeout
from ._connection import SSHConnection, WriteFunc

SFTP_WINDOW = 2 << 20
"""Bytes of a file in flight at most (sent, not yet acknowledged, or about to be sent).
OpenSSH's ``sftp`` keeps 64 requests of 32 KiB in flight, as much; the server's channel
window (2 MiB for OpenSSH) would hold back more anyway."""
SFTP_REFILL = 128 << 10
"""The window is topped up from the file once this much of it was acknowledged, so at least
``SFTP_WINDOW - SFTP_REFILL`` bytes stay in flight. Through a 20 ms round trip 128 KiB moved
40 MB/s against 35 MB/s with 512 KiB (medians of 4, alternating), for no client CPU per MB
that the runs could tell apart, although each refill copies the window once."""
SFTP_PIECE = 128 << 10
"""Bytes per local read: the calls that only collect acknowledgements pass the rest of the
oldest piece, so they copy at most this much."""


class WindowStats:
    """What one :func:`upload` did: ``peak`` (most file bytes in flight, all held by libssh2
    as requests and by us until acknowledged; a refill briefly holds one joined copy more),
    ``calls`` (write calls), ``acked`` (bytes the server acknowledged)."""

    __slots__ = ("peak", "calls", "acked")

    def __init__(self) -> None:
        self.peak = self.calls = self.acked = 0


def upload(
    conn: SSHConnection,
    write: WriteFunc,
    read_local: Callable[[int], bytes],
    window: int = SFTP_WINDOW,
    refill: int = SFTP_REFILL,
) -> WindowStats:
    """Write everything ``read_local(size)`` returns (until it returns ``b''``) with an SFTP
    handle's ``write``, keeping up to ``window`` bytes in flight.

    :param conn: the client's connection: its waits and its ``timeout``, the longest time
      without any acknowledgement before the upload fails.
    :param write: :py:meth:`ssh2.sftp_handle.SFTPHandle.write` of the open remote file.
    :param read_local: reads at most ``size`` bytes of the local file.
    :param window: bytes in flight at most; ``refill``: see :data:`SFTP_REFILL`.
    :raises: :py:class:`pssh.exceptions.Timeout` naming the host after ``timeout`` seconds
      without progress; the write's own errors (an SFTP refusal) as libssh2 raises them.
    """
    window = max(1, window)
    refill = min(max(1, refill), window)
    piece = min(SFTP_PIECE, window)
    stats = WindowStats()
    call, wait, timeout = conn.call, conn.wait, conn.timeout
    # The bytes handed to libssh2 and not acknowledged yet, as read from the file: every
    # byte of ``held`` is in flight (libssh2 turns all it is given into requests at once).
    held: deque[bytes] = deque()
    start = 0  # acknowledged bytes at the start of held[0]
    in_flight = 0
    eof = False
    last_progress = time.monotonic()
    while True:
        new: list[bytes] = []
        adding = 0
        while not eof and window - in_flight - adding >= refill:
            more = read_local(min(piece, window - in_flight - adding))
            new.append(more)
            adding += len(more)
            eof = not more
        if adding:
            # libssh2 takes new requests from the bytes after those in flight, so the
            # buffer starts at the first unacknowledged byte: one copy per refill.
            parts: list[bytes | memoryview] = list(held)
            if parts:
                parts[0] = memoryview(held[0])[start:]
            parts.extend(new)
            buf = b"".join(parts)
            held.extend(more for more in new if more)
            in_flight += adding
        elif held:
            # Nothing to add: collect acknowledgements. A buffer shorter than what is in
            # flight makes no new requests; libssh2 returns at most its length acknowledged
            # and keeps the rest for the next call. Only the oldest piece is passed.
            buf = held[0][start:] if start else held[0]
        else:
            return stats
        stats.peak = max(stats.peak, in_flight)
        stats.calls += 1
        result = call(write, buf)
        buf = b""  # a refill's joined copy is not kept while waiting: only ``held`` is
        # ssh2-python returns (rc, acknowledged): all of ``buf``, or EAGAIN with part
        done = result[1]
        if done > 0:
            stats.acked += done
            in_flight -= done
            last_progress = time.monotonic()
            start += done
            while held and start >= len(held[0]):
                start -= len(held.popleft())
        else:  # EAGAIN with nothing acknowledged: wait for the socket
            left = None if timeout is None else timeout - (time.monotonic() - last_progress)
            try:
                if left is not None and left <= 0:
                    raise Timeout("no acknowledgement")
                wait(left)
            except Timeout:
                raise Timeout(
                    "Timed out after %s seconds waiting on host %s", timeout, conn.host,
                    host=conn.host,
                ) from None  # fmt: skip
