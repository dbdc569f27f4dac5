"""The embedded OpenSSH servers and agent work, checked with the plain OpenSSH client."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys

import pytest
from embedded_server.openssh import (
    MAX_LISTEN_ADDRESSES,
    PortInUseError,
    ServerConfig,
    ServerError,
    ServerGroup,
    host_addresses,
    make_temp_dir,
    pid_alive,
    remove_temp_dir,
    start_agent,
)

pytestmark = pytest.mark.integration

SSH_OPTS = [
    "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
    "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=30",
]  # fmt: skip


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SSH_", "DISPLAY"))}
    env.update(extra)
    return env


def ssh(cfg: ServerConfig, host: str, command: str, *opts: str, key: str | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess:  # fmt: skip
    argv = ["ssh", "-p", str(cfg.port), *opts, *SSH_OPTS]  # first -o value wins
    if key is not None:
        argv += ["-i", key, "-o", "IdentitiesOnly=yes"]
    argv += [f"{cfg.user}@{host}", command]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, env=env or clean_env())  # fmt: skip


def banner(host: str, port: int) -> bytes:
    with socket.create_connection((host, port), timeout=10) as sock:
        return sock.makefile("rb").readline()


def sshd_cmdlines(config_path: str) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/cmdline", "rb") as fh:
                    if config_path.encode() in fh.read():
                        found.append(int(name))
            except OSError:
                pass
    return found


def test_sshd_runs_command_on_every_host(sshd: ServerConfig) -> None:
    assert sshd.hosts == ("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")
    assert sshd.host == "127.0.0.2"
    for host in sshd.hosts:
        res = ssh(sshd, host, "echo hi; id -un", key=sshd.pkey)
        assert res.returncode == 0, res.stderr
        assert res.stdout.split() == ["hi", sshd.user]


def test_server_config_is_frozen(sshd: ServerConfig) -> None:
    with pytest.raises(AttributeError):
        sshd.port = 1  # type: ignore[misc]
    assert sshd.port not in (22, 2222)
    assert sshd.pkey_pub == sshd.pkey + ".pub"
    assert os.path.isfile(sshd.log_path)


@pytest.mark.parametrize("key_attr", ["pkey", "rsa_pkey", "ecdsa_pkey"])
def test_every_user_key_type_is_authorised(sshd: ServerConfig, key_attr: str) -> None:
    key = getattr(sshd, key_attr)
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    res = ssh(sshd, "127.0.0.3", "echo hi", key=key)
    assert res.returncode == 0, res.stderr
    assert res.stdout == "hi\n"


def test_password_login(sshd: ServerConfig, tmp_path) -> None:
    if os.geteuid() != 0:
        assert sshd.password is None  # only root can give the test user a known password
        return
    askpass = tmp_path / "askpass"
    askpass.write_text(f"#!/bin/sh\necho '{sshd.password}'\n")
    askpass.chmod(0o700)
    env = clean_env(SSH_ASKPASS=str(askpass), SSH_ASKPASS_REQUIRE="force")
    opts = ["-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password",
            "-o", "BatchMode=no", "-o", "NumberOfPasswordPrompts=1"]  # fmt: skip
    res = ssh(sshd, "127.0.0.4", "echo pw-ok", *opts, env=env)
    assert res.returncode == 0, res.stderr
    assert res.stdout == "pw-ok\n"


def test_wrong_key_is_refused(sshd: ServerConfig, tmp_path) -> None:
    other = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    res = ssh(sshd, sshd.host, "echo hi", key=str(other))
    assert res.returncode == 255
    assert "Permission denied" in res.stderr


def test_login_user_shell_and_home(sshd: ServerConfig) -> None:
    res = ssh(sshd, sshd.host, 'echo "$HOME"; pwd', key=sshd.pkey)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == [sshd.home, sshd.home]
    if os.geteuid() == 0:
        assert sshd.user == "pssh-test"


def test_sudo_for_test_user(sshd: ServerConfig) -> None:
    res = ssh(sshd, sshd.host, "command -v sudo >/dev/null && sudo -n id -un", key=sshd.pkey)
    if os.geteuid() == 0 and os.path.exists("/usr/bin/sudo"):
        assert res.returncode == 0, res.stderr
        assert res.stdout == "root\n"
    else:
        assert res.returncode != 0


def test_sftp_subsystem(sshd: ServerConfig, remote_dir: str) -> None:
    argv = ["sftp", "-P", str(sshd.port), *SSH_OPTS, "-i", sshd.pkey, "-b", "-",
            f"{sshd.user}@{sshd.host}"]  # fmt: skip
    res = subprocess.run(argv, input=f"mkdir {remote_dir}/made-by-sftp\n", capture_output=True,
                         text=True, timeout=60, env=clean_env())  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert os.path.isdir(os.path.join(remote_dir, "made-by-sftp"))


def test_known_hosts_matches_server(sshd: ServerConfig) -> None:
    opts = ["-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={sshd.known_hosts}"]
    argv = ["ssh", "-p", str(sshd.port), "-i", sshd.pkey, "-o", "BatchMode=yes", *opts,
            f"{sshd.user}@127.0.0.5", "echo known"]  # fmt: skip
    res = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=clean_env())
    assert res.returncode == 0, res.stderr
    assert res.stdout == "known\n"


def test_auth_sock_is_not_inherited() -> None:
    assert "SSH_AUTH_SOCK" not in os.environ


def test_agent_lists_and_authenticates(sshd: ServerConfig, ssh_agent: str) -> None:
    env = clean_env(SSH_AUTH_SOCK=ssh_agent)
    listed = subprocess.run(["ssh-add", "-l"], capture_output=True, text=True, env=env)
    assert listed.returncode == 0, listed.stderr
    assert "ED25519" in listed.stdout and len(listed.stdout.splitlines()) == 1
    fingerprint = subprocess.run(["ssh-keygen", "-lf", sshd.pkey_pub], capture_output=True,
                                 text=True, check=True).stdout.split()[1]  # fmt: skip
    assert fingerprint in listed.stdout
    res = ssh(sshd, sshd.host, "echo via-agent", env=env)  # no -i: only the agent has a key
    assert res.returncode == 0, res.stderr
    assert res.stdout == "via-agent\n"


def test_agent_stop_removes_socket(ssh_keys) -> None:
    agent = start_agent([ssh_keys.rsa_pkey, ssh_keys.ecdsa_pkey])
    env = clean_env(SSH_AUTH_SOCK=agent.sock)
    listed = subprocess.run(["ssh-add", "-l"], capture_output=True, text=True, env=env)
    assert len(listed.stdout.splitlines()) == 2
    proc = agent.proc
    agent.stop()
    assert proc is not None and proc.returncode is not None  # reaped
    assert not os.path.exists(agent.sock)
    agent.stop()  # idempotent


def test_proxy_sshd_is_independent(sshd: ServerConfig, proxy_sshd: ServerConfig) -> None:
    assert proxy_sshd.hosts == ("127.0.0.50",)
    assert proxy_sshd.port != sshd.port
    res = ssh(proxy_sshd, proxy_sshd.host, "echo proxy", key=proxy_sshd.pkey)
    assert res.returncode == 0, res.stderr
    with open(proxy_sshd.log_path) as fh:
        assert f"Accepted publickey for {proxy_sshd.user}" in fh.read()


def test_many_hosts_on_one_port(sshd_many: ServerConfig, sshd_many_group: ServerGroup) -> None:
    assert sshd_many.hosts == tuple(host_addresses(100, "127.0.0.2"))
    assert sshd_many.hosts[-1] == "127.0.0.101"
    assert len(sshd_many_group.servers) == 7
    assert len(sshd_many.log_paths) == 7
    for server in sshd_many_group.servers:
        with open(server.config_path) as fh:
            listen = [line for line in fh if line.startswith("ListenAddress ")]
        assert len(listen) == len(server.addresses) <= MAX_LISTEN_ADDRESSES
    for host in sshd_many.hosts:
        assert banner(host, sshd_many.port).startswith(b"SSH-2.0-OpenSSH"), host
    for server in sshd_many_group.servers:  # a real login on one address of every process
        res = ssh(sshd_many, server.addresses[-1], "echo many", key=sshd_many.pkey)
        assert res.returncode == 0, res.stderr
        assert res.stdout == "many\n"


def test_stop_leaves_no_sshd(sshd_factory) -> None:
    group = sshd_factory(count=2, first="127.0.0.70")
    cfg = group.config()
    server = group.servers[0]
    # A connection with a running command: its sshd children must go too.
    argv = ["ssh", "-p", str(cfg.port), *SSH_OPTS, "-i", cfg.pkey, f"{cfg.user}@127.0.0.71",
            "echo started; exec sleep 300"]  # fmt: skip
    client = subprocess.Popen(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                              text=True, env=clean_env())  # fmt: skip
    try:
        assert client.stdout is not None
        assert client.stdout.readline() == "started\n"
        assert server.proc is not None
        assert server.proc.pid in sshd_cmdlines(server.config_path)
        group.stop()
        assert not group.running
        assert len(server.stopped_pids) > 1  # master + connection children
        assert [pid for pid in server.stopped_pids if pid_alive(pid)] == []
        assert sshd_cmdlines(server.config_path) == []
        assert not os.path.exists(server.pid_file)
        assert client.wait(timeout=30) == 255  # the server side went away
    finally:
        if client.poll() is None:
            client.kill()
        client.wait()
    with pytest.raises(OSError):
        banner("127.0.0.70", cfg.port)
    group.stop()  # idempotent


def test_restart_with_new_host_key(sshd_factory) -> None:
    group = sshd_factory(count=1, first="127.0.0.80")
    cfg = group.config()
    old = subprocess.run(["ssh-keyscan", "-p", str(cfg.port), "-t", "ed25519", cfg.host],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    new_keys = group.restart_with_new_host_key()
    assert group.running and group.port == cfg.port
    new = subprocess.run(["ssh-keyscan", "-p", str(cfg.port), "-t", "ed25519", cfg.host],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert old.split()[1:] != new.split()[1:]
    with open(new_keys[0] + ".pub") as fh:
        assert fh.read().split()[1] == new.split()[2]
    opts = ["-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={cfg.known_hosts}"]
    argv = ["ssh", "-p", str(cfg.port), "-i", cfg.pkey, "-o", "BatchMode=yes", *opts,
            f"{cfg.user}@{cfg.host}", "echo hi"]  # fmt: skip
    res = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=clean_env())
    assert res.returncode == 255
    assert "HOST IDENTIFICATION HAS CHANGED" in res.stderr


def test_port_in_use_is_reported(ssh_keys) -> None:
    workdir = make_temp_dir()
    with socket.socket() as blocker:
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        blocker.bind(("127.0.0.90", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        group = ServerGroup(["127.0.0.90"], port, ssh_keys, workdir)
        with pytest.raises(PortInUseError, match="Bind to port"):
            group.start(timeout=30)
    assert not group.running
    remove_temp_dir(workdir)


def test_bad_config_is_reported_with_log(ssh_keys) -> None:
    workdir = make_temp_dir()
    group = ServerGroup(["127.0.0.91"], 1, ssh_keys, workdir, extra_config=["NoSuchOption yes"])
    with pytest.raises(ServerError, match="NoSuchOption"):
        group.start(timeout=30)
    assert not group.running
    remove_temp_dir(workdir)


def test_host_addresses() -> None:
    assert host_addresses(3, "127.0.0.254") == ["127.0.0.254", "127.0.0.255", "127.0.1.0"]


def test_library_has_no_pytest_import() -> None:
    import embedded_server.openssh as lib

    src_dir = os.path.dirname(lib.__file__)
    for name in os.listdir(src_dir):
        if name.endswith(".py"):
            with open(os.path.join(src_dir, name)) as fh:
                assert "import pytest" not in fh.read(), name
    assert "pytest" not in subprocess.run(
        [sys.executable, "-c", "import sys; sys.path.insert(0, 'tests'); "
         "import embedded_server.openssh; print(' '.join(sys.modules))"],
        capture_output=True, text=True, check=True, cwd=os.path.dirname(os.path.dirname(src_dir)),
    ).stdout.split()  # fmt: skip
