"""Reaching hosts through a proxy (bastion) with the native client, against real sshd servers.

How the tests know the targets were reached *through* the proxy:

* ``debug_proxy`` is a private proxy sshd logging at DEBUG1 after authentication
  (``Match all`` / ``LogLevel DEBUG1``), so its log has one
  ``server_request_direct_tcpip: ... target <host> port <port>`` line per forwarded
  connection, and one ``Accepted publickey`` line per SSH connection made to it;
* ``isolated`` runs a proxy and four targets inside a network namespace made by the test: the
  targets listen on the namespace's own loopback (127.0.0.2-5), which nothing outside it can
  reach, and the proxy is reachable from here only over a veth pair (10.200.N.0/30). Commands
  report the network namespace they ran in.
"""

from __future__ import annotations

import gc
import hashlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterator

import gevent
import pytest
from embedded_server import server as embedded_server
from embedded_server.openssh import ServerConfig, ServerGroup, free_port, host_addresses

from pssh.clients.native import ParallelSSHClient, SSHClient
from pssh.clients.native.tunnel import ProxyConnection, Tunnel
from pssh.exceptions import ConnectionErrorException, ProxyError, Timeout

pytestmark = pytest.mark.integration

FORWARD_RE = re.compile(
    r"server_request_direct_tcpip: originator \S+ port \d+, target (\S+) port (\d+)"
)
GUARD = 60  # seconds: a hung test fails instead of blocking the run


# -- helpers -------------------------------------------------------------------------------


class LogWatch:
    """What a server log gained since this object was made."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.offset = os.path.getsize(path)

    def text(self) -> str:
        with open(self.path, "rb") as fh:
            fh.seek(self.offset)
            return fh.read().decode("utf-8", "replace")

    def forwards(self) -> list[tuple[str, int]]:
        return [(host, int(port)) for host, port in FORWARD_RE.findall(self.text())]

    def logins(self) -> int:
        text = self.text()
        return text.count("Accepted publickey for ") + text.count("Accepted password for ")


def proxy_args(proxy: ServerConfig, **overrides) -> dict:
    args = dict(proxy_host=proxy.host, proxy_port=proxy.port, proxy_user=proxy.user,
                proxy_pkey=proxy.pkey)  # fmt: skip
    args.update(overrides)
    return args


@pytest.fixture
def make_client(sshd) -> Iterator:
    made: list[ParallelSSHClient] = []

    def make(proxy: ServerConfig, hosts=None, **kwargs) -> ParallelSSHClient:
        for key, value in proxy_args(proxy).items():
            kwargs.setdefault(key, value)
        kwargs.setdefault("port", sshd.port)
        kwargs.setdefault("user", sshd.user)
        kwargs.setdefault("pkey", sshd.pkey)
        kwargs.setdefault("num_retries", 1)
        kwargs.setdefault("timeout", 20)
        client = ParallelSSHClient(list(sshd.hosts) if hosts is None else hosts, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.disconnect()


@pytest.fixture
def debug_proxy(sshd_factory) -> ServerConfig:
    """A private proxy sshd whose log shows every forwarded connection."""
    group = sshd_factory(1, first="127.0.0.60", extra_config=["Match all", "LogLevel DEBUG1"])
    return group.config()


def connections_to(host: str, port: int, pid: int | None = None) -> int:
    """Established TCP connections to ``host:port`` (owned by ``pid``, if given)."""
    out = subprocess.run(
        ["ss", "-Htnp", "state", "established", "dst", f"{host}:{port}"],
        capture_output=True, text=True, check=True, timeout=10,
    ).stdout  # fmt: skip
    lines = [line for line in out.splitlines() if line.strip()]
    if pid is not None:
        lines = [line for line in lines if f"pid={pid}," in line]
    return len(lines)


def run_ok(client: ParallelSSHClient, command: str, **kwargs) -> dict[str, list[str]]:
    with gevent.Timeout(GUARD):
        output = client.run_command(command, **kwargs)
        lines = {key: list(out.stdout) for key, out in output.items()}
        client.join(output)
    for key, out in output.items():
        assert out.exception is None, (key, out.exception)
        assert out.exit_code == 0, (key, lines[key])
    return lines


# -- reaching targets through one proxy connection ------------------------------------------


def test_commands_reach_every_target_through_the_proxy(make_client, sshd, debug_proxy):
    log = LogWatch(debug_proxy.log_path)
    me = os.getpid()
    # other tests' clients in this process may still hold connections: count ours only
    before = {host: connections_to(host, sshd.port, me) for host in sshd.hosts}
    client = make_client(debug_proxy)
    lines = run_ok(client, "echo $SSH_CONNECTION")
    assert sorted(lines) == sorted(sshd.hosts)
    for host, out in lines.items():
        # the target saw a connection to its own address and port
        assert out[0].split()[2:] == [host, str(sshd.port)]
    assert sorted(log.forwards()) == sorted((host, sshd.port) for host in sshd.hosts)
    assert log.logins() == 1
    assert client._proxy is not None and client._proxy.connections == 1
    # this client made one TCP connection, to the proxy, and none to the targets
    assert connections_to(debug_proxy.host, debug_proxy.port, me) == 1
    assert {host: connections_to(host, sshd.port, me) for host in sshd.hosts} == before


def test_connections_are_reused_across_commands(make_client, sshd, debug_proxy):
    log = LogWatch(debug_proxy.log_path)
    client = make_client(debug_proxy)
    first = run_ok(client, "echo $SSH_CONNECTION")
    second = run_ok(client, "echo $SSH_CONNECTION")
    assert first == second  # same target connections (same source ports)
    assert len(log.forwards()) == len(sshd.hosts)
    assert log.logins() == 1


def test_each_host_listed_several_times(make_client, sshd, debug_proxy):
    log = LogWatch(debug_proxy.log_path)
    hosts = list(sshd.hosts) * 3
    client = make_client(debug_proxy, hosts=hosts, pool_size=len(hosts))
    with gevent.Timeout(GUARD):
        output = client.run_command("echo $SSH_CONNECTION")
        client.join(output, consume_output=True)
    assert len(output) == len(hosts)
    assert sorted(out.host for out in output.values()) == sorted(hosts)
    assert all(out.exception is None and out.exit_code == 0 for out in output.values())
    assert {host for host, _port in log.forwards()} == set(sshd.hosts)
    assert log.logins() == 1


def test_hundred_targets_at_once_through_one_proxy(sshd_many, debug_proxy):
    log = LogWatch(debug_proxy.log_path)
    client = ParallelSSHClient(
        list(sshd_many.hosts), port=sshd_many.port, user=sshd_many.user, pkey=sshd_many.pkey,
        num_retries=1, timeout=60, pool_size=len(sshd_many.hosts), **proxy_args(debug_proxy),
    )  # fmt: skip
    try:
        lines = run_ok(client, "echo $SSH_CONNECTION")
        assert all(lines[host][0].split()[2] == host for host in sshd_many.hosts)
        assert sorted(log.forwards()) == sorted((h, sshd_many.port) for h in sshd_many.hosts)
        assert log.logins() == 1
        assert connections_to(debug_proxy.host, debug_proxy.port, os.getpid()) == 1
    finally:
        client.disconnect()


def test_copy_files_both_ways_through_the_proxy(make_client, sshd, debug_proxy, remote_dir):
    client = make_client(debug_proxy)
    data = os.urandom(3 * 1024 * 1024 + 17)
    with tempfile.TemporaryDirectory() as local_dir:
        local = os.path.join(local_dir, "payload.bin")
        with open(local, "wb") as fh:
            fh.write(data)
        remote = os.path.join(remote_dir, "copy-%(host)s.bin")
        args = [{"host": host} for host in sshd.hosts]
        with gevent.Timeout(GUARD):
            gevent.joinall(client.copy_file(local, remote, copy_args=args), raise_error=True)
        for host in sshd.hosts:  # the remote side is this machine
            with open(remote % {"host": host}, "rb") as fh:
                assert fh.read() == data
        back = os.path.join(local_dir, "back")
        with gevent.Timeout(GUARD):
            greenlets = client.copy_remote_file(remote_dir + "/copy-127.0.0.2.bin", back)
            gevent.joinall(greenlets, raise_error=True)
        with open(back + "_127.0.0.2", "rb") as fh:
            assert hashlib.sha256(fh.read()).digest() == hashlib.sha256(data).digest()


def test_large_output_through_the_proxy(make_client, sshd, debug_proxy):
    client = make_client(debug_proxy)
    size = 200_000 * 100  # 20 MB of 100-byte lines
    with gevent.Timeout(GUARD):
        output = client.run_command("yes %s | head -c %d" % ("x" * 99, size))
        got = {host: sum(len(line) + 1 for line in out.stdout) for host, out in output.items()}
        client.join(output)
    assert got == {host: size for host in sshd.hosts}


def test_proxy_credentials_are_separate(make_client, sshd, proxy_sshd):
    """Targets log in with the key, the proxy with its own password (and no key)."""
    assert proxy_sshd.password
    proxy_log, target_log = LogWatch(proxy_sshd.log_path), LogWatch(sshd.log_path)
    client = make_client(
        proxy_sshd, proxy_pkey=None, proxy_password=proxy_sshd.password, allow_agent=False
    )
    run_ok(client, "true")
    wait_for(lambda: target_log.text().count("Accepted publickey for") == len(sshd.hosts))
    wait_for(lambda: "Accepted password for %s" % proxy_sshd.user in proxy_log.text())
    assert "Accepted publickey for" not in proxy_log.text()
    assert "Accepted password for" not in target_log.text()


def test_disconnect_closes_the_proxy_connection(make_client, sshd, debug_proxy):
    client = make_client(debug_proxy)
    run_ok(client, "true")
    proxy = client._proxy
    assert proxy is not None and proxy.driver is not None
    driver = proxy.driver
    assert len(driver.forwards) == len(sshd.hosts)
    client.disconnect()
    assert client._proxy is None and proxy.driver is None
    assert driver.forwards == [] and driver.error is not None
    assert connections_to(debug_proxy.host, debug_proxy.port, os.getpid()) == 0
    # used again, the client connects again (one new proxy connection)
    log = LogWatch(debug_proxy.log_path)
    run_ok(client, "true")
    assert log.logins() == 1


def test_dropped_client_closes_the_proxy_connection(sshd, debug_proxy):
    client = ParallelSSHClient(list(sshd.hosts), port=sshd.port, user=sshd.user, pkey=sshd.pkey,
                               num_retries=1, timeout=20, **proxy_args(debug_proxy))  # fmt: skip
    run_ok(client, "true")
    assert connections_to(debug_proxy.host, debug_proxy.port, os.getpid()) == 1
    del client
    gc.collect()
    gevent.sleep(0.1)
    assert connections_to(debug_proxy.host, debug_proxy.port, os.getpid()) == 0


def owners_of(local: tuple[str, int], remote: tuple[str, int]) -> set[int]:
    """Pids owning the established TCP socket ``local`` -> ``remote``."""
    out = subprocess.run(
        ["ss", "-Htnp", "state", "established", "src", "%s:%d" % local, "dst", "%s:%d" % remote],
        capture_output=True, text=True, check=True, timeout=10,
    ).stdout  # fmt: skip
    return {int(pid) for pid in re.findall(r"pid=(\d+),", out)}


def test_dropped_proxy_connection_is_made_again(sshd, debug_proxy):
    proxy = ProxyConnection(debug_proxy.host, port=debug_proxy.port, user=debug_proxy.user,
                            pkey=debug_proxy.pkey, num_retries=1, timeout=20)  # fmt: skip
    try:
        with gevent.Timeout(GUARD):
            first = proxy.socket_to(sshd.host, sshd.port)
            assert first.recv(100).startswith(b"SSH-2.0-")  # the target's banner
            assert proxy.client is not None
            ours = proxy.client.sock.getsockname()
            pids = owners_of((debug_proxy.host, debug_proxy.port), ours)
            assert pids
            for pid in pids:  # the proxy's processes serving this connection
                os.kill(pid, 9)
            while first.recv(65536):  # the target's key exchange offer, then the end:
                pass  # the tunnel ended with the connection
            second = proxy.socket_to(sshd.host, sshd.port)
            assert second.recv(100).startswith(b"SSH-2.0-")
        assert proxy.connections == 2
        second.close()
        first.close()
    finally:
        proxy.close()


# -- errors ----------------------------------------------------------------------------------


def test_proxy_down(make_client, sshd, proxy_sshd):
    down = proxy_sshd._replace(port=free_port([proxy_sshd.host]))
    client = make_client(down)
    with gevent.Timeout(GUARD), pytest.raises(ProxyError) as caught:
        client.run_command("true")
    exc = caught.value
    assert exc.host in sshd.hosts
    assert f"{down.host}:{down.port}" in str(exc) and exc.host in str(exc)
    assert isinstance(exc.__cause__, ConnectionErrorException)

    with gevent.Timeout(GUARD):
        output = client.run_command("true", stop_on_errors=False)
    assert sorted(output) == sorted(sshd.hosts)
    for host, out in output.items():
        assert isinstance(out.exception, ProxyError)
        assert out.exception.host == host and host in str(out.exception)


def test_proxy_authentication_failure(make_client, sshd, proxy_sshd, tmp_path):
    stranger = str(tmp_path / "stranger")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", stranger], check=True)
    log = LogWatch(proxy_sshd.log_path)
    client = make_client(proxy_sshd, proxy_pkey=stranger, allow_agent=False)
    with gevent.Timeout(GUARD):
        output = client.run_command("true", stop_on_errors=False)
    for host, out in output.items():
        assert isinstance(out.exception, ProxyError), out.exception
        assert out.exception.host == host
        assert f"proxy {proxy_sshd.host}:{proxy_sshd.port}" in str(out.exception)
        assert "uthentication" in str(out.exception)
    # hosts asking at the same time share the one failed attempt
    assert log.text().count("Connection from ") == 1
    with gevent.Timeout(GUARD), pytest.raises(ProxyError):
        client.run_command("true")


def test_target_down_behind_a_working_proxy(make_client, sshd, debug_proxy):
    dead = "127.0.0.9"
    dead_port = free_port([dead])
    client = make_client(debug_proxy, hosts=[*sshd.hosts, dead],
                         host_config={dead: {"port": dead_port}})  # fmt: skip
    with gevent.Timeout(GUARD):
        output = client.run_command("echo ok", stop_on_errors=False)
        client.join(output)
    failed = output[dead].exception
    assert isinstance(failed, (ProxyError, ConnectionErrorException))
    assert failed.host == dead and f"{dead}:{dead_port}" in str(failed)
    for host in sshd.hosts:
        assert output[host].exception is None and list(output[host].stdout) == ["ok"]
        assert output[host].exit_code == 0
    assert client._proxy.connections == 1  # the proxy connection survived


def test_silent_proxy_bounded_by_tunnel_timeout(make_client, proxy_sshd):
    """A proxy that accepts TCP connections and never speaks."""
    listener = gevent.socket.socket()
    listener.bind(("127.0.0.61", 0))
    listener.listen(50)
    silent = proxy_sshd._replace(host="127.0.0.61", port=listener.getsockname()[1])
    try:
        client = make_client(silent, tunnel_timeout=1, timeout=None)
        with gevent.Timeout(GUARD):
            output = client.run_command("true", stop_on_errors=False)
        for host, out in output.items():
            # a proxy that times out is a Timeout, as in 1.8.0, naming the host and the proxy
            assert isinstance(out.exception, Timeout) and out.exception.host == host
            assert f"{silent.host}:{silent.port}" in str(out.exception)
    finally:
        listener.close()


@pytest.fixture
def unanswered() -> Iterator[tuple[str, int]]:
    """An address whose connection attempts are never answered: a listener with a full accept
    queue (Linux then drops further SYNs, so connecting hangs until the caller gives up)."""
    listener = socket.socket()
    listener.bind(("127.0.0.63", 0))
    listener.listen(0)
    address = listener.getsockname()
    filler = socket.create_connection(address, timeout=5)
    probe = socket.socket()
    probe.settimeout(0.5)
    with pytest.raises(OSError):  # the queue is full: not answered
        probe.connect(address)
    try:
        yield address
    finally:
        for sock in (probe, filler, listener):
            sock.close()


def test_unanswered_target_fails_alone_within_tunnel_timeout(make_client, sshd, debug_proxy,
                                                             unanswered):  # fmt: skip
    black, black_port = unanswered
    client = make_client(debug_proxy, tunnel_timeout=2, host_config={black: {"port": black_port}})
    run_ok(client, "true")  # the reachable targets are connected first
    client.hosts = [*sshd.hosts, black]
    with gevent.Timeout(GUARD):
        output = client.run_command("echo ok", stop_on_errors=False)
        client.join(output)
    failed = output[black].exception
    assert isinstance(failed, Timeout) and failed.host == black  # 1.8.0: a timeout
    assert "Timed out" in str(failed) and f"{black}:{black_port}" in str(failed)
    for host in sshd.hosts:
        assert output[host].exception is None and list(output[host].stdout) == ["ok"]
    assert client._proxy.connections == 1


def test_silent_target_bounded_by_timeout(make_client, debug_proxy):
    listener = gevent.socket.socket()
    listener.bind(("127.0.0.62", 0))
    listener.listen(50)
    try:
        client = make_client(debug_proxy, hosts=["127.0.0.62"], port=listener.getsockname()[1],
                             timeout=1)  # fmt: skip
        with gevent.Timeout(GUARD):
            output = client.run_command("true", stop_on_errors=False)
        assert output["127.0.0.62"].exception is not None
        assert output["127.0.0.62"].exception.host == "127.0.0.62"
    finally:
        listener.close()


# -- the Tunnel thread -----------------------------------------------------------------------


def wait_for(condition, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def listening_address(port: int) -> list[str]:
    out = subprocess.run(["ss", "-Hltn", "sport", "=", f":{port}"], capture_output=True,
                         text=True, check=True, timeout=10).stdout  # fmt: skip
    return [line.split()[3] for line in out.splitlines() if line.strip()]


def test_tunnel_thread_queues(sshd, debug_proxy):
    in_q: deque = deque()
    out_q: deque = deque()
    log = LogWatch(debug_proxy.log_path)
    tunnel = Tunnel(debug_proxy.host, in_q, out_q, user=debug_proxy.user, port=debug_proxy.port,
                    pkey=debug_proxy.pkey, num_retries=1, timeout=20)  # fmt: skip
    assert tunnel.daemon
    tunnel.start()
    try:
        assert tunnel.tunnel_open.wait(GUARD)
        for host in sshd.hosts[:2]:
            in_q.append((host, sshd.port))
        wait_for(lambda: len(out_q) == 2)
        ports = list(out_q)
        assert len(set(ports)) == 2
        for port in ports:
            assert listening_address(port) == [f"127.0.0.1:{port}"]
        for host, port in zip(sshd.hosts[:2], ports):
            client = SSHClient(host, user=sshd.user, pkey=sshd.pkey, port=port,
                               proxy_host="127.0.0.1", num_retries=1, timeout=20)  # fmt: skip
            channel, _host, stdout, _stderr, _stdin = client.run_command("echo $SSH_CONNECTION")
            assert list(stdout)[0].split()[2:] == [host, str(sshd.port)]
            client.wait_finished(channel)
            assert client.get_exit_status(channel) == 0
            client.disconnect()
        # open_tunnel: same, with a wake-up instead of polling out_q
        port = tunnel.open_tunnel(sshd.hosts[2], sshd.port, timeout=GUARD)
        assert listening_address(port) == [f"127.0.0.1:{port}"]
        assert sorted(log.forwards()) == sorted((h, sshd.port) for h in sshd.hosts[:2])
        assert log.logins() == 1
    finally:
        tunnel.shutdown(GUARD)
    assert not tunnel.is_alive()
    assert all(listening_address(port) == [] for port in ports)
    assert connections_to(debug_proxy.host, debug_proxy.port, os.getpid()) == 0


def test_tunnel_thread_from_another_thread(sshd, debug_proxy):
    """open_tunnel works from a plain thread (which gets its own hub)."""
    tunnel = Tunnel(debug_proxy.host, deque(), deque(), user=debug_proxy.user,
                    port=debug_proxy.port, pkey=debug_proxy.pkey, num_retries=1,
                    timeout=20)  # fmt: skip
    tunnel.start()
    result: dict = {}

    def use() -> None:
        try:
            result["port"] = tunnel.open_tunnel(sshd.host, sshd.port, timeout=GUARD)
        except Exception as exc:  # reported below
            result["error"] = exc

    try:
        worker = threading.Thread(target=use)
        worker.start()
        worker.join(GUARD)
        assert "error" not in result and listening_address(result["port"])
    finally:
        tunnel.shutdown(GUARD)
    assert not tunnel.is_alive()


def test_tunnel_thread_proxy_down(proxy_sshd):
    port = free_port([proxy_sshd.host])
    tunnel = Tunnel(proxy_sshd.host, deque(), deque(), user=proxy_sshd.user, port=port,
                    pkey=proxy_sshd.pkey, num_retries=1, retry_delay=0, timeout=5)  # fmt: skip
    tunnel.start()
    tunnel.join(GUARD)
    assert not tunnel.is_alive() and not tunnel.tunnel_open.is_set()
    assert isinstance(tunnel.exception, ProxyError)
    assert f"{proxy_sshd.host}:{port}" in str(tunnel.exception)
    with pytest.raises(ProxyError):
        tunnel.wait_open(1)
    with pytest.raises(ProxyError):
        tunnel.open_tunnel("127.0.0.2", 22, timeout=5)


# -- targets only the proxy can reach (network namespace) ------------------------------------


def _ip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=True, timeout=10)


def _free_subnet() -> int:
    used = _ip("-4", "-o", "addr").stdout
    for offset in range(200):
        n = (os.getpid() + offset) % 200 + 20
        if f"10.200.{n}." not in used:
            return n
    raise AssertionError("no free 10.200.N.0/30 subnet")


def _start_in_namespace(group: ServerGroup, netns: str, wrapper_dir: str) -> None:
    wrapper = os.path.join(wrapper_dir, "sshd-in-netns")
    with open(wrapper, "w") as fh:
        fh.write(f'#!/bin/sh\nexec ip netns exec {netns} {embedded_server.SSHD} "$@"\n')
    os.chmod(wrapper, 0o755)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(embedded_server, "SSHD", wrapper)
        for server in group.servers:
            server.launch()
    deadline = time.monotonic() + 20
    for server in group.servers:
        wanted = [f"Server listening on {a} port {server.port}." for a in server.addresses]
        while True:
            with open(server.log_path) as fh:
                log = fh.read()
            assert server.running, log
            if all(line in log for line in wanted):
                break
            assert time.monotonic() < deadline, log
            time.sleep(0.02)


@pytest.fixture(scope="module")
def isolated(ssh_keys, test_user) -> Iterator[dict]:
    """A proxy (reachable here at 10.200.N.2) and 4 targets on 127.0.0.2-5 inside a network
    namespace; the targets' addresses exist only inside it."""
    if os.geteuid() != 0 or not shutil.which("ip"):
        pytest.fail("network namespace tests need root and iproute2")
    netns, outer, inner = f"pssh-t{os.getpid()}", f"pst{os.getpid()}a", f"pst{os.getpid()}b"
    workdir = tempfile.mkdtemp(prefix="pssh-netns-")
    groups: list[ServerGroup] = []
    try:
        n = _free_subnet()
        proxy_ip, here_ip = f"10.200.{n}.2", f"10.200.{n}.1"
        _ip("netns", "add", netns)
        _ip("link", "add", outer, "type", "veth", "peer", "name", inner, "netns", netns)
        _ip("addr", "add", f"{here_ip}/30", "dev", outer)
        _ip("link", "set", outer, "up")
        _ip("-n", netns, "addr", "add", f"{proxy_ip}/30", "dev", inner)
        _ip("-n", netns, "link", "set", inner, "up")
        _ip("-n", netns, "link", "set", "lo", "up")
        for sub in ("t", "p"):
            os.mkdir(os.path.join(workdir, sub))
        targets = host_addresses(4, "127.0.0.2")
        target_port = free_port(targets)  # free out here too: nothing answers outside
        target_group = ServerGroup(targets, target_port, ssh_keys, os.path.join(workdir, "t"),
                                   user=test_user)  # fmt: skip
        proxy_group = ServerGroup([proxy_ip], free_port(), ssh_keys, os.path.join(workdir, "p"),
                                  user=test_user)  # fmt: skip
        groups += [target_group, proxy_group]
        for group in groups:
            _start_in_namespace(group, netns, workdir)
        yield {
            "targets": target_group.config(), "proxy": proxy_group.config(),
            "netns": "net:[%d]" % os.stat(f"/run/netns/{netns}").st_ino,
        }  # fmt: skip
    finally:
        for group in groups:
            group.stop()
        subprocess.run(["ip", "netns", "del", netns], capture_output=True, timeout=10)
        subprocess.run(["ip", "link", "del", outer], capture_output=True, timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def test_targets_only_the_proxy_can_reach(isolated):
    targets, proxy = isolated["targets"], isolated["proxy"]
    common = dict(port=targets.port, user=targets.user, pkey=targets.pkey, num_retries=1,
                  timeout=20)  # fmt: skip
    direct = ParallelSSHClient(list(targets.hosts), **common)
    with gevent.Timeout(GUARD):
        output = direct.run_command("true", stop_on_errors=False)
    for out in output.values():
        assert isinstance(out.exception, ConnectionErrorException)
    client = ParallelSSHClient(list(targets.hosts), **common, **proxy_args(proxy))
    try:
        lines = run_ok(client, "readlink /proc/self/ns/net; echo $SSH_CONNECTION")
        here = os.readlink("/proc/self/ns/net")
        for host, out in lines.items():
            assert out[0] == isolated["netns"] != here
            assert out[1].split()[2:] == [host, str(targets.port)]
        assert client._proxy.connections == 1
    finally:
        client.disconnect()
