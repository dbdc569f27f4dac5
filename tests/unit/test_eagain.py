"""SessionIO against a fake session: EAGAIN loops, resumed writes, timeouts,
and waking the other waiters of a session."""

from __future__ import annotations

import socket

import gevent
import pytest
from ssh2.session import LIBSSH2_SESSION_BLOCK_INBOUND

from pssh.clients.native._eagain import EAGAIN, FALLBACK_TICK, SessionIO, is_eagain
from pssh.exceptions import Timeout


class FakeSession:
    def block_directions(self):
        return LIBSSH2_SESSION_BLOCK_INBOUND


@pytest.fixture
def pair():
    """Two ends of a loopback TCP connection (SessionIO counts TCP bytes)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        a = socket.create_connection(server.getsockname())
        b, _ = server.accept()
    yield a, b
    a.close()
    b.close()


def test_is_eagain_shapes():
    assert is_eagain(EAGAIN)
    assert is_eagain((EAGAIN, b""))
    assert not is_eagain(0)
    assert not is_eagain((5, b"abcde"))
    assert not is_eagain(object())


def test_eagain_retries_until_result(pair):
    ours, theirs = pair
    io = SessionIO(FakeSession(), ours)
    results = [EAGAIN, EAGAIN, 7]

    def func():
        return results.pop(0)

    theirs.send(b"x")  # readable: every wait returns at once
    assert io.eagain(func) == 7
    assert results == []


def test_eagain_timeout(pair):
    ours, _ = pair
    io = SessionIO(FakeSession(), ours)
    with pytest.raises(Timeout):
        io.eagain(lambda: EAGAIN, timeout=0.2)


def test_write_resumes_after_partial_writes(pair):
    ours, theirs = pair
    theirs.send(b"x")
    io = SessionIO(FakeSession(), ours)
    got = []
    answers = [(EAGAIN, 0), (EAGAIN, 3), (0, 4), (0, 3)]

    def write(data):
        rc, n = answers.pop(0)
        got.append(data[:n])
        return rc, n

    io.write(write, b"0123456789")
    assert b"".join(got) == b"0123456789"


def test_read_and_try_read(pair):
    ours, theirs = pair
    theirs.send(b"x")
    io = SessionIO(FakeSession(), ours)
    answers = [(EAGAIN, b""), (3, b"abc"), (0, b""), (EAGAIN, b"")]
    read = lambda size: answers.pop(0)  # noqa: E731
    assert io.read(read) == b"abc"
    assert io.read(read) == b""
    assert io.try_read(read) is None


def test_a_waiter_is_woken_when_another_takes_data_off_the_socket(pair):
    ours, theirs = pair
    io = SessionIO(FakeSession(), ours)
    woken = []

    def waiter():
        io.wait(timeout=5)
        woken.append(True)

    job = gevent.spawn(waiter)
    gevent.sleep(0.05)
    assert not woken
    theirs.send(b"data")
    # Another greenlet drains the socket before the hub saw it readable:
    io.call(lambda: ours.recv(100))
    job.join(timeout=5)
    assert woken == [True]


def test_a_call_taking_nothing_wakes_nobody(pair):
    ours, _ = pair
    io = SessionIO(FakeSession(), ours)
    job = gevent.spawn(io.wait, 0.3)
    gevent.sleep(0.05)
    io.call(lambda: None)  # reads nothing
    with pytest.raises(Timeout):
        job.get()


# -- sockets without TCP_INFO (a ProxyCommand's socket pair) -------------------------------


@pytest.fixture
def unix_pair():
    a, b = socket.socketpair()
    yield a, b
    a.close()
    b.close()


def test_without_tcp_info_a_drained_socket_still_wakes_the_waiter(unix_pair):
    ours, theirs = unix_pair
    io = SessionIO(FakeSession(), ours)
    assert io._tick == FALLBACK_TICK  # no TCP_INFO on a UNIX socket: the fallback count
    woken = []

    def waiter():
        io.wait()
        woken.append(True)

    theirs.send(b"data")
    job = gevent.spawn(waiter)
    # The other greenlet drains the socket before the hub runs the waiter: FIONREAD fell.
    io.call(lambda: ours.recv(100))
    job.join(timeout=5)
    assert woken == [True]


def test_without_tcp_info_waiters_look_again_after_a_tick(unix_pair):
    ours, _ = unix_pair
    io = SessionIO(FakeSession(), ours)
    calls = []

    def func():
        calls.append(1)
        return EAGAIN if len(calls) < 4 else "done"

    # Nothing ever becomes readable, yet the call is retried once per tick.
    assert io.eagain(func, timeout=5) == "done"
    assert len(calls) == 4


def test_wait_without_reading_ends_only_on_wake(pair):
    ours, theirs = pair
    io = SessionIO(FakeSession(), ours)
    theirs.send(b"unread")  # readable, but the caller said reading does not matter
    job = gevent.spawn(io.wait, 0.3, read=False)
    gevent.sleep(0.05)
    assert not job.dead
    io.wake()
    job.join(timeout=5)
    assert job.successful()
    with pytest.raises(Timeout):
        io.wait(0.1, read=False)
