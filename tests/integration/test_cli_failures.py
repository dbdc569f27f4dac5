"""What ``pssh`` says for each kind of host failure, as a subprocess against the real sshd.

One test per failure kind (refused port, wrong password, host key mismatch, failing
command, timeout with and without ``--cancel-on-timeout``), each asserting the whole
stderr line by line and the exit status: one ``pssh: host: cause: message`` line as the
host fails, the summary, and never a traceback; with ``-v``, the library's log and the
traceback too.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
import time

import pytest
from embedded_server.openssh import ServerConfig
from test_cli import UNREACHABLE, login, pssh, pssh_env

pytestmark = pytest.mark.integration


def err_lines(stderr: str) -> list[str]:
    assert "Traceback" not in stderr, stderr
    return stderr.splitlines()


def test_refused_port(sshd: ServerConfig) -> None:
    res = pssh("-H", f"{sshd.host} {UNREACHABLE}", *login(sshd), "--", "echo hi")
    assert res.returncode == 2
    assert res.stdout == f"{sshd.host}: hi\n"
    lines = err_lines(res.stderr)
    assert len(lines) == 3, lines
    assert re.fullmatch(
        rf"pssh: {UNREACHABLE}: unreachable: .*{re.escape(UNREACHABLE)}.*{sshd.port}.*", lines[0]
    ), lines[0]
    assert "refused" in lines[0].lower()
    assert lines[1:] == [
        "pssh: 2 hosts: 1 ok, 1 failed (1 unreachable)",
        f"  unreachable: {UNREACHABLE}",
    ]
    # in option terms: how many attempts, not the library's num_retries
    assert "num_retries" not in res.stderr and "(attempt 1 of 1)" in lines[0]


def test_wrong_password(sshd: ServerConfig) -> None:
    env = pssh_env(HOME="/nonexistent", PSSH_PASSWORD="not-the-password")
    res = pssh("-A", "-H", sshd.host, "-l", sshd.user, "--port", str(sshd.port), "--no-agent",
               "--", "true", env=env)  # fmt: skip
    assert res.returncode == 2
    lines = err_lines(res.stderr)
    assert len(lines) == 3, lines
    assert lines[0].startswith(f"pssh: {sshd.host}: authentication failed: "), lines[0]
    assert lines[1:] == ["pssh: 1 host: 0 ok, 1 failed (1 authentication failed)",
                         f"  authentication failed: {sshd.host}"]  # fmt: skip
    assert "not-the-password" not in res.stdout + res.stderr


def test_host_key_mismatch(sshd: ServerConfig, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pub = sshd.pkey_pub
    if os.path.exists(pub):
        with open(pub) as fh:
            pub = fh.read()
    key_type, key_data = pub.split()[:2]  # the user's key: not the host's
    known = tmp_path / "known_hosts"
    known.write_text(f"[{sshd.host}]:{sshd.port} {key_type} {key_data}\n")
    res = pssh("--known-hosts", str(known), "-H", sshd.host, *login(sshd), "--", "true")
    assert res.returncode == 2
    lines = err_lines(res.stderr)
    assert len(lines) == 3, lines
    assert lines[0].startswith(f"pssh: {sshd.host}: host key rejected: Host key verification "
                               "failed"), lines[0]  # fmt: skip
    assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in lines[0]
    assert lines[1:] == ["pssh: 1 host: 0 ok, 1 failed (1 host key rejected)",
                         f"  host key rejected: {sshd.host}"]  # fmt: skip


def test_unknown_host_key_message_names_the_option(sshd: ServerConfig, tmp_path) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    res = pssh("--host-key-policy", "strict", "--known-hosts", str(empty), "-H", sshd.host,
               *login(sshd), "--", "true")  # fmt: skip
    assert res.returncode == 2
    first = err_lines(res.stderr)[0]
    assert "--host-key-policy is strict" in first and "--host-key-policy accept-new" in first
    assert "host_key_policy" not in res.stderr


def test_failing_command(sshd: ServerConfig) -> None:
    res = pssh("-H", "127.0.0.[2-3]", *login(sshd), "--", "echo oops >&2; exit 3")
    assert res.returncode == 1
    lines = sorted(err_lines(res.stderr)[:4])
    assert lines == [
        "127.0.0.2: oops",
        "127.0.0.3: oops",
        "pssh: 127.0.0.2: command exited with code 3",
        "pssh: 127.0.0.3: command exited with code 3",
    ]
    assert err_lines(res.stderr)[4:] == ["pssh: 2 hosts: 0 ok, 2 failed (2 non-zero exit)",
                                         "  non-zero exit: 127.0.0.[2-3]"]  # fmt: skip


def _marker() -> str:
    """A ``sleep`` argument no other process has: ``sleep 30.<pid>``."""
    return f"sleep 30.{os.getpid()}"


def _running(marker: str) -> bool:
    """Whether a process with ``marker`` in its command line runs (the servers are local)."""
    found = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True, check=False)
    return bool(found.stdout.strip())


def test_timeout_leaves_the_command_running(sshd: ServerConfig) -> None:
    marker = _marker()
    command = f"echo started; {marker}"
    try:
        res = pssh("-t", "1", "-H", sshd.host, *login(sshd), "--", command)
        assert res.returncode == 1
        assert res.stdout == f"{sshd.host}: started\n"
        assert err_lines(res.stderr) == [
            f"pssh: {sshd.host}: timed out: still running after 1s; pssh stopped waiting and "
            "left the remote command running (--cancel-on-timeout stops it)",
            "pssh: 1 host: 0 ok, 1 failed (1 timed out)",
            f"  timed out: {sshd.host}",
        ]
        assert _running(marker)  # as the message says
    finally:
        subprocess.run(["pkill", "-f", marker], check=False)


def test_cancel_on_timeout_stops_the_command(sshd: ServerConfig) -> None:
    marker = _marker()
    command = f"echo started; {marker}"
    try:
        started = time.monotonic()
        res = pssh("-t", "1", "--cancel-on-timeout", "-H", "127.0.0.[2-3]", *login(sshd),
                   "--", command)  # fmt: skip
        assert time.monotonic() - started < 25
        assert res.returncode == 1
        lines = err_lines(res.stderr)
        assert sorted(lines[:2]) == [
            f"pssh: {host}: timed out: still running after 1s; sent SIGTERM "
            "(--cancel-on-timeout): the remote command ended"
            for host in ("127.0.0.2", "127.0.0.3")
        ]
        assert lines[2:] == ["pssh: 2 hosts: 0 ok, 2 failed (2 timed out)",
                             "  timed out: 127.0.0.[2-3]"]  # fmt: skip
        assert not _running(marker)
    finally:
        subprocess.run(["pkill", "-f", marker], check=False)


def test_cancel_on_timeout_needs_a_timeout() -> None:
    res = pssh("-H", "127.0.0.2", "--cancel-on-timeout", "--", "true")
    assert res.returncode == 3
    assert "--cancel-on-timeout needs -t SECS" in res.stderr


def test_verbose_shows_the_log_and_the_traceback(sshd: ServerConfig) -> None:
    res = pssh("-v", "-H", f"{sshd.host} {UNREACHABLE}", *login(sshd), "--", "true")
    assert res.returncode == 2
    assert f"pssh: {UNREACHABLE}: unreachable: " in res.stderr
    assert "Traceback (most recent call last)" in res.stderr
    assert res.stderr.count("Traceback") == 1  # the failed host's, once; none for the good one
    assert f"pssh: {UNREACHABLE}: Traceback (most recent call last):" in res.stderr
    quiet = pssh("-H", f"{sshd.host} {UNREACHABLE}", *login(sshd), "--", "true")
    assert "[pssh" not in quiet.stderr and "Traceback" not in quiet.stderr


def test_host_that_never_answers(sshd: ServerConfig) -> None:
    """A host that accepts the connection and then says nothing: reported unreachable
    after --connect-timeout, while the others run; no hang, no traceback."""
    listener = socket.socket()
    listener.bind(("127.0.0.60", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def hold() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    silent = f"127.0.0.60:{listener.getsockname()[1]}"
    try:
        res = pssh("--connect-timeout", "2", "-H", f"{silent} {sshd.host}", *login(sshd),
                   "--", "echo hi")  # fmt: skip
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()
    assert res.returncode == 2
    assert res.stdout == f"{sshd.host}: hi\n"
    lines = err_lines(res.stderr)
    assert len(lines) == 3, lines
    assert lines[0].startswith(f"pssh: {silent}: unreachable: "), lines[0]
    assert lines[1:] == [
        "pssh: 2 hosts: 1 ok, 1 failed (1 unreachable)",
        f"  unreachable: {silent}",
    ]


def test_copy_still_going_at_the_timeout_is_stopped(
    sshd: ServerConfig, remote_dir: str, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """A download of a FIFO nobody writes never ends: -t stops it."""
    fifo = os.path.join(remote_dir, "never")
    os.mkfifo(fifo)
    os.chmod(fifo, 0o666)
    try:
        res = pssh("copy", "-t", "1", "-H", sshd.host, *login(sshd), f":{fifo}",
                   str(tmp_path / "down"))  # fmt: skip
    finally:
        try:  # let the blocked sftp-server go: it gets end of file
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
    assert res.returncode == 1
    assert err_lines(res.stderr) == [
        f"pssh: {sshd.host}: timed out: still running after 1s; the copy was stopped",
        "pssh: 1 host: 0 ok, 1 failed (1 timed out)",
        f"  timed out: {sshd.host}",
    ]
