"""Native client connection control (parallel-ssh 2.x names): keepalives
noticing a frozen server, the 60 second default, keyboard-interactive,
ipv6_only; against real sshd servers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time

import gevent
import pytest

from pssh.clients.native import ParallelSSHClient, SSHClient
from pssh.clients.native._keepalive import COUNT_MAX
from pssh.config import HostConfig
from pssh.exceptions import AuthenticationException, PSSHError, UnknownHostException


def _session_pids(listener_pid: int) -> list[int]:
    # every descendant of the listening sshd: the per-connection processes
    out = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True).stdout
    children: dict[int, list[int]] = {}
    for line in out.splitlines():
        pid, ppid = (int(x) for x in line.split())
        children.setdefault(ppid, []).append(pid)
    found, todo = [], [listener_pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def test_keepalive_tells_the_kernel_to_give_up_on_an_unanswering_peer(sshd):
    # a vanished host cannot be made on loopback (the kernel always answers):
    # what is checked is the kernel's limit the keepalives rely on
    with SSHClient(sshd.host, port=sshd.port, user=sshd.user, pkey=sshd.pkey,
                   keepalive_seconds=2) as client:  # fmt: skip
        limit = client.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT)
        assert limit == (COUNT_MAX + 1) * 2 * 1000
    with SSHClient(sshd.host, port=sshd.port, user=sshd.user, pkey=sshd.pkey,
                   keepalive_seconds=0) as client:  # fmt: skip
        assert client.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == 0


def test_killed_server_connection_is_noticed_while_joining(sshd_factory):
    group = sshd_factory(first="127.0.0.80")
    server = group.config()
    listener = group.server_for(server.host).proc.pid
    client = ParallelSSHClient(
        [server.host], port=server.port, user=server.user, pkey=server.pkey,
        num_retries=0, keepalive_seconds=1,
    )  # fmt: skip
    output = client.run_command("sleep 120")
    sessions = _session_pids(listener)
    assert sessions
    for pid in sessions:
        os.kill(pid, signal.SIGKILL)
    guard = gevent.Timeout(30, AssertionError("join hung on a killed server connection"))
    with guard, pytest.raises(PSSHError) as raised:
        client.join(output)
    assert raised.value.host == server.host


def test_keepalive_default_is_60_seconds_and_0_turns_it_off(sshd):
    with SSHClient(sshd.host, port=sshd.port, user=sshd.user, pkey=sshd.pkey,
                   ssh_config="none") as client:  # fmt: skip
        assert client.settings.keepalive_interval == 60
        assert client._keepalive is not None
    with SSHClient(sshd.host, port=sshd.port, user=sshd.user, pkey=sshd.pkey,
                   ssh_config="none", keepalive_seconds=0) as client:  # fmt: skip
        assert client._keepalive is None


def test_ipv6_only_refuses_an_ipv4_host(sshd):
    with pytest.raises(UnknownHostException, match="ipv6_only"):
        SSHClient(sshd.host, port=sshd.port, user=sshd.user, pkey=sshd.pkey,
                  num_retries=0, ipv6_only=True)  # fmt: skip


def test_ipv6_only_per_host_from_host_config(sshd):
    client = ParallelSSHClient(
        [sshd.hosts[0], sshd.hosts[1]], port=sshd.port, user=sshd.user, pkey=sshd.pkey,
        num_retries=0, host_config=[HostConfig(ipv6_only=True), HostConfig()],
    )  # fmt: skip
    output = client.run_command("echo ok", stop_on_errors=False)
    client.join(output)
    assert isinstance(output[sshd.hosts[0]].exception, UnknownHostException)
    assert list(output[sshd.hosts[1]].stdout) == ["ok"]


def test_alias_on_single_client(sshd):
    with SSHClient(sshd.host, port=sshd.port, user=sshd.user, pkey=sshd.pkey,
                   alias="db-primary") as client:  # fmt: skip
        assert client.alias == "db-primary"


KBD_ONLY = ["PasswordAuthentication no", "KbdInteractiveAuthentication yes"]


def test_keyboard_interactive_with_usepam_no(sshd_factory):
    # OpenSSH 9.2 without PAM has no keyboard-interactive device on Linux
    # (only BSD auth or PAM provide one): the server offers no way to answer
    # prompts, so the client fails to authenticate, naming what it tried.
    server = sshd_factory(first="127.0.0.84", extra_config=KBD_ONLY).config()
    with pytest.raises(AuthenticationException, match="keyboard-interactive"):
        SSHClient(server.host, port=server.port, user=server.user,
                  password=server.password, allow_agent=False, identity_auth=False,
                  num_retries=0, keyboard_interactive=True)  # fmt: skip


def test_keyboard_interactive_needs_a_password(sshd):
    with pytest.raises(ValueError, match="keyboard_interactive needs a password"):
        SSHClient(sshd.host, port=sshd.port, user=sshd.user, keyboard_interactive=True)


@pytest.fixture
def kbdint_server(tmp_path):
    from embedded_server.kbdint_server import KbdIntServer

    server = KbdIntServer("127.0.0.87", "open sesame", str(tmp_path / "kbdint.log"))
    yield server
    server.stop()


def _kbd_client(server, **kwargs):
    kwargs.setdefault("password", "open sesame")
    return SSHClient(server.host, port=server.port, user="anyone", allow_agent=False,
                     identity_auth=False, num_retries=0, host_key_policy="off",
                     ssh_config="none", keepalive_seconds=0, **kwargs)  # fmt: skip


def test_keyboard_interactive_answers_the_prompt_with_the_password(kbdint_server):
    client = _kbd_client(kbdint_server, keyboard_interactive=True)
    assert client.session.userauth_authenticated()
    assert kbdint_server.answers() == 1
    client.disconnect()


def test_keyboard_interactive_off_or_wrong_password_fails(kbdint_server):
    with pytest.raises(AuthenticationException, match="password") as raised:
        _kbd_client(kbdint_server)
    assert "keyboard-interactive" not in str(raised.value)
    assert kbdint_server.answers() == 0
    with pytest.raises(AuthenticationException, match="keyboard-interactive") as raised:
        _kbd_client(kbdint_server, keyboard_interactive=True, password="not-the-password")
    assert "not-the-password" not in str(raised.value)  # no secret in messages


def test_keepalives_reach_the_server_of_an_idle_connection_and_stop_with_it(sshd_factory):
    # sshd logs each global request at DEBUG1; libssh2's keepalive is one
    group = sshd_factory(1, first="127.0.0.83", extra_config=["Match all", "LogLevel DEBUG1"])
    server = group.config()

    def received() -> int:
        with open(server.log_path, encoding="utf-8", errors="replace") as fh:
            return fh.read().count("rtype keepalive@libssh2.org")

    client = SSHClient(server.host, port=server.port, user=server.user, pkey=server.pkey,
                       keepalive_seconds=1)  # fmt: skip
    keepalive = client._keepalive
    deadline = time.monotonic() + 30  # bounded wait for an event, not a timing assert
    while received() < 2 and time.monotonic() < deadline:
        gevent.sleep(0.2)
    assert received() >= 2 and keepalive.active
    client.disconnect()
    assert not keepalive.active and client._keepalive is None
