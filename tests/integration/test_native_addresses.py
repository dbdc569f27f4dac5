"""Host addresses: IPv6, and names that resolve to several addresses."""

from __future__ import annotations

import socket

import pytest
from embedded_server.openssh import make_temp_dir, remove_temp_dir, start_servers

from pssh.clients import ParallelSSHClient, _sock
from pssh.clients.native.single import SSHClient

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sshd_ipv6(ssh_keys, test_user):
    workdir = make_temp_dir("pssh-sshd6-")
    group = start_servers(["::1"], ssh_keys, workdir=workdir, user=test_user)
    try:
        yield group.config()
    finally:
        group.stop()
        remove_temp_dir(workdir)


def test_ipv6_literal(sshd_ipv6):
    client = SSHClient(
        "::1", port=sshd_ipv6.port, user=sshd_ipv6.user, pkey=sshd_ipv6.pkey, num_retries=1
    )
    channel, host, stdout, _, _ = client.run_command("echo $SSH_CONNECTION")
    assert host == "::1"
    assert list(stdout)[0].split()[2] == "::1"


def test_ipv6_in_parallel(sshd_ipv6, sshd):
    client = ParallelSSHClient(
        ["::1", sshd.host],
        port=sshd.port,
        user=sshd.user,
        pkey=sshd.pkey,
        num_retries=1,
        host_config={"::1": {"port": sshd_ipv6.port}},
    )
    output = client.run_command("echo ok")
    client.join(output)
    assert [list(o.stdout) for o in output.values()] == [["ok"], ["ok"]]


def test_each_address_of_a_name_is_tried(sshd, monkeypatch):
    dead = ("127.0.0.1", sshd.port)  # nothing listens there on this port
    live = (sshd.host, sshd.port)
    tried = []

    def resolve(host, port):
        assert host == "multi.example"
        tried.append(host)
        return [(socket.AF_INET, dead), (socket.AF_INET, live)]

    monkeypatch.setattr(_sock, "resolve", resolve)
    client = SSHClient(
        "multi.example", port=sshd.port, user=sshd.user, pkey=sshd.pkey, num_retries=1
    )
    _, host, stdout, _, _ = client.run_command("echo $SSH_CONNECTION")
    assert host == "multi.example"
    assert list(stdout)[0].split()[2] == sshd.host
    assert tried == ["multi.example"]


def test_resolve_literals_and_names():
    assert _sock.resolve("127.0.0.9", 22) == [(socket.AF_INET, ("127.0.0.9", 22))]
    assert _sock.resolve("::1", 22) == [(socket.AF_INET6, ("::1", 22, 0, 0))]
    assert _sock.resolve("[::1]", 22) == [(socket.AF_INET6, ("::1", 22, 0, 0))]
    families = {family for family, _ in _sock.resolve("localhost", 22)}
    assert socket.AF_INET in families
