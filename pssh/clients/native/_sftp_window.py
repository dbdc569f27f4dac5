"""An SFTP upload that keeps a bounded window of write requests in flight.

libssh2's ``sftp_write`` turns the buffer it is given into 30000-byte SFTP write requests,
sends them, and returns as acknowledgements arrive; the caller passes the buffer again,
starting at the first byte not yet acknowledged. Whatever the buffer holds beyond what was
sent already becomes new requests. Writing a file chunk by chunk therefore drains the
pipeline at the end of every chunk: the last requests of a chunk are acknowledged before
the first of the next one leaves. That costs one round trip per chunk, and much more when a
hop on the way delays small segments (a proxy's ``sshd`` forwards to the target without
``TCP_NODELAY``: 40 ms per chunk measured, see ``bench/proxy_bench.py``).

:func:`upload` instead tops the buffer up from the file as acknowledgements come in, so
between :data:`SFTP_WINDOW` - :data:`SFTP_REFILL` and :data:`SFTP_WINDOW` bytes stay in
flight until the file ends. Memory is bounded: the buffer never holds more than the window
(:attr:`WindowStats.peak` records it), and libssh2 holds at most as much again in requests.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ...exceptions import Timeout
from ._connection import SSHConnection, WriteFunc

SFTP_WINDOW = 2 << 20
"""Bytes of a file in flight at most (sent, not yet acknowledged, or about to be sent).
OpenSSH's ``sftp`` keeps 64 requests of 32 KiB in flight, as much; the server's channel
window (2 MiB for OpenSSH) would hold back more anyway."""
SFTP_REFILL = 512 << 10
"""The buffer is topped up from the file once this much of the window was acknowledged:
local reads stay large, and at least ``SFTP_WINDOW - SFTP_REFILL`` bytes stay in flight."""


class WindowStats:
    """What one :func:`upload` did: ``peak`` (most bytes held in its buffer), ``calls``
    (libssh2 write calls), ``acked`` (bytes the server acknowledged)."""

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
    stats = WindowStats()
    call, wait, timeout = conn.call, conn.wait, conn.timeout
    pending = b""  # starts at the first byte not acknowledged yet
    done = 0  # bytes at the start of ``pending`` acknowledged since
    eof = False
    last_progress = time.monotonic()
    while True:
        if not eof and window - (len(pending) - done) >= refill:
            more = read_local(window - (len(pending) - done))
            eof = not more
            if done:  # one copy drops what was acknowledged and appends the new bytes
                pending = b"".join((memoryview(pending)[done:], more))
            elif more:
                pending += more
            done = 0
        elif done:
            pending = pending[done:]
            done = 0
        if not pending:
            return stats
        stats.peak = max(stats.peak, len(pending))
        stats.calls += 1
        result = call(write, pending)
        # ssh2-python returns (rc, acknowledged): all of ``pending``, or EAGAIN with part
        done = result[1]
        if done > 0:
            stats.acked += done
            last_progress = time.monotonic()
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
