"""parallel-ssh 2.x host_config (a list of pssh.config.HostConfig) and
connect_auth(), on both client families, against the real sshd."""

from __future__ import annotations

import functools
from pathlib import Path

import gevent
import pytest

from pssh.config import HostConfig
from pssh.exceptions import AuthenticationException, ConnectionErrorException


@pytest.fixture
def make_client(client_factory, backend, sshd):
    return functools.partial(client_factory, backend.ParallelSSHClient, pkey=sshd.pkey)


def _logins(server) -> int:
    with open(server.log_path) as fh:
        return fh.read().count("Accepted publickey for %s" % server.user)


def test_list_host_config_by_position_same_host_twice(make_client, sshd):
    # the same host twice: the first entry has a wrong port, the second the right one
    host = sshd.hosts[0]
    client = make_client(
        [host, host],
        port=1,
        host_config=[HostConfig(port=1), HostConfig(port=sshd.port)],
    )
    output = client.run_command("echo ok", stop_on_errors=False)
    client.join(output)
    outs = [output[host], output[host + "_1"]]
    assert isinstance(outs[0].exception, ConnectionErrorException)
    assert outs[1].exception is None and list(outs[1].stdout) == ["ok"]
    assert outs[1].exit_code == 0


def test_copies_and_shells_use_each_entry_of_a_repeated_host(make_client, sshd, tmp_path):
    # the same host twice, each entry with its own user: copies and shells use each entry's
    host = sshd.hosts[0]
    client = make_client(
        [host, host], user="nobody-here",
        host_config=[HostConfig(user=sshd.user), HostConfig(user=sshd.user, port=sshd.port)],
    )  # fmt: skip
    gevent.joinall(client.copy_remote_file("/etc/hostname", str(tmp_path / "got")),
                   raise_error=True)  # fmt: skip
    # one local file per entry: host, host_1 (no entry overwrote the other)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["got_%s" % host, "got_%s_1" % host]
    # each entry got its own connection, made from its own entry
    assert sorted(client.host_clients) == [(0, host), (1, host)]
    shells = client.open_shell()
    client.run_shell_commands(shells, "whoami")
    client.join_shells(shells)
    assert [list(shell.stdout) for shell in shells] == [[sshd.user], [sshd.user]]
    assert sorted(client.host_clients) == [(0, host), (1, host)]


def test_list_host_config_user_and_key_fall_back_to_client(make_client, sshd):
    hosts = list(sshd.hosts[:2])
    client = make_client(
        hosts, pkey=None, host_config=[HostConfig(private_key=sshd.pkey), HostConfig()]
    )
    output = client.run_command("id -un", stop_on_errors=False)
    client.join(output)
    assert list(output[hosts[0]].stdout) == [sshd.user]
    # the second entry gives no key and the client none: authentication fails
    assert isinstance(output[hosts[1]].exception, AuthenticationException)


def test_list_host_config_length_mismatch_is_value_error(backend, sshd):
    with pytest.raises(ValueError, match="2 entries for 3 hosts"):
        backend.ParallelSSHClient(list(sshd.hosts[:3]), host_config=[HostConfig()] * 2)


def test_list_host_config_wrong_entry_is_type_error(backend, sshd):
    with pytest.raises(TypeError, match="HostConfig"):
        backend.ParallelSSHClient([sshd.host], host_config=[{"port": 22}])


def test_per_host_proxies_two_bastions_each_connected_once(
    make_client, sshd, proxy_sshd, sshd_factory
):
    second = sshd_factory(first="127.0.0.70", extra_config=["LogLevel VERBOSE"]).config()
    bastions = [proxy_sshd, second]
    before = [_logins(b) for b in bastions]
    hosts = list(sshd.hosts)
    config = [
        HostConfig(
            proxy_host=bastions[i % 2].host,
            proxy_port=bastions[i % 2].port,
            proxy_user=sshd.user,
            proxy_pkey=sshd.pkey,
        )  # fmt: skip
        for i in range(len(hosts))
    ]
    client = make_client(hosts, host_config=config)
    output = client.run_command("echo ok")
    client.join(output)
    assert [list(output[host].stdout) for host in hosts] == [["ok"]] * len(hosts)
    # both bastions were logged in to: each host went through its own
    after = [_logins(b) for b in bastions]
    # two hosts behind each bastion, one login to each
    assert [a - b for a, b in zip(after, before)] == [1, 1]


def test_connect_auth_connects_every_host_without_running(make_client, sshd):
    client = make_client(list(sshd.hosts[:3]))
    greenlets = client.connect_auth()
    gevent.joinall(greenlets, raise_error=True)
    assert len(greenlets) == 3
    assert sorted(client.host_clients) == sorted(sshd.hosts[:3])
    connected = [g.value for g in greenlets]
    output = client.run_command("echo hi")
    client.join(output)
    # run_command used the connections connect_auth made
    assert [client.host_clients[h] for h in sshd.hosts[:3]] == connected


def test_connect_auth_failure_raised_on_join_naming_host(make_client, sshd):
    client = make_client([sshd.hosts[0], sshd.hosts[1]], host_config=[
        HostConfig(), HostConfig(user="no-such-user-here"),
    ])  # fmt: skip
    greenlets = client.connect_auth()  # raises nothing itself
    gevent.joinall(greenlets)
    assert greenlets[0].exception is None
    exc = greenlets[1].exception
    assert isinstance(exc, AuthenticationException)
    assert exc.host == sshd.hosts[1]
    with pytest.raises(AuthenticationException):
        greenlets[1].get()


def test_identity_auth_false_skips_default_identities(make_client, sshd, tmp_path, monkeypatch):
    ssh_dir = tmp_path / ".ssh"
    ssh_dir.mkdir()
    (ssh_dir / "id_ed25519").write_bytes(Path(sshd.pkey).read_bytes())
    (ssh_dir / "id_ed25519").chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    ok = make_client([sshd.host], pkey=None, ssh_config="none")
    out = ok.run_command("echo ok")
    ok.join(out)
    assert list(out[sshd.host].stdout) == ["ok"]
    refused = make_client([sshd.host], pkey=None, ssh_config="none", identity_auth=False)
    out = refused.run_command("echo ok", stop_on_errors=False)
    assert isinstance(out[sshd.host].exception, AuthenticationException)


def _compression(single) -> str:
    if hasattr(single, "session"):  # native: libssh2's negotiated method
        from ssh2.session import LIBSSH2_METHOD_COMP_CS

        return single.session.methods(LIBSSH2_METHOD_COMP_CS)
    return single.client.get_transport().local_compression


@pytest.mark.parametrize("compress", [True, False])
def test_compress_is_negotiated(make_client, sshd, compress):
    client = make_client([sshd.host], compress=compress)
    out = client.run_command("seq 1 20000")
    client.join(out)
    assert len(list(out[sshd.host].stdout)) == 20000
    method = _compression(client.host_clients[sshd.host])
    assert ("zlib" in method) is compress


def test_alias_kept_in_settings_and_single_client(make_client, sshd):
    client = make_client([sshd.host], host_config=[HostConfig(alias="web-1")])
    gevent.joinall(client.connect_auth(), raise_error=True)
    single = client.host_clients[sshd.host]
    assert single.alias == "web-1"
    assert single.settings.alias == "web-1"


def test_read_timeout_in_settings(make_client, sshd):
    client = make_client([sshd.host], host_config=[HostConfig(read_timeout=7.5)])
    gevent.joinall(client.connect_auth(), raise_error=True)
    assert client.host_clients[sshd.host].settings.read_timeout == 7.5


def test_keyboard_interactive_without_password_is_value_error(make_client, sshd):
    client = make_client([sshd.host], keyboard_interactive=True)
    (greenlet,) = client.connect_auth()
    gevent.joinall([greenlet])
    assert isinstance(greenlet.exception, ValueError)
    assert sshd.host in str(greenlet.exception)
