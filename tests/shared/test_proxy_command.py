"""``ProxyCommand`` (carried out) and the ssh_config options pssh cannot carry out (warned
about), for both client families against a real sshd.

The proxy command is a small Python relay (stdin/stdout <-> TCP) that writes its pid, the
local port of its TCP connection and the tokens it was given to a marker file: the server's
``$SSH_CONNECTION`` then shows the connection came from the relay's port.
"""

from __future__ import annotations

import logging
import os
import sys

import gevent
import pytest
from backends import PARALLEL, SINGLE

from pssh.clients import _warn_once
from pssh.exceptions import ConnectionErrorException

pytestmark = pytest.mark.integration

RELAY = r"""
import os, socket, sys, threading
host, port, user, name, marker = sys.argv[1:]
sock = socket.create_connection((host, int(port)))
with open(marker, "w") as fh:
    fh.write(f"{os.getpid()} {sock.getsockname()[1]} {host} {port} {user} {name}\n")
def up():
    while True:
        data = os.read(0, 65536)
        if not data:
            break
        sock.sendall(data)
    sock.shutdown(socket.SHUT_WR)
threading.Thread(target=up, daemon=True).start()
while True:
    data = sock.recv(65536)
    if not data:
        break
    while data:
        data = data[os.write(1, data):]
"""


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch):
    monkeypatch.setattr(_warn_once, "_warned", set())


@pytest.fixture
def relay(tmp_path):
    path = tmp_path / "relay.py"
    path.write_text(RELAY)
    return f"{sys.executable} {path}"


def run(client, command="echo $SSH_CONNECTION; whoami"):
    with gevent.Timeout(60):
        output = client.run_command(command, stop_on_errors=False)
        client.join(output)
    return {host: out.exception if out.exception is not None else list(out.stdout)
            for host, out in output.items()}  # fmt: skip


def gone(pid: int) -> bool:
    """Whether ``pid`` is neither running nor a zombie waiting to be reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_proxy_command_carries_the_connection(family, sshd, relay, tmp_path):
    marker = tmp_path / "marker"
    config = tmp_path / "config"
    config.write_text(f"Host proxied\n    HostName {sshd.hosts[1]}\n"
                      f"    ProxyCommand {relay} %h %p %r %n {marker}\n")  # fmt: skip
    client = PARALLEL[family](["proxied"], port=sshd.port, user=sshd.user, pkey=sshd.pkey,
                              num_retries=1, ssh_config=str(config),
                              known_hosts=str(tmp_path / "kh"))  # fmt: skip
    result = run(client)["proxied"]
    assert not isinstance(result, Exception), result
    pid, relay_port, host, port, user, name = marker.read_text().split()
    connection, whoami = result
    client_ip, client_port, server_ip, server_port = connection.split()
    assert (host, port, user, name) == (sshd.hosts[1], str(sshd.port), sshd.user, "proxied")
    assert client_port == relay_port  # the server's peer is the relay's socket
    assert (server_ip, server_port, whoami) == (sshd.hosts[1], str(sshd.port), sshd.user)
    assert not gone(int(pid))
    for host_client in client.host_clients.values():
        host_client.disconnect()
    assert gone(int(pid))  # stopped and reaped by pid


def test_single_client_proxy_command_and_disconnect(family, sshd, relay, tmp_path):
    marker = tmp_path / "marker"
    config = tmp_path / "config"
    config.write_text(f"Host *\n    ProxyCommand {relay} %h %p %r %n {marker}\n")
    client = SINGLE[family](
        sshd.host,
        port=sshd.port,
        user=sshd.user,
        pkey=sshd.pkey,
        num_retries=1,
        ssh_config=str(config),
        host_key_policy="off",
    )
    pid = int(marker.read_text().split()[0])
    assert not gone(pid)
    client.disconnect()
    assert gone(pid)


def test_failing_proxy_command_names_host_and_command(family, sshd, tmp_path):
    config = tmp_path / "config"
    config.write_text('Host *\n    ProxyCommand sh -c "exit 7"\n')
    client = PARALLEL[family]([sshd.host], port=sshd.port, user=sshd.user, pkey=sshd.pkey,
                              num_retries=1, ssh_config=str(config), host_key_policy="off",
                              timeout=20)  # fmt: skip
    exc = run(client)[sshd.host]
    assert isinstance(exc, ConnectionErrorException), exc
    assert exc.host == sshd.host
    assert "ProxyCommand" in str(exc) and 'sh -c "exit 7"' in str(exc) and "status 7" in str(exc)


def test_unsafe_token_values_are_refused(family, sshd, relay, tmp_path):
    marker = tmp_path / "marker"
    pwned = tmp_path / "pwned"
    config = tmp_path / "config"
    config.write_text(f"Host *\n    HostName {sshd.host}\n"
                      f"    ProxyCommand {relay} %h %p %r %n {marker}\n")  # fmt: skip
    evil = f"x;touch {pwned}"
    client = PARALLEL[family](
        [evil],
        port=sshd.port,
        user=sshd.user,
        pkey=sshd.pkey,
        num_retries=1,
        ssh_config=str(config),
        host_key_policy="off",
    )
    exc = run(client)[evil]
    assert isinstance(exc, ConnectionErrorException), exc
    assert "not safe" in str(exc)
    assert not pwned.exists() and not marker.exists()


UNSUPPORTED = """\
Host *
    KnownHostsCommand /bin/false %H
    CertificateFile /nonexistent/cert.pub
    PKCS11Provider /nonexistent/pkcs11.so
Match exec "true"
    User nobody
"""


def test_unsupported_options_warn_once_per_host(family, sshd, tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    config = tmp_path / "config"
    config.write_text(UNSUPPORTED)
    hosts = list(sshd.hosts[:2])
    client = PARALLEL[family](
        hosts,
        port=sshd.port,
        user=sshd.user,
        pkey=sshd.pkey,
        num_retries=1,
        ssh_config=str(config),
        host_key_policy="off",
    )
    for _ in range(2):
        assert run(client, "echo ok") == {host: ["ok"] for host in hosts}
    SINGLE[family](hosts[0], port=sshd.port, user=sshd.user, pkey=sshd.pkey, num_retries=1,
                   ssh_config=str(config), host_key_policy="off").disconnect()  # fmt: skip
    messages = [r.getMessage() for r in caplog.records if "ignoring" in r.getMessage()]
    for host in hosts:
        for option, line in (("KnownHostsCommand", 2), ("CertificateFile", 3),
                             ("PKCS11Provider", 4), ("Match exec", 5)):  # fmt: skip
            found = [m for m in messages if m.startswith(f"{host}: ignoring {option} ")]
            assert len(found) == 1, (host, option, messages)
            assert f"({config} line {line})" in found[0]


def test_jump_host_reached_through_its_proxy_command(family, sshd, proxy_sshd, relay, tmp_path):
    """As with ssh, the first ProxyJump hop is reached through its own ProxyCommand."""
    marker = tmp_path / "marker"
    config = tmp_path / "config"
    config.write_text(f"""\
Host target
    HostName {sshd.host}
    Port {sshd.port}
    ProxyJump jump
Host jump
    HostName {proxy_sshd.host}
    Port {proxy_sshd.port}
    ProxyCommand {relay} %h %p %r %n {marker}
Host *
    User {sshd.user}
    IdentityFile {sshd.pkey}
""")
    client = PARALLEL[family](["target"], ssh_config=str(config), num_retries=1,
                              host_key_policy="off")  # fmt: skip
    result = run(client)["target"]
    assert not isinstance(result, Exception), result
    assert result[0].split()[2:] == [sshd.host, str(sshd.port)]
    _pid, _port, host, port, _user, name = marker.read_text().split()
    assert (host, port, name) == (proxy_sshd.host, str(proxy_sshd.port), "jump")
