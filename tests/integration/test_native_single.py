"""The native single-host client against real sshd servers."""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import time

import gevent
import pytest

from pssh.clients.native.single import SSHClient
from pssh.exceptions import (
    AuthenticationException,
    ConnectionErrorException,
    PKeyFileError,
    Timeout,
    UnknownHostException,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def client(sshd):
    c = SSHClient(sshd.host, port=sshd.port, user=sshd.user, pkey=sshd.pkey, num_retries=1)
    yield c
    c.disconnect()


def run(client, command, **kwargs):
    channel, host, stdout, stderr, stdin = client.run_command(command, **kwargs)
    out, err = list(stdout), list(stderr)
    client.wait_finished(channel)
    return out, err, client.get_exit_status(channel)


# -- authentication ----------------------------------------------------------


@pytest.mark.parametrize("key", ["pkey", "rsa_pkey", "ecdsa_pkey"])
def test_key_types(sshd, key):
    client = SSHClient(
        sshd.host,
        port=sshd.port,
        user=sshd.user,
        pkey=getattr(sshd, key),
        num_retries=1,
        allow_agent=False,
    )
    assert run(client, "echo ok") == (["ok"], [], 0)


def test_pkey_tilde_expanded_and_public_key_optional(sshd, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    shutil.copy(sshd.pkey, tmp_path / "only_private")  # no .pub next to it
    client = SSHClient(
        sshd.host,
        port=sshd.port,
        user=sshd.user,
        pkey="~/only_private",
        num_retries=1,
        allow_agent=False,
    )
    assert client.pkey == str(tmp_path / "only_private")
    assert run(client, "echo ok")[0] == ["ok"]


def test_pkey_from_memory(sshd):
    with open(sshd.pkey, "rb") as fh:
        data = fh.read()
    client = SSHClient(
        sshd.host, port=sshd.port, user=sshd.user, pkey=data, num_retries=1, allow_agent=False
    )
    assert run(client, "echo mem")[0] == ["mem"]


def test_missing_pkey_file(sshd, tmp_path):
    with pytest.raises(PKeyFileError) as info:
        SSHClient(sshd.host, port=sshd.port, pkey=str(tmp_path / "nope"))
    assert "nope" in str(info.value)


def test_agent_auth(sshd, ssh_agent, monkeypatch, tmp_path):
    monkeypatch.setenv("SSH_AUTH_SOCK", ssh_agent)
    monkeypatch.setenv("HOME", str(tmp_path))  # no default identities
    client = SSHClient(sshd.host, port=sshd.port, user=sshd.user, num_retries=1)
    assert run(client, "echo agent")[0] == ["agent"]


def test_allow_agent_false_skips_agent(sshd, ssh_agent, monkeypatch, tmp_path):
    monkeypatch.setenv("SSH_AUTH_SOCK", ssh_agent)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(AuthenticationException) as info:
        SSHClient(sshd.host, port=sshd.port, user=sshd.user, num_retries=1, allow_agent=False)
    assert info.value.host == sshd.host


@pytest.mark.parametrize(
    ("name", "key"), [("id_ed25519", "pkey"), ("id_ecdsa", "ecdsa_pkey"), ("id_rsa", "rsa_pkey")]
)
def test_default_identities(sshd, tmp_path, monkeypatch, name, key):
    ssh_dir = tmp_path / ".ssh"
    ssh_dir.mkdir()
    shutil.copy(getattr(sshd, key), ssh_dir / name)
    monkeypatch.setenv("HOME", str(tmp_path))
    client = SSHClient(sshd.host, port=sshd.port, user=sshd.user, num_retries=1, allow_agent=False)
    assert run(client, "echo id")[0] == ["id"]


def test_password_auth(sshd, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    client = SSHClient(
        sshd.host,
        port=sshd.port,
        user=sshd.user,
        password=sshd.password,
        num_retries=1,
        allow_agent=False,
    )
    assert run(client, "echo pw")[0] == ["pw"]


def test_wrong_password(sshd, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(AuthenticationException) as info:
        SSHClient(
            sshd.host,
            port=sshd.port,
            user=sshd.user,
            password="wrong",
            num_retries=1,
            allow_agent=False,
        )
    assert info.value.host == sshd.host
    assert "password" in str(info.value)


def test_wrong_key(sshd, tmp_path):
    other = tmp_path / "other"
    os.system("ssh-keygen -q -t ed25519 -N '' -f %s" % other)
    with pytest.raises(AuthenticationException) as info:
        SSHClient(
            sshd.host,
            port=sshd.port,
            user=sshd.user,
            pkey=str(other),
            num_retries=1,
            allow_agent=False,
        )
    assert sshd.host in str(info.value)


# agent forwarding: tests/integration/test_agent_forwarding_native.py


# -- commands ------------------------------------------------------------------


def test_run_command_tuple_and_exit_code(client, sshd):
    channel, host, stdout, stderr, stdin = client.run_command("echo out; echo err >&2; exit 3")
    assert host == sshd.host
    assert list(stdout) == ["out"]
    assert list(stderr) == ["err"]
    client.wait_finished(channel)
    assert client.get_exit_status(channel) == 3


def test_pty_combines_streams(client):
    out, err, code = run(client, "echo a; echo b >&2", use_pty=True)
    assert out == ["a", "b"]
    assert err == []
    assert code == 0


def test_shell_override(client):
    out, _, _ = run(client, "echo $0", shell="bash -c")
    assert out == ["bash"]


def test_quotes_need_no_escaping(client):
    out, _, _ = run(client, """echo "it's" 'a "test"'""")
    assert out == ["""it's a "test\""""]


def test_sudo_and_user(client):
    assert run(client, "whoami", sudo=True)[0] == ["root"]
    assert run(client, "whoami", user="nobody")[0] == ["nobody"]


def test_encoding(client):
    out, _, _ = run(client, r"printf 'h\000i\000\012\000'", encoding="utf-16-le")
    assert out == ["hi"]
    with pytest.raises(LookupError):
        client.run_command("echo", encoding="no-such-codec")


def test_undecodable_bytes_are_replaced(client):
    out, _, code = run(client, r"printf '\377abc\nnext\n'")
    assert out == ["\ufffdabc", "next"]
    assert code == 0


def test_last_line_without_newline_and_empty_lines(client):
    assert run(client, "printf 'a\\n\\nb'")[0] == ["a", "", "b"]


def test_large_output_arrives_whole(client):
    out, _, code = run(client, "seq 1 200000")
    assert out == [str(i) for i in range(1, 200001)]


def test_stdin(client):
    channel, _, stdout, _, stdin = client.run_command("read line; echo got $line")
    stdin.write("hello\n")
    stdin.flush()
    assert list(stdout) == ["got hello"]
    channel2, _, stdout2, _, stdin2 = client.run_command("cat")
    stdin2.write(b"binary\x00bytes\n" * 3)
    stdin2.close()
    assert list(stdout2) == ["binary\x00bytes"] * 3


def test_read_timeout(client, sshd):
    channel, _, stdout, _, _ = client.run_command("echo first; sleep 5; echo late", timeout=0.5)
    lines = []
    with pytest.raises(Timeout) as info:
        for line in stdout:
            lines.append(line)
    assert lines == ["first"]
    assert info.value.host == sshd.host
    client.close_channel(channel)


def test_output_restarts_after_timeout_without_loss(client):
    channel, _, stdout, _, _ = client.run_command("echo one; sleep 1; echo two", timeout=0.3)
    seen = []
    with pytest.raises(Timeout):
        for line in stdout:
            seen.append(line)
    client.wait_finished(channel)
    stdout, stderr = client.output_streams(channel)
    assert seen + list(stdout) == ["one", "two"]
    assert list(stderr) == []


def test_exit_code_without_reading_output(client):
    channel, _, stdout, _, _ = client.run_command("seq 1 300000; exit 7")
    client.wait_finished(channel)  # more than a window of output, never read
    assert client.get_exit_status(channel) == 7
    lines = list(stdout)  # and the output is still all there
    assert len(lines) == 300000 and lines[-1] == "300000"


def test_wait_finished_timeout(client, sshd):
    channel, *_ = client.run_command("sleep 5")
    with pytest.raises(Timeout) as info:
        client.wait_finished(channel, timeout=0.3)
    assert info.value.host == sshd.host
    assert client.get_exit_status(channel) is None


def test_execute_open_session_read_output(client):
    channel = client.execute("echo x; echo y >&2")
    assert list(client.read_output(channel)) == [b"x"]  # bytes lines, as in 1.8.0
    assert list(client.read_stderr(channel)) == [b"y"]
    client.wait_finished(channel)
    assert client.get_exit_status(channel) == 0
    channel = client.open_session()
    client.execute("exit 4", channel=channel)
    client.wait_finished(channel)
    assert channel.get_exit_status() == 4


def test_read_output_buffer_logs_and_calls_back(client, sshd, caplog):
    called = []
    caplog.set_level(logging.INFO, logger="pssh.host_logger")
    channel, _, stdout, _, _ = client.run_command("echo logged")
    lines = list(
        client.read_output_buffer(
            stdout, prefix="\t[out]", callback=called.append, callback_args=("done",)
        )
    )
    assert lines == ["logged"]
    assert called == ["done"]
    assert any(sshd.host in r.getMessage() and "logged" in r.getMessage() for r in caplog.records)


def test_close_channel_with_pty_ends_command(client):
    channel, _, stdout, _, _ = client.run_command("echo started; sleep 30", use_pty=True)
    assert next(stdout) == "started"  # the command runs on the terminal now
    started = time.monotonic()
    client.close_channel(channel)
    client.wait_finished(channel)
    assert time.monotonic() - started < 20


def test_disconnect(sshd):
    c = SSHClient(sshd.host, port=sshd.port, user=sshd.user, pkey=sshd.pkey, num_retries=1)
    c.disconnect()
    assert c.session is None
    c.disconnect()  # twice is fine


def test_idle_wait_uses_no_cpu(client):
    channel, _, stdout, _, _ = client.run_command("sleep 1.5; echo done")
    before = time.process_time()
    assert list(stdout) == ["done"]
    assert time.process_time() - before < 0.5


def test_many_clients_share_one_hub(sshd):
    clients = [
        SSHClient(h, port=sshd.port, user=sshd.user, pkey=sshd.pkey, num_retries=1)
        for h in sshd.hosts
    ]
    # each command reports when it started and ended on the server
    command = "date +%s.%N; sleep 1; date +%s.%N; echo $SSH_CONNECTION"
    jobs = [gevent.spawn(run, c, command) for c in clients]
    gevent.joinall(jobs, raise_error=True)
    spans = [(float(job.value[0][0]), float(job.value[0][1])) for job in jobs]
    # all four ran at the same time: the last to start started before the first ended
    assert max(start for start, _ in spans) < min(end for _, end in spans)
    assert {job.value[0][2].split()[2] for job in jobs} == set(sshd.hosts)


# -- connection errors ---------------------------------------------------------


def test_unknown_host():
    with pytest.raises(UnknownHostException) as info:
        SSHClient("no-such-host.invalid", num_retries=1)
    assert info.value.host == "no-such-host.invalid"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_refused_after_retries():
    port = _free_port()
    started = time.monotonic()
    with pytest.raises(ConnectionErrorException) as info:
        SSHClient("127.0.0.1", port=port, num_retries=2, retry_delay=0.2)
    assert info.value.host == "127.0.0.1"
    assert str(port) in str(info.value)
    assert info.value.attempts == 2
    assert time.monotonic() - started >= 0.2


class _SilentServer:
    """Accepts TCP connections and never says anything (counts them)."""

    def __init__(self, close=False):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(50)
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        self.close = close
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)
            if self.close:
                conn.close()

    def stop(self):
        self.sock.close()
        for conn in self.accepted:
            conn.close()


def test_handshake_timeout_is_bounded():
    server = _SilentServer()
    try:
        with pytest.raises(Timeout) as info:
            SSHClient("127.0.0.1", port=server.port, num_retries=2, retry_delay=0, timeout=0.5)
        assert info.value.host == "127.0.0.1"
        assert len(server.accepted) == 2
    finally:
        server.stop()


def test_server_closing_connection_is_retried():
    server = _SilentServer(close=True)
    try:
        with pytest.raises(ConnectionErrorException):
            SSHClient("127.0.0.1", port=server.port, num_retries=3, retry_delay=0, timeout=2)
        assert len(server.accepted) == 3
    finally:
        server.stop()


def test_concurrent_readers_on_one_session(client):
    """Readers of several channels (stdout and stderr each) share one
    session: whoever takes another's data off the socket must wake it."""
    commands = [
        client.run_command("for i in 1 2 3; do echo o$i; echo e$i >&2; sleep 0.1; done")
        for _ in range(5)
    ]
    jobs = []
    for _, _, stdout, stderr, _ in commands:
        jobs.append(gevent.spawn(list, stdout))
        jobs.append(gevent.spawn(list, stderr))
    gevent.joinall(jobs, timeout=20, raise_error=True)
    assert all(job.ready() for job in jobs)
    values = [job.value for job in jobs]
    assert values == [["o1", "o2", "o3"], ["e1", "e2", "e3"]] * 5


def test_modern_cipher_is_negotiated(client):
    from ssh2.session import LIBSSH2_METHOD_CRYPT_CS, LIBSSH2_METHOD_KEX

    assert client.session.methods(LIBSSH2_METHOD_CRYPT_CS) == "aes128-gcm@openssh.com"
    assert client.session.methods(LIBSSH2_METHOD_KEX).startswith("curve25519-sha256")


def test_reading_stdout_first_with_much_stderr_does_not_hang(client):
    # 4 MiB on stderr (twice the channel window) before stdout ends
    command = "head -c 4194304 /dev/zero | tr '\\0' e >&2; echo out-done"
    channel, _, stdout, stderr, _ = client.run_command(command, timeout=30)
    assert list(stdout) == ["out-done"]
    assert [len(line) for line in stderr] == [4194304]
    client.wait_finished(channel)
    assert client.get_exit_status(channel) == 0


def test_many_commands_opened_at_once_on_one_client(client):
    jobs = [gevent.spawn(run, client, "echo %d" % i) for i in range(20)]
    gevent.joinall(jobs, timeout=30, raise_error=True)
    assert [job.value for job in jobs] == [([str(i)], [], 0) for i in range(20)]
