"""SessionDriver (the tunnel forwarding engine) against a fake libssh2 session.

The fake behaves like libssh2 where it matters: any call on the session (a read or a write on
any channel, an open) takes every waiting packet off the session socket and queues each on its
channel, so the socket stops being readable although a channel still has data to give.
"""

from __future__ import annotations

from collections import deque

import gevent
import pytest
from gevent import socket
from ssh2.session import LIBSSH2_SESSION_BLOCK_INBOUND

from pssh.clients.native._eagain import EAGAIN
from pssh.clients.native._forward import PACKET, SessionDriver, _coalesce


class FakeChannel:
    def __init__(self, session: FakeSession, name: bytes) -> None:
        self.session, self.name = session, name
        self.queued: list[bytes] = []
        self.written = bytearray()
        self.eof_sent = self.closed = False

    def read(self, size: int = 65536) -> tuple[int, bytes]:
        self.session.transport()
        if not self.queued:
            return EAGAIN, b""
        data = self.queued.pop(0)
        return (len(data), data) if data else (0, b"")

    def write(self, data: bytes) -> tuple[int, int]:
        self.session.transport()
        self.written += data
        return 0, len(data)

    def send_eof(self) -> int:
        self.eof_sent = True
        return 0

    def close(self) -> int:
        self.closed = True
        return 0


class FakeSession:
    """Packets ``<name>:<data>\\n`` written to ``wire`` arrive on the session socket."""

    def __init__(self) -> None:
        self.sock, self.wire = socket.socketpair()
        self.sock.setblocking(False)
        self.channels: dict[bytes, FakeChannel] = {}
        self.calls = 0

    def transport(self) -> None:
        self.calls += 1
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return
        for packet in data.splitlines():
            name, _, payload = packet.partition(b":")
            self.channels[name].queued.append(payload)

    def block_directions(self) -> int:
        return LIBSSH2_SESSION_BLOCK_INBOUND

    def direct_tcpip_ex(self, host: str, port: int, shost: str, sport: int) -> FakeChannel:
        self.transport()
        channel = self.channels[host.encode()] = FakeChannel(self, host.encode())
        return channel


@pytest.fixture
def session():
    fake = FakeSession()
    driver = SessionDriver(fake, fake.sock)
    yield fake, driver
    driver.stop()
    fake.wire.close()
    fake.sock.close()


def attach(driver: SessionDriver, name: str) -> socket.socket:
    channel = driver.open_channel(name, 22, timeout=5)
    ours, theirs = socket.socketpair()
    driver.attach(channel, ours)
    return theirs


def test_data_taken_in_by_another_channel_is_delivered(session):
    fake, driver = session
    a, b = attach(driver, "a"), attach(driver, "b")
    with gevent.Timeout(5):
        # a's local side sends: the driver's write on channel a takes b's packet off the socket
        fake.wire.sendall(b"b:for-b\n")
        a.sendall(b"to-a")
        assert b.recv(100) == b"for-b"
        fake.wire.sendall(b"a:for-a\n")
        assert a.recv(100) == b"for-a"
    assert bytes(fake.channels[b"a"].written) == b"to-a"


def test_end_of_stream_both_ways(session):
    fake, driver = session
    local = attach(driver, "c")
    channel = fake.channels[b"c"]
    with gevent.Timeout(5):
        local.sendall(b"last words")
        local.shutdown(socket.SHUT_WR)
        fake.wire.sendall(b"c:reply\nc:\n")  # data, then the channel's end of stream
        assert local.recv(100) == b"reply"
        assert local.recv(100) == b""
        while not channel.closed:
            gevent.sleep(0.01)
    assert channel.eof_sent and bytes(channel.written) == b"last words"
    assert driver.forwards == []


def test_idle_driver_sleeps(session):
    fake, driver = session
    attach(driver, "d")
    gevent.sleep(0.05)
    before = fake.calls
    gevent.sleep(0.2)
    assert fake.calls == before  # no polling while nothing happens


def test_stop_closes_local_sockets_and_fails_opens(session):
    fake, driver = session
    local = attach(driver, "e")
    driver.stop()
    with gevent.Timeout(5):
        assert local.recv(100) == b""
    with pytest.raises(ConnectionResetError):
        driver.open_channel("f", 22, timeout=1)


def test_small_chunks_are_joined_into_one_packet():
    """Small chunks waiting for a channel go out as one write (one SSH packet) of at most
    PACKET bytes, in order; a chunk too large to join is left as it is."""
    queue = deque([b"a" * 100, b"b" * 200, b"c" * (PACKET - 300), b"d", b"e" * PACKET])
    first = _coalesce(queue)
    assert first == b"a" * 100 + b"b" * 200 + b"c" * (PACKET - 300)
    assert list(queue) == [first, b"d", b"e" * PACKET]
    queue.popleft()
    assert _coalesce(queue) == b"d"  # the next one does not fit with it
    assert list(queue) == [b"d", b"e" * PACKET]


def test_partial_writes_keep_the_order(session):
    """A channel whose window takes a few bytes per write gets every byte, in order."""
    fake, driver = session
    local = attach(driver, "w")
    channel = fake.channels[b"w"]
    full_write = channel.write

    def narrow_write(data):
        return full_write(data[:7])

    channel.write = narrow_write
    payload = b"".join(b"%06d" % i for i in range(20_000))
    with gevent.Timeout(10):
        for start in range(0, len(payload), 999):
            local.sendall(payload[start : start + 999])
        while len(channel.written) < len(payload):
            gevent.sleep(0.01)
    assert bytes(channel.written) == payload
