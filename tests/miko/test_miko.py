"""What only the paramiko (miko) clients do.

The behaviour both parallel clients share is in ``test_shared_clients.py``;
here are the paramiko-only features of the clients feature comparison: the
programmatic SSH agent, keys from memory, OpenSSH config, ``channel_timeout``
and extra ``paramiko.SSHClient.connect`` options, plus the single host
client's own API.
"""

from __future__ import annotations

import functools
import io
import os
import subprocess
import sys

import gevent
import paramiko
import pytest

import pssh._ssh_config
from pssh.agent import SSHAgent
from pssh.clients.miko import ParallelSSHClient, SSHClient
from pssh.clients.miko._options import check_paramiko_kwargs, wrap_command
from pssh.exceptions import (
    AuthenticationException,
    PKeyFileError,
    SessionError,
    SSHException,
    Timeout,
)
from pssh.utils import load_private_key

pytestmark = pytest.mark.integration


@pytest.fixture
def make_client(client_factory):
    return functools.partial(client_factory, ParallelSSHClient)


@pytest.fixture
def empty_home(tmp_path, monkeypatch):
    """A home folder with no keys and no OpenSSH config, and no system config."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr(pssh._ssh_config, "SYSTEM_CONFIG", str(tmp_path / "no-system-config"))
    return home


def whoami(client, host):
    output = client.run_command("whoami")
    client.join(output)
    return list(output[host].stdout)


# -- programmatic SSH agent ---------------------------------------------------


def test_programmatic_agent_replaces_system_agent(
    make_client, sshd, ssh_agent, monkeypatch, empty_home
):
    # The system agent holds a valid key, but a supplied agent is used instead of it.
    monkeypatch.setenv("SSH_AUTH_SOCK", ssh_agent)
    assert whoami(make_client(hosts=[sshd.host]), sshd.host) == [sshd.user]  # system agent works

    with pytest.raises(AuthenticationException) as info:
        make_client(hosts=[sshd.host], agent=SSHAgent(), retry_delay=0).run_command("true")
    assert info.value.host == sshd.host

    agent = SSHAgent()
    agent.add_key(load_private_key(sshd.rsa_pkey))
    agent.add_key(load_private_key(sshd.pkey))
    assert len(agent.get_keys()) == 2
    client = make_client(agent=agent, allow_agent=False)
    output = client.run_command("whoami")
    client.join(output)
    assert {tuple(out.stdout) for out in output.values()} == {(sshd.user,)}
    # the agent is shared by every host and still has its keys after disconnecting
    for host_client in client.host_clients.values():
        host_client.disconnect()
    assert len(agent.get_keys()) == 2


def test_system_agent_not_used_with_allow_agent_false(
    make_client, sshd, ssh_agent, monkeypatch, empty_home
):
    monkeypatch.setenv("SSH_AUTH_SOCK", ssh_agent)
    client = make_client(hosts=[sshd.host], allow_agent=False, retry_delay=0)
    with pytest.raises(AuthenticationException):
        client.run_command("true")


# -- private keys -------------------------------------------------------------


def test_private_keys_from_memory(make_client, sshd, empty_home):
    with open(sshd.pkey) as text_fh:
        from_text = load_private_key(text_fh)
    with open(sshd.ecdsa_pkey, "rb") as binary_fh:
        from_binary = load_private_key(binary_fh)
    with open(sshd.rsa_pkey) as fh:
        from_string = load_private_key(io.StringIO(fh.read()))
    first, second, third = sshd.hosts[:3]
    host_config = {
        first: {"private_key": from_text},
        second: {"private_key": from_binary},
        third: {"private_key": from_string},
    }
    client = make_client(hosts=[first, second, third], allow_agent=False, host_config=host_config)
    output = client.run_command("whoami")
    client.join(output)
    assert {h: list(o.stdout) for h, o in output.items()} == {
        first: [sshd.user],
        second: [sshd.user],
        third: [sshd.user],
    }


def dsa_key(tmp_path):
    path = str(tmp_path / "id_dsa")
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "dsa", "-N", "", "-f", path], check=True, capture_output=True
    )
    return path


def test_dsa_key_gives_clear_error_naming_the_file(tmp_path, sshd, empty_home):
    path = dsa_key(tmp_path)
    with pytest.raises(SSHException) as info:
        load_private_key(path)
    assert path in str(info.value) and "DSA" in str(info.value)
    with pytest.raises(SSHException) as info:
        SSHClient(sshd.host, port=sshd.port, user=sshd.user, pkey=path, num_retries=1)
    assert path in str(info.value) and "DSA" in str(info.value)
    with pytest.raises(SSHException) as info:
        ParallelSSHClient([sshd.host], pkey=path)
    assert path in str(info.value) and "DSA" in str(info.value)


def test_missing_key_file_is_pkey_file_error(tmp_path, sshd):
    missing = str(tmp_path / "no-such-key")
    with pytest.raises(PKeyFileError):
        ParallelSSHClient([sshd.host], pkey=missing)
    with pytest.raises(PKeyFileError):
        ParallelSSHClient([sshd.host], proxy_pkey=missing)


# -- OpenSSH config -----------------------------------------------------------


def test_openssh_config_host_user_port_and_key(
    make_client, sshd, tmp_path, empty_home, monkeypatch
):
    (empty_home / ".ssh" / "config").write_text(
        f"Host web-alias\n    HostName {sshd.hosts[1]}\n    IdentityFile {sshd.pkey}\n"
        f"Host *\n    User {sshd.user}\n"
    )
    system = tmp_path / "ssh_config"
    system.write_text(f"Host web-alias\n    HostName 127.0.0.99\n    Port {sshd.port}\n")
    monkeypatch.setattr(pssh._ssh_config, "SYSTEM_CONFIG", str(system))

    client = ParallelSSHClient(["web-alias"], allow_agent=False, num_retries=1)
    output = client.run_command("echo $SSH_CONNECTION; whoami")
    client.join(output)
    assert list(output) == ["web-alias"] and output["web-alias"].host == "web-alias"
    ssh_connection, user = list(output["web-alias"].stdout)
    # HostName from the user's file wins over the system file; Port from the system file
    assert ssh_connection.split()[2:] == [sshd.hosts[1], str(sshd.port)]
    assert user == sshd.user
    single = client.host_clients["web-alias"]
    assert (single.host, single.hostname, single.port) == ("web-alias", sshd.hosts[1], sshd.port)
    single.disconnect()


def test_explicit_arguments_override_openssh_config(sshd, tmp_path, empty_home):
    config = tmp_path / "config"
    config.write_text(f"Host {sshd.host}\n    User nobody-here\n    Port 1\n")
    client = SSHClient(
        sshd.host, user=sshd.user, port=sshd.port, pkey=sshd.pkey, num_retries=1,
        _openssh_config_file=str(config),
    )  # fmt: skip
    with client:
        _channel, host, stdout, _stderr, _stdin = client.exec_command("whoami")
        assert host == sshd.host and list(stdout) == [sshd.user]


def test_dsa_identity_file_from_openssh_config(sshd, tmp_path, empty_home):
    path = dsa_key(tmp_path)
    config = tmp_path / "config"
    config.write_text(f"Host {sshd.host}\n    IdentityFile {path}\n")
    with pytest.raises(SSHException) as info:
        SSHClient(sshd.host, port=sshd.port, num_retries=1, _openssh_config_file=str(config))
    assert path in str(info.value) and "DSA" in str(info.value)


# -- channel timeout and paramiko options -------------------------------------


def test_channel_timeout_then_join_keeps_output(make_client, sshd):
    client = make_client(hosts=[sshd.host], pkey=sshd.pkey, channel_timeout=0.2)
    output = client.run_command("sleep 2; echo done")
    with pytest.raises(Timeout) as info:
        list(output[sshd.host].stdout)
    assert info.value.host == sshd.host
    client.join(output)
    assert output[sshd.host].exit_code == 0
    assert list(output[sshd.host].stdout) == ["done"]


def test_paramiko_connect_options_are_passed_on(make_client, sshd):
    client = make_client(hosts=[sshd.host], pkey=sshd.pkey)
    output = client.run_command("whoami", compress=True, look_for_keys=False)
    client.join(output)
    assert list(output[sshd.host].stdout) == [sshd.user]
    transport = client.host_clients[sshd.host].client.get_transport()
    assert "zlib" in transport.local_compression and "zlib" in transport.remote_compression


def test_paramiko_options_checked_before_connecting(make_client, sshd):
    client = make_client(hosts=[sshd.host], pkey=sshd.pkey)
    with pytest.raises(TypeError) as info:
        client.run_command("id", gss_auth=True)
    assert "gss_auth" in str(info.value) and paramiko.__version__ in str(info.value)
    with pytest.raises(TypeError):
        client.run_command("id", sock=None)
    assert client.host_clients == {}
    with pytest.raises(TypeError):
        check_paramiko_kwargs({"hostname": "x"})
    check_paramiko_kwargs({"compress": True, "banner_timeout": 5, "disabled_algorithms": {}})


def test_agent_forwarding(make_client, sshd, ssh_agent, monkeypatch):
    monkeypatch.setenv("SSH_AUTH_SOCK", ssh_agent)
    client = make_client(hosts=[sshd.host], pkey=sshd.pkey, forward_ssh_agent=True)
    output = client.run_command("ssh-add -l", use_pty=False)
    client.join(output)
    assert output[sshd.host].exit_code == 0
    assert "ED25519" in " ".join(output[sshd.host].stdout)
    client = make_client(hosts=[sshd.host], pkey=sshd.pkey, forward_ssh_agent=False)
    output = client.run_command("ssh-add -l", use_pty=False)
    client.join(output)
    assert output[sshd.host].exit_code == 2  # no agent to talk to


# -- the single host client ---------------------------------------------------


def test_single_client_exec_command_and_shell_options(sshd):
    with SSHClient(
        sshd.host, port=sshd.port, user=sshd.user, pkey=sshd.pkey, num_retries=1
    ) as client:
        channel, host, stdout, stderr, stdin = client.exec_command(
            "echo $0 >&2; exit 4", use_pty=False
        )
        assert host == sshd.host
        assert list(client.read_output_buffer(stderr)) == ["/bin/sh"]  # the login shell
        client.wait_finished(channel)
        assert client.get_exit_status(channel) == 4
        channel, _host, stdout, _stderr, _stdin = client.exec_command(
            "/bin/echo no shell", use_shell=False
        )
        assert list(stdout) == ["no shell"]
        _channel, _host, stdout, _stderr, _stdin = client.exec_command("echo $0", shell="bash -c")
        assert list(stdout) == ["bash"]


def test_single_client_copy_with_own_sftp_and_mkdir(sshd, tmp_path, remote_dir):
    local = tmp_path / "local.bin"
    local.write_bytes(os.urandom(300_000))
    with SSHClient(
        sshd.host, port=sshd.port, user=sshd.user, pkey=sshd.pkey, num_retries=1
    ) as client:
        sftp = client._make_sftp()
        client.mkdir(sftp, remote_dir + "/a/b/c")
        assert os.path.isdir(os.path.join(remote_dir, "a", "b", "c"))
        client.copy_file(str(local), remote_dir + "/a/b/c/remote.bin", sftp=sftp)
        client.copy_remote_file(
            remote_dir + "/a/b/c/remote.bin", str(tmp_path / "back.bin"), sftp=sftp
        )
        sftp.close()
        assert (tmp_path / "back.bin").read_bytes() == local.read_bytes()
        with pytest.raises(ValueError):
            client.copy_remote_file(remote_dir + "/a", str(tmp_path / "dir"))
        with pytest.raises(OSError):
            client.copy_file(str(tmp_path / "missing"), remote_dir + "/x")


def test_single_client_after_disconnect_is_session_error(sshd):
    client = SSHClient(sshd.host, port=sshd.port, user=sshd.user, pkey=sshd.pkey, num_retries=1)
    client.disconnect()
    with pytest.raises(SessionError) as info:
        client.exec_command("true")
    assert info.value.host == sshd.host


def test_parallel_client_reconnects_after_disconnect(make_client, sshd):
    client = make_client(hosts=[sshd.host], pkey=sshd.pkey)
    assert whoami(client, sshd.host) == [sshd.user]
    client.host_clients[sshd.host].disconnect()
    assert whoami(client, sshd.host) == [sshd.user]


def test_many_hosts_concurrently(sshd_many):
    client = ParallelSSHClient(
        list(sshd_many.hosts), port=sshd_many.port, user=sshd_many.user, pkey=sshd_many.pkey,
        num_retries=2, retry_delay=1, pool_size=50,
    )  # fmt: skip
    output = client.run_command("echo $SSH_CONNECTION")
    client.join(output)
    assert len(output) == len(sshd_many.hosts)
    for host, host_out in output.items():
        assert host_out.exit_code == 0
        assert list(host_out.stdout)[0].split()[2] == host
    for host_client in client.host_clients.values():
        host_client.disconnect()


def test_greenlets_run_while_a_command_waits(make_client, sshd):
    """Monkey patching makes paramiko's blocking reads yield to other greenlets."""
    client = make_client(hosts=[sshd.host], pkey=sshd.pkey)
    output = client.run_command("sleep 1; echo late")
    ticks = []
    ticker = gevent.spawn(lambda: [ticks.append(gevent.sleep(0.05)) for _ in range(5)])
    assert list(output[sshd.host].stdout) == ["late"]
    ticker.join()
    assert len(ticks) == 5


# -- pure helpers ---------------------------------------------------------------


def test_wrap_command():
    assert wrap_command("ls -l", False, None, None, False) == "ls -l"
    assert wrap_command("ls -l", True, None, None, False) == "sudo -S ls -l"
    assert wrap_command("ls -l", True, "bob", None, False) == "sudo -u bob -S ls -l"
    assert wrap_command("ls -l", False, None, "bash -c", True) == "bash -c 'ls -l'"


# -- imports in the order the documentation shows ------------------------------

DOCS_EXAMPLE = r"""
import sys
from pssh.agent import SSHAgent
from pssh.utils import load_private_key
from pssh.clients.miko import ParallelSSHClient

host, port, user, key = sys.argv[1:]
agent = SSHAgent()
agent.add_key(load_private_key(key))
client = ParallelSSHClient([host], port=int(port), user=user, agent=agent, num_retries=1)
output = client.run_command('whoami')
client.join(output)
print(list(output[host].stdout)[0], output[host].exit_code)
"""


def test_documented_agent_example_imports_work(sshd):
    """The programmatic agent example imports pssh.agent and pssh.utils (and so
    paramiko) before the miko client patches; it still works."""
    env = {k: v for k, v in os.environ.items() if k != "SSH_AUTH_SOCK"}
    res = subprocess.run(
        [sys.executable, "-c", DOCS_EXAMPLE, sshd.host, str(sshd.port), sshd.user, sshd.pkey],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == [sshd.user, "0"]
