"""The windowed SFTP upload (:mod:`pssh.clients.native._sftp_window`) against a fake SFTP
handle that behaves as libssh2's ``sftp_write`` under ssh2-python: the buffer passed starts
at the first byte not acknowledged, whatever lies beyond what was sent becomes new requests,
and acknowledgements come back in pieces, or not yet (EAGAIN)."""

from __future__ import annotations

import io
import random
import tracemalloc

import pytest

from pssh.clients.native._eagain import EAGAIN
from pssh.clients.native._sftp_window import SFTP_PIECE, SFTP_REFILL, SFTP_WINDOW, upload
from pssh.exceptions import Timeout


class FakeHandle:
    """Records what reached the "server" and checks every call resends the right bytes.

    As libssh2: ``already`` bytes were made into requests and not returned as acknowledged;
    a buffer at least that long adds its bytes beyond them as new requests, a shorter one
    adds nothing. Acknowledgements returned are capped at the buffer's length, the rest
    kept for the next call."""

    def __init__(self, seed: int, request: int = 30000) -> None:
        self.rng = random.Random(seed)
        self.request = request
        self.sent = bytearray()  # every byte made into a request, in order
        self.server_acked = 0  # acknowledged by the server
        self.acked = 0  # returned to the caller as acknowledged
        self.most_in_flight = 0

    def write(self, buf: bytes) -> tuple[int, int]:
        already = len(self.sent) - self.acked
        # The buffer starts at the first byte not returned as acknowledged.
        seen = min(len(buf), already)
        assert buf[:seen] == self.sent[self.acked : self.acked + seen]
        if len(buf) >= already:
            self.sent += buf[already:]
        self.most_in_flight = max(self.most_in_flight, len(self.sent) - self.acked)
        # the server acknowledges some whole requests, perhaps none (a round trip not over)
        waiting = len(self.sent) - self.server_acked
        self.server_acked += min(waiting, self.request * self.rng.choice((0, 0, 1, 3, 20)))
        returned = min(self.server_acked - self.acked, len(buf))
        self.acked += returned
        if returned == len(buf):
            return returned, returned
        return EAGAIN, returned


class FakeConn:
    host = "fake-host"

    def __init__(self, timeout=None) -> None:
        self.timeout = timeout
        self.waits = 0

    def call(self, func, *args):
        return func(*args)

    def wait(self, timeout=None, *, read=None):
        self.waits += 1


@pytest.mark.parametrize("size", [0, 1, 29_999, 30_000, 1 << 20, 5 * (1 << 20) + 7])
@pytest.mark.parametrize("window,refill", [(SFTP_WINDOW, SFTP_REFILL), (65536, 16384), (1000, 1)])
def test_upload_sends_every_byte_in_order_within_the_window(size, window, refill):
    data = random.Random(size).randbytes(size)
    handle, conn = FakeHandle(seed=size + window), FakeConn()
    stats = upload(conn, handle.write, io.BytesIO(data).read, window, refill)
    assert bytes(handle.sent) == data
    assert handle.acked == stats.acked == size
    # memory is bounded: our buffer and the requests in flight never exceed the window
    assert stats.peak <= window
    assert handle.most_in_flight <= window
    if size > 4 * window:
        # refilled as acknowledgements came, not in drained rounds of ``window`` bytes
        assert handle.most_in_flight >= window - refill


def test_upload_refills_before_the_window_drains():
    """With acknowledgements arriving one request at a time, the window is topped up while
    requests are still in flight (the old chunked upload waited for all of them)."""
    data = bytes(range(256)) * 4096  # 1 MiB

    class OneAtATime(FakeHandle):
        low = None

        def write(self, buf):
            rc = super().write(buf)
            in_flight = len(self.sent) - self.server_acked
            if self.server_acked < len(data) - 65536:
                self.low = in_flight if self.low is None else min(self.low, in_flight)
            return rc

    handle = OneAtATime(seed=1, request=4096)
    handle.rng.choice = lambda options: 1  # one request acknowledged per call
    stats = upload(FakeConn(), handle.write, io.BytesIO(data).read, 65536, 16384)
    assert bytes(handle.sent) == data
    assert handle.low >= 65536 - 16384 - 4096
    assert stats.peak <= 65536


def test_calls_between_refills_pass_only_the_oldest_piece():
    """Collecting acknowledgements copies at most one piece, not the whole window."""
    data = random.Random(7).randbytes(3 << 20)
    handle = FakeHandle(seed=3)
    sizes = []

    def write(buf):
        sizes.append(len(buf))
        return handle.write(buf)

    upload(FakeConn(), write, io.BytesIO(data).read)
    assert bytes(handle.sent) == data
    small = [n for n in sizes if n <= SFTP_PIECE]
    assert len(small) > len(sizes) // 2


def test_upload_without_acknowledgements_times_out_naming_the_host():
    conn = FakeConn(timeout=0.2)
    with pytest.raises(Timeout) as caught:
        upload(conn, lambda buf: (EAGAIN, 0), io.BytesIO(b"x" * 100).read)
    assert caught.value.host == "fake-host"
    assert "fake-host" in str(caught.value)


def test_only_the_window_is_held_while_waiting():
    """While waiting for acknowledgements the upload holds the bytes in flight and no more
    (a refill's joined copy is dropped before the wait): Python memory traced at every wait
    stays within the window, for a file four times its size."""
    window = 1 << 20
    data = bytes(4 * window)
    counted = {"packetized": 0, "returned": 0, "calls": 0}

    def write(buf):  # as FakeHandle, keeping counts instead of the bytes
        counted["calls"] += 1
        already = counted["packetized"] - counted["returned"]
        if len(buf) >= already:
            counted["packetized"] += len(buf) - already
        if counted["calls"] % 3:
            return EAGAIN, 0  # nothing acknowledged yet: the upload waits
        returned = min(counted["packetized"] - counted["returned"], len(buf), 100_000)
        counted["returned"] += returned
        return (returned, returned) if returned == len(buf) else (EAGAIN, returned)

    seen = []

    class Watching(FakeConn):
        def wait(self, timeout=None, *, read=None):
            seen.append(tracemalloc.get_traced_memory()[0])

    source = io.BytesIO(data)
    tracemalloc.start()
    try:
        upload(Watching(), write, source.read, window, 128 << 10)
    finally:
        tracemalloc.stop()
    assert counted["returned"] == len(data)
    assert seen and max(seen) <= window + (64 << 10)
