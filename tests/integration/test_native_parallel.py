"""The native parallel client against several real sshd hosts."""

from __future__ import annotations

import functools
import socket
import time

import gevent
import pytest

from pssh.clients import ParallelSSHClient
from pssh.clients.native import ParallelSSHClient as NativeParallel
from pssh.clients.native.parallel import ParallelSSHClient as NativeParallelModule
from pssh.exceptions import (
    Timeout,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def make_client(client_factory, sshd):
    return functools.partial(client_factory, ParallelSSHClient, pkey=sshd.pkey)


def test_default_client_is_native():
    assert ParallelSSHClient is NativeParallel is NativeParallelModule


def test_connections_are_lazy_and_reused(make_client, sshd):
    client = make_client()
    assert client.host_clients == {}
    client.join(client.run_command("true"))
    first = {h: c for h, c in client.host_clients.items()}
    socks = {h: c.sock.getsockname() for h, c in first.items()}
    output = client.run_command("echo $SSH_CONNECTION")
    client.join(output)
    assert client.host_clients == first
    for host, out in output.items():
        # same TCP connection: the client's source port is unchanged
        assert int(list(out.stdout)[0].split()[1]) == socks[host][1]


@pytest.mark.parametrize("pool_size", [1, 2, 4])
def test_pool_size_bounds_concurrency(make_client, pool_size):
    client = make_client(pool_size=pool_size)
    active, peak = [0], [0]
    connect = client._make_ssh_client

    def counting(host):
        active[0] += 1
        peak[0] = max(peak[0], active[0])
        try:
            gevent.sleep(0.05)  # let the other tasks run if the pool lets them
            return connect(host)
        finally:
            active[0] -= 1

    client._make_ssh_client = counting
    output = client.run_command("true")
    client.join(output)
    assert len(output) == 4
    assert peak[0] == pool_size


def test_join_timeout_then_output_still_readable(make_client):
    client = make_client()
    output = client.run_command("echo before; sleep 2; echo after")
    with pytest.raises(Timeout):
        client.join(output, timeout=0.5)
    assert not client.finished(output)
    client.join(output)
    for out in output.values():
        assert list(out.stdout) == ["before", "after"]
        assert out.exit_code == 0


def test_join_timeout_is_total(make_client):
    client = make_client()
    output = client.run_command("sleep 1")
    started = time.monotonic()
    client.join(output, timeout=10)
    assert time.monotonic() - started < 9
    assert [o.exit_code for o in output.values()] == [0] * 4


def test_read_timeout_and_reset_output_generators(make_client):
    client = make_client()
    output = client.run_command("echo one; sleep 3; echo two", timeout=0.3)
    seen = {host: [] for host in output}
    for host, out in output.items():
        with pytest.raises(Timeout) as info:
            for line in out.stdout:
                seen[host].append(line)
        assert info.value.host == out.host
        client.reset_output_generators(out)
    client.join(output)
    for host, out in output.items():
        seen[host].extend(out.stdout)
        assert seen[host] == ["one", "two"]


def test_one_host_does_not_wait_for_another(make_client, sshd):
    slow_host, fast_host = sshd.hosts[:2]
    client = make_client(hosts=[slow_host, fast_host])
    output = client.run_command("%s", host_args=("sleep 5; echo slow", "echo fast"))
    assert list(output[fast_host].stdout) == ["fast"]
    # the fast host's output was complete while the slow host's command still ran
    assert not client.finished({slow_host: output[slow_host]})
    client.join(output)
    assert list(output[slow_host].stdout) == ["slow"]


def test_greenlet_timeout_raises_gevent_timeout(make_client, sshd):
    # a server that accepts the connection and never speaks: the handshake hangs
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)
    try:
        client = make_client(hosts=["127.0.0.1"], port=silent.getsockname()[1])
        with pytest.raises(gevent.Timeout):
            client.run_command("true", greenlet_timeout=0.5, stop_on_errors=False)
    finally:
        silent.close()


def test_close_channel_with_pty_then_join(make_client):
    client = make_client()
    output = client.run_command("tail -f /dev/null", use_pty=True, timeout=0.3)
    for out in output.values():
        with pytest.raises(Timeout):
            list(out.stdout)
    for host, out in output.items():
        client.host_clients[host].close_channel(out.channel)
    client.join(output, timeout=10)


def test_many_hosts(sshd_many):
    client = ParallelSSHClient(
        list(sshd_many.hosts),
        port=sshd_many.port,
        user=sshd_many.user,
        pkey=sshd_many.pkey,
        num_retries=1,
        pool_size=100,
    )
    output = client.run_command("echo hi")
    client.join(output)
    assert len(output) == 100
    assert all(list(o.stdout) == ["hi"] and o.exit_code == 0 for o in output.values())
