"""Each row of the failure table (:data:`pssh.clients._failures.TABLE`) met for real, on
both client families: the class the table names, the host in ``.host``, in the 1.8.0
``args`` where 1.8.0 defines them (``args[1]``) and in the message.

Written as 1.8.0 code meets failures: through the clients' public calls, against real
OpenSSH servers and sockets on 127.0.0.0/8.
"""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import time
import uuid

import gevent
import pytest
from backends import PARALLEL, SINGLE

from pssh.clients._failures import ROWS, Failure
from pssh.exceptions import PSSHError, SFTPIOError

pytestmark = pytest.mark.integration

GUARD = 60  # seconds: a hung test fails instead of blocking the run

# 1.8.0 gives these ``args[1]`` = the host.
ARGS_NAME_HOST = {
    Failure.REFUSED, Failure.UNREACHABLE, Failure.UNKNOWN_NAME, Failure.AUTH,
    Failure.CONNECT_TIMEOUT, Failure.READ_TIMEOUT, Failure.CONNECTION_LOST, Failure.PROXY_DOWN,
}  # fmt: skip


def refused_port() -> int:
    """A port nothing listens on (bound, then closed, by us)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listener(backlog: int) -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(backlog)
    return sock


def failure(call) -> BaseException:
    with gevent.Timeout(GUARD):
        try:
            call()
        except Exception as exc:
            return exc
    pytest.fail("nothing raised")


def login(sshd, **kwargs):
    kwargs = {"port": sshd.port, "user": sshd.user, "pkey": sshd.pkey, "num_retries": 1,
              **kwargs}  # fmt: skip
    return kwargs


def stdout_of(result):
    return result[2] if isinstance(result, tuple) else result.stdout


def _refused(family, sshd, tmp_path):
    return "127.0.0.1", failure(lambda: SINGLE[family]("127.0.0.1", port=refused_port(),
                                                       num_retries=1))  # fmt: skip


def _unreachable(family, sshd, tmp_path):
    full = listener(0)  # backlog 0, filled: Linux drops every further SYN
    filler = socket.create_connection(full.getsockname())
    try:
        port = full.getsockname()[1]
        return "127.0.0.1", failure(
            lambda: SINGLE[family]("127.0.0.1", port=port, num_retries=1, timeout=1)
        )
    finally:
        filler.close()
        full.close()


def _unknown_name(family, sshd, tmp_path):
    return "no-such-host.invalid", failure(
        lambda: SINGLE[family]("no-such-host.invalid", num_retries=1)
    )


def _auth(family, sshd, tmp_path):
    return sshd.host, failure(lambda: SINGLE[family](
        sshd.host, port=sshd.port, user=sshd.user, password="not-the-password", num_retries=1,
        allow_agent=False))  # fmt: skip


def _host_key_mismatch(family, sshd, tmp_path):
    key = tmp_path / "other_host_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True,
                   stdin=subprocess.DEVNULL)  # fmt: skip
    known = tmp_path / "known_hosts"
    known.write_text("[%s]:%s %s" % (sshd.host, sshd.port, (tmp_path / "other_host_key.pub")
                                     .read_text()))  # fmt: skip
    return sshd.host, failure(lambda: SINGLE[family](
        sshd.host, known_hosts=str(known), host_key_policy="strict", **login(sshd)))  # fmt: skip


def _connect_timeout(family, sshd, tmp_path):
    silent = listener(8)  # accepts (the kernel does), never says a word
    try:
        port = silent.getsockname()[1]
        return "127.0.0.1", failure(
            lambda: SINGLE[family]("127.0.0.1", port=port, num_retries=1, timeout=1)
        )
    finally:
        silent.close()


def _read_timeout(family, sshd, tmp_path):
    client = SINGLE[family](sshd.host, **login(sshd))
    try:
        result = client.run_command("sleep 5", timeout=0.5)
        return sshd.host, failure(lambda: list(stdout_of(result)))
    finally:
        client.disconnect()


def parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as fh:
        return int(fh.read().rsplit(")", 1)[1].split()[1])


def _kill_session_of(marker: str) -> None:
    """SIGKILL the server's session process running the command marked ``marker`` (the
    parent of its shell), then the shell and its children: the client sees its
    connection drop in the middle of the command."""
    deadline = time.monotonic() + 20
    shells: list[str] = []
    while not shells and time.monotonic() < deadline:
        shells = subprocess.run(["pgrep", "-f", marker], capture_output=True,
                                text=True).stdout.split()  # fmt: skip
        time.sleep(0.1)
    assert shells, "the command did not start"
    marked = [int(pid) for pid in shells]
    top = [pid for pid in marked if parent(pid) not in marked]
    assert len(top) == 1, shells
    session = parent(top[0])
    with open(f"/proc/{session}/cmdline", "rb") as fh:
        assert fh.read().startswith(b"sshd"), "not the server's session process"
    children = subprocess.run(["pgrep", "-P", ",".join(shells)], capture_output=True,
                              text=True).stdout.split()  # fmt: skip
    os.kill(session, signal.SIGKILL)
    for pid in [*marked, *map(int, children)]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _connection_lost(family, sshd, tmp_path):
    marker = "pssh-lost-" + uuid.uuid4().hex
    client = SINGLE[family](sshd.host, **login(sshd))
    try:
        result = client.run_command("echo started; sleep 30 && : %s" % marker)
        lines = stdout_of(result)
        with gevent.Timeout(GUARD):
            assert next(lines) == "started"
        _kill_session_of(marker)
        return sshd.host, failure(lambda: list(lines))
    finally:
        client.disconnect()


def _download_error(family, sshd, remote_file, local_file):
    client = SINGLE[family](sshd.host, **login(sshd))
    try:
        return sshd.host, failure(lambda: client.copy_remote_file(remote_file, local_file))
    finally:
        client.disconnect()


def _remote_missing(family, sshd, tmp_path):
    return _download_error(family, sshd, "/no-such-dir/file", str(tmp_path / "file"))


def _remote_denied(family, sshd, tmp_path):
    return _download_error(family, sshd, "/etc/shadow", str(tmp_path / "shadow"))


def _local_disk(family, sshd, tmp_path):
    (tmp_path / "plain").write_text("a file, not a folder")
    return _download_error(family, sshd, "/etc/hostname", str(tmp_path / "plain" / "below"))


def _proxy_down(family, sshd, tmp_path):
    client = PARALLEL[family]([sshd.host], proxy_host="127.0.0.1", proxy_port=refused_port(),
                              **login(sshd))  # fmt: skip
    with gevent.Timeout(GUARD):
        output = client.run_command("true", stop_on_errors=False)
    return sshd.host, output[sshd.host].exception


TRIGGERS = {
    Failure.REFUSED: _refused,
    Failure.UNREACHABLE: _unreachable,
    Failure.UNKNOWN_NAME: _unknown_name,
    Failure.AUTH: _auth,
    Failure.HOST_KEY_MISMATCH: _host_key_mismatch,
    Failure.CONNECT_TIMEOUT: _connect_timeout,
    Failure.READ_TIMEOUT: _read_timeout,
    Failure.CONNECTION_LOST: _connection_lost,
    Failure.REMOTE_MISSING: _remote_missing,
    Failure.REMOTE_DENIED: _remote_denied,
    Failure.LOCAL_DISK: _local_disk,
    Failure.PROXY_DOWN: _proxy_down,
}


def check_row(kind: Failure, host: str, exc: BaseException) -> None:
    row = ROWS[kind]
    if kind is Failure.LOCAL_DISK:
        # the operating system's own error, never taken for the server's
        assert isinstance(exc, OSError) and not isinstance(exc, (PSSHError, SFTPIOError)), exc
        assert exc.errno is not None
    else:
        assert type(exc) is row.exception, (kind, repr(exc))
    assert exc.host == host, (kind, repr(exc))
    assert host in str(exc), (kind, str(exc))
    if kind in ARGS_NAME_HOST:
        assert exc.args[1] == host, (kind, exc.args)
    assert not str(exc).startswith("[Errno") or kind is Failure.LOCAL_DISK


@pytest.mark.parametrize("kind", list(TRIGGERS), ids=[kind.name.lower() for kind in TRIGGERS])
def test_failure_table_row(family, sshd, tmp_path, kind):
    host, exc = TRIGGERS[kind](family, sshd, tmp_path)
    check_row(kind, host, exc)


def test_every_row_a_user_can_meet_is_tested():
    untested = {Failure.REMOTE_IO, Failure.SFTP, Failure.CHANNEL, Failure.PROTOCOL}
    assert set(TRIGGERS) | untested == set(Failure)


def test_remote_denied_upload(family, sshd, tmp_path):
    source = tmp_path / "source"
    source.write_text("data")
    client = SINGLE[family](sshd.host, **login(sshd))
    try:
        exc = failure(lambda: client.copy_file(str(source), "/etc/pssh-cannot-write-here"))
    finally:
        client.disconnect()
    check_row(Failure.REMOTE_DENIED, sshd.host, exc)


def test_local_disk_full_during_download(family, sshd, remote_dir, tmp_path):
    """A local write failing in the middle of a download (here the file size limit, as a
    full disk would) is the operating system's error on both clients, not the server's."""
    remote = os.path.join(remote_dir, "big")
    with open(remote, "wb") as fh:
        fh.write(os.urandom(4 << 20))
    os.chmod(remote, 0o644)
    client = SINGLE[family](sshd.host, **login(sshd))
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, hard))
        try:
            exc = failure(lambda: client.copy_remote_file(remote, str(tmp_path / "big")))
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    finally:
        signal.signal(signal.SIGXFSZ, previous)
        client.disconnect()
    check_row(Failure.LOCAL_DISK, sshd.host, exc)
    assert os.listdir(tmp_path) == []  # no partial file left
