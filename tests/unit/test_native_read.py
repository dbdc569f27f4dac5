"""The native client's output reads against a fake channel: a read of one
stream can move the other stream's data off the socket into libssh2's queue,
and the reader must then read again instead of waiting on an empty socket."""

from __future__ import annotations

import socket

import gevent
import pytest
from gevent.lock import RLock
from ssh2.session import LIBSSH2_SESSION_BLOCK_INBOUND

from pssh.clients.native._connection import Connection
from pssh.clients.native._eagain import EAGAIN
from pssh.clients.native._output import ChannelOutput, drain, read_chunk


class FakeSession:
    def block_directions(self):
        return LIBSSH2_SESSION_BLOCK_INBOUND


class StolenPacketChannel:
    """stdout has nothing at first; the first stderr read takes the packet
    carrying stdout's data off the socket (as libssh2 does), so from then on
    stdout data is queued although nothing arrives on the socket any more."""

    def __init__(self) -> None:
        self.queued: list[bytes] = []
        self.stderr_reads = 0
        self.at_eof = False

    def read(self, size):
        if self.queued:
            return 5, self.queued.pop(0)
        return (0, b"") if self.at_eof else (EAGAIN, b"")

    def read_stderr(self, size):
        self.stderr_reads += 1
        if self.stderr_reads == 1:
            self.queued.append(b"data\n")
            self.at_eof = True
            return EAGAIN, b""
        return 0, b""

    def poll_channel_read(self, extended):
        return 1 if self.queued else 0

    def eof(self):
        return self.at_eof and not self.queued


@pytest.fixture
def conn():
    """A native client's connection on a fake session."""
    a, b = socket.socketpair()
    yield Connection("fake", 22, FakeSession(), a, None, RLock())
    a.close()
    b.close()


def test_reader_reads_again_when_the_other_stream_took_its_data(conn):
    out = ChannelOutput(StolenPacketChannel())
    with gevent.Timeout(5):
        assert read_chunk(conn, out, out.stdout, None, "fake") == b"data\n"


def test_drain_reads_again_when_one_stream_took_the_others_data(conn):
    out = ChannelOutput(StolenPacketChannel())
    with gevent.Timeout(5):
        drain(conn, out, True, "fake")
    assert out.finished
    assert list(out.stdout.pending) == [b"data\n"]
