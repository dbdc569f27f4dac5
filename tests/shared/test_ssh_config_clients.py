"""The OpenSSH client configuration as the clients apply it, and keys from memory, against
real sshd servers.

How the tests see what happened: commands report ``$SSH_CONNECTION`` (the address and port
the server was reached at) and ``whoami``; proxies are private sshd servers logging at DEBUG1
after authentication, so their logs name every forwarded target
(``server_request_direct_tcpip ... target <host> port <port>``) and every keepalive
(``server_input_global_request: rtype keepalive@...``). Each test writes its own config file
(or its own ``~/.ssh/config`` under a temporary ``HOME``) and known_hosts file.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess

import gevent
import pytest
from backends import PARALLEL, SINGLE

from pssh.clients.native import ParallelSSHClient as NativeParallel
from pssh.clients.native import SSHClient as NativeSingle
from pssh.exceptions import (
    AuthenticationException,
    ConnectionErrorException,
    SSHException,
    Timeout,
    UnknownHostKeyError,
)

pytestmark = pytest.mark.integration

DEBUG = ["Match all", "LogLevel DEBUG1"]
FORWARD_RE = re.compile(
    r"server_request_direct_tcpip: originator \S+ port \d+, target (\S+) port (\d+)"
)
GUARD = 60  # seconds: a hung test fails instead of blocking the run


@pytest.fixture
def known(tmp_path) -> str:
    return str(tmp_path / "known_hosts")


class LogWatch:
    """What a server log gained since this object was made."""

    def __init__(self, path: str) -> None:
        self.path, self.offset = path, os.path.getsize(path)

    def text(self) -> str:
        with open(self.path, "rb") as fh:
            fh.seek(self.offset)
            return fh.read().decode("utf-8", "replace")

    def forwards(self) -> list[tuple[str, int]]:
        return [(host, int(port)) for host, port in FORWARD_RE.findall(self.text())]


def write(path, text: str) -> str:
    os.makedirs(os.path.dirname(str(path)), exist_ok=True)
    with open(path, "w") as fh:
        fh.write(text)
    return str(path)


def run(client, command: str, stop_on_errors: bool = True) -> dict:
    """``{host: exception or list of stdout lines}``."""
    with gevent.Timeout(GUARD):
        output = client.run_command(command, stop_on_errors=stop_on_errors)
        client.join(output)
    return {
        host: out.exception if out.exception is not None else list(out.stdout)
        for host, out in output.items()
    }


def reached(lines: list[str]) -> tuple[str, str, str]:
    """(server address, server port, user) from ``echo $SSH_CONNECTION; whoami``."""
    connection, user = lines
    return connection.split()[2], connection.split()[3], user


WHERE = "echo $SSH_CONNECTION; whoami"


# -- a config that renames hosts, sets user, port, key and ProxyJump ------------------------


def test_config_renames_hosts_and_sets_user_port_key_and_proxy_jump(
    family, sshd, sshd_factory, tmp_path, known
):
    hop = sshd_factory(1, first="127.0.0.60", extra_config=DEBUG).config()
    key_dir = tmp_path / "keys"
    key_dir.mkdir()
    shutil.copy(sshd.pkey, key_dir / f"{sshd.user}_key")  # found through %r
    config = write(tmp_path / "config", f"""
Host web?
    User {sshd.user}
    Port {sshd.port}
    IdentityFile {key_dir}/%r_key
    ProxyJump {hop.user}@{hop.host}:{hop.port}
Host web1
    HostName {sshd.hosts[1]}
Host web2
    HostName {sshd.hosts[2]}
Host {hop.host}
    IdentityFile {hop.pkey}
""")  # fmt: skip
    log = LogWatch(hop.log_path)
    client = PARALLEL[family](
        ["web1", "web2"], ssh_config=config, known_hosts=known, allow_agent=False, num_retries=1
    )
    results = run(client, WHERE)
    assert list(results) == ["web1", "web2"]  # names as given, not HostName
    assert reached(results["web1"]) == (sshd.hosts[1], str(sshd.port), sshd.user)
    assert reached(results["web2"]) == (sshd.hosts[2], str(sshd.port), sshd.user)
    assert sorted(log.forwards()) == [(sshd.hosts[1], sshd.port), (sshd.hosts[2], sshd.port)]
    assert log.text().count("Accepted publickey") == 1  # both clients share the hop
    # the hop's key and the targets' keys (under their HostName) were all checked and recorded
    with open(known) as fh:
        names = sorted(line.split()[0] for line in fh)
    assert names == sorted(
        [f"[{hop.host}]:{hop.port}"] + [f"[{h}]:{sshd.port}" for h in sshd.hosts[1:3]]
    )


def test_proxy_jump_with_two_hops(family, sshd, sshd_factory, tmp_path, known):
    first = sshd_factory(1, first="127.0.0.60", extra_config=DEBUG).config()
    second = sshd_factory(1, first="127.0.0.61", extra_config=DEBUG).config()
    config = write(tmp_path / "config", f"""
Host target
    HostName {sshd.host}
    Port {sshd.port}
    ProxyJump {first.host}:{first.port},{second.host}:{second.port}
Host *
    User {sshd.user}
    IdentityFile {sshd.pkey}
""")  # fmt: skip
    logs = LogWatch(first.log_path), LogWatch(second.log_path)
    client = PARALLEL[family](["target"], ssh_config=config, known_hosts=known, num_retries=1)
    assert reached(run(client, WHERE)["target"]) == (sshd.host, str(sshd.port), sshd.user)
    assert logs[0].forwards() == [(second.host, second.port)]
    assert logs[1].forwards() == [(sshd.host, sshd.port)]


@pytest.mark.native_only
def test_native_single_client_follows_proxy_jump(sshd, sshd_factory, tmp_path, known):
    hop = sshd_factory(1, first="127.0.0.60", extra_config=DEBUG).config()
    config = write(tmp_path / "config", f"""
Host *
    User {sshd.user}
    IdentityFile {sshd.pkey}
    ProxyJump {hop.host}:{hop.port}
""")  # fmt: skip
    log = LogWatch(hop.log_path)
    client = NativeSingle(sshd.host, port=sshd.port, ssh_config=config, known_hosts=known,
                          num_retries=1)  # fmt: skip
    _channel, _host, stdout, _stderr, _stdin = client.run_command("whoami")
    assert list(stdout) == [sshd.user]
    assert log.forwards() == [(sshd.host, sshd.port)]
    client.disconnect()
    assert not any(jump.driver for jump in client._jumps.values())


# -- precedence ----------------------------------------------------------------------------


@pytest.mark.native_only
def test_explicit_arguments_and_host_config_win(sshd, sshd_factory, tmp_path, known):
    proxy = sshd_factory(1, first="127.0.0.60", extra_config=DEBUG).config()
    config = write(tmp_path / "config", f"""
Host *
    User nobody-here
    Port 1
    IdentityFile {tmp_path}/no-such-key
    ProxyJump 127.0.0.1:1
""")  # fmt: skip
    log = LogWatch(proxy.log_path)
    client = NativeParallel(
        list(sshd.hosts[:2]), user="nobody-either", port=sshd.port, pkey=sshd.pkey,
        host_config={sshd.hosts[0]: {"user": sshd.user}, sshd.hosts[1]: {"user": sshd.user}},
        proxy_host=proxy.host, proxy_port=proxy.port, proxy_user=proxy.user,
        proxy_pkey=proxy.pkey, ssh_config=config, known_hosts=known, num_retries=1,
    )  # fmt: skip
    results = run(client, WHERE)
    for host in sshd.hosts[:2]:
        assert reached(results[host]) == (host, str(sshd.port), sshd.user)
    assert sorted(log.forwards()) == [(h, sshd.port) for h in sshd.hosts[:2]]  # not ProxyJump


def test_default_port_gives_way_to_config_port(family, sshd, tmp_path, known):
    config = write(tmp_path / "config", f"Host {sshd.host}\n    Port {sshd.port}\n")
    client = PARALLEL[family]([sshd.host], user=sshd.user, pkey=sshd.pkey, ssh_config=config,
                              known_hosts=known, num_retries=1)  # fmt: skip
    assert reached(run(client, WHERE)[sshd.host]) == (sshd.host, str(sshd.port), sshd.user)


@pytest.mark.native_only
def test_default_files_include_and_none(sshd, tmp_path, monkeypatch, known):
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    write(home / ".ssh" / "config", f"""
Include conf.d/*.conf
Host alias-? !alias-9
    User {sshd.user}
    Port {sshd.port}
""")  # fmt: skip
    write(home / ".ssh" / "conf.d" / "hosts.conf", f"""
Host alias-1
    HostName {sshd.hosts[1]}
Host {sshd.host}
    HostName 127.0.0.99
""")  # fmt: skip
    client = NativeParallel(["alias-1"], pkey=sshd.pkey, known_hosts=known, num_retries=1)
    assert reached(run(client, WHERE)["alias-1"]) == (sshd.hosts[1], str(sshd.port), sshd.user)
    # the included file sends sshd.host to an address nothing listens on...
    direct = dict(port=sshd.port, user=sshd.user, pkey=sshd.pkey, known_hosts=known,
                  num_retries=1)  # fmt: skip
    with pytest.raises(ConnectionErrorException):
        NativeSingle(sshd.host, **direct)
    # ...unless no configuration is read, or another file is
    for ssh_config in ("none", write(tmp_path / "other", "Host nothing\n    Port 1\n")):
        client = NativeSingle(sshd.host, ssh_config=ssh_config, **direct)
        assert client.hostname == sshd.host
        client.disconnect()


def test_bad_config(family, sshd, tmp_path):
    bad = write(tmp_path / "bad", "Host *\n    Port not-a-port\n")
    with pytest.raises(SSHException, match="not-a-port"):
        PARALLEL[family]([sshd.host], ssh_config=bad)
    with pytest.raises(SSHException):
        PARALLEL[family]([sshd.host], ssh_config=str(tmp_path / "missing"))
    # a value that cannot be expanded fails that host only
    token = write(tmp_path / "token", f"Host {sshd.hosts[1]}\n    IdentityFile ~/%X\n")
    client = PARALLEL[family](list(sshd.hosts[:2]), port=sshd.port, user=sshd.user,
                              pkey=sshd.pkey, ssh_config=token, num_retries=1,
                              known_hosts=str(tmp_path / "kh"))  # fmt: skip
    results = run(client, "echo ok", stop_on_errors=False)
    assert results[sshd.host] == ["ok"]
    assert isinstance(results[sshd.hosts[1]], SSHException) and "%X" in str(results[sshd.hosts[1]])


# -- identities ----------------------------------------------------------------------------


@pytest.mark.native_only
def test_identities_only(sshd, ssh_agent, tmp_path, monkeypatch, known):
    monkeypatch.setenv("SSH_AUTH_SOCK", ssh_agent)  # the agent holds the authorised key
    monkeypatch.setenv("HOME", str(tmp_path))
    stranger = str(tmp_path / "stranger")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", stranger], check=True)
    shutil.copy(sshd.pkey, tmp_path / "good")
    common = dict(port=sshd.port, user=sshd.user, known_hosts=known, num_retries=1)
    base = f"Host *\n    IdentityFile {stranger}\n    IdentityFile ~/good\n"
    # IdentityFile: the agent first, then the files (~ expanded)
    client = NativeSingle(sshd.host, ssh_config=write(tmp_path / "c1", base), **common)
    client.disconnect()
    only_stranger = f"Host *\n    IdentityFile {stranger}\n"
    client = NativeSingle(sshd.host, ssh_config=write(tmp_path / "c2", only_stranger), **common)
    client.disconnect()  # the agent logged in
    with pytest.raises(AuthenticationException) as info:
        NativeSingle(sshd.host, **common, ssh_config=write(
            tmp_path / "c3", only_stranger + "    IdentitiesOnly yes\n"))  # fmt: skip
    assert "agent" not in str(info.value) and stranger in str(info.value)
    client = NativeSingle(sshd.host, **common, ssh_config=write(
        tmp_path / "c4", base + "    IdentitiesOnly yes\n"))  # fmt: skip
    client.disconnect()


# -- ConnectTimeout and ServerAliveInterval ------------------------------------------------


@pytest.mark.native_only
def test_connect_timeout_bounds_the_handshake(tmp_path, known):
    with socket.socket() as silent:  # accepts connections (backlog) but never speaks
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        port = silent.getsockname()[1]
        config = write(tmp_path / "config", "Host *\n    ConnectTimeout 1\n")
        with gevent.Timeout(GUARD), pytest.raises(Timeout):
            NativeSingle("127.0.0.1", port=port, user="x", password="x", ssh_config=config,
                         known_hosts=known, num_retries=1)  # fmt: skip


def test_server_alive_interval_sends_keepalives(family, sshd_factory, tmp_path, known):
    server = sshd_factory(1, first="127.0.0.60", extra_config=DEBUG).config()
    name = "keepalive@libssh2.org" if family == "native" else "keepalive@lag.net"
    common = dict(port=server.port, user=server.user, pkey=server.pkey, known_hosts=known,
                  num_retries=1)  # fmt: skip
    for interval, expected in ((None, False), (1, True)):
        config = "Host *\n" + (f"    ServerAliveInterval {interval}\n" if interval else "")
        log = LogWatch(server.log_path)
        client = PARALLEL[family]([server.host], ssh_config=write(tmp_path / "c", config),
                                  **common)  # fmt: skip
        assert run(client, "sleep 4; echo done") == {server.host: ["done"]}
        assert (f"rtype {name}" in log.text()) is expected, log.text()


# -- host key settings from the config -----------------------------------------------------


def test_host_key_settings_from_config(family, sshd, tmp_path):
    common = dict(port=sshd.port, user=sshd.user, pkey=sshd.pkey, num_retries=1)
    first, second = str(tmp_path / "kh1"), str(tmp_path / "kh2")
    strict = write(tmp_path / "strict", f"Host *\n    StrictHostKeyChecking yes\n"
                                        f"    UserKnownHostsFile {first} {second}\n")  # fmt: skip
    results = run(PARALLEL[family]([sshd.host], ssh_config=strict, **common), "echo ok",
                  stop_on_errors=False)  # fmt: skip
    assert isinstance(results[sshd.host], UnknownHostKeyError)
    assert not os.path.exists(first)
    # the argument wins over StrictHostKeyChecking; the key goes into the first file
    client = PARALLEL[family]([sshd.host], ssh_config=strict, host_key_policy="accept-new",
                              **common)  # fmt: skip
    assert run(client, "echo ok") == {sshd.host: ["ok"]}
    with open(first) as fh:
        assert fh.read().startswith(f"[{sshd.host}]:{sshd.port} ssh-ed25519 ")
    # now known in the config's file: strict passes
    assert run(PARALLEL[family]([sshd.host], ssh_config=strict, **common), "echo ok") == {
        sshd.host: ["ok"]
    }
    # the known_hosts argument wins over UserKnownHostsFile
    results = run(PARALLEL[family]([sshd.host], ssh_config=strict, known_hosts=second,
                                   **common), "echo ok", stop_on_errors=False)  # fmt: skip
    assert isinstance(results[sshd.host], UnknownHostKeyError)
    # StrictHostKeyChecking no: accept-new (new keys recorded; test_host_keys.py has the
    # changed-key case)
    off = write(tmp_path / "off", f"Host *\n    StrictHostKeyChecking no\n"
                                  f"    UserKnownHostsFile {second}\n")  # fmt: skip
    assert run(PARALLEL[family]([sshd.host], ssh_config=off, **common), "echo ok") == {
        sshd.host: ["ok"]
    }
    with open(second) as fh:
        assert fh.read().startswith(f"[{sshd.host}]:{sshd.port} ssh-ed25519 ")


def test_host_key_alias(family, sshd, tmp_path, known):
    config = write(tmp_path / "config", f"Host {sshd.host}\n    HostKeyAlias my-alias\n")
    client = PARALLEL[family]([sshd.host], port=sshd.port, user=sshd.user, pkey=sshd.pkey,
                              ssh_config=config, known_hosts=known, num_retries=1)  # fmt: skip
    assert run(client, "echo ok") == {sshd.host: ["ok"]}
    with open(known) as fh:
        assert [line.split()[:2] for line in fh] == [["my-alias", "ssh-ed25519"]]


# -- keys from memory ----------------------------------------------------------------------


def read_bytes(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def test_private_keys_as_bytes(family, sshd, known):
    common = dict(port=sshd.port, user=sshd.user, allow_agent=False, known_hosts=known,
                  num_retries=1, ssh_config="none")  # fmt: skip
    single = SINGLE[family](sshd.host, pkey=read_bytes(sshd.pkey), **common)
    single.disconnect()
    client = PARALLEL[family](list(sshd.hosts[:2]), pkey=read_bytes(sshd.rsa_pkey), **common)
    assert run(client, "echo ok") == {host: ["ok"] for host in sshd.hosts[:2]}
    host_config = {
        sshd.hosts[2]: {"private_key": read_bytes(sshd.ecdsa_pkey)},
        sshd.hosts[3]: {"private_key": read_bytes(sshd.pkey)},
    }
    client = PARALLEL[family](list(sshd.hosts[2:]), host_config=host_config, **common)
    assert run(client, "echo ok") == {host: ["ok"] for host in sshd.hosts[2:]}
