"""File transfer against real sshd hosts, native client only: SCP, and what only the native
client has (chunk sizes, ``encoding``, ``mkdir``'s ``_parent_path``, slow links, interrupted
downloads). SFTP behaviour both client families share is in tests/shared/test_sftp_transfer.py.

The hosts are this machine, so what arrives remotely is checked by reading it locally.
Remote paths live in ``remote_dir`` (owned by the login user); local ones in ``tmp_path``.
"""

from __future__ import annotations

import gc
import os
import pwd
import time
import tracemalloc

import gevent
import gevent.queue
import gevent.server
import gevent.socket
import pytest
from transfer_helpers import (  # noqa: E402 - tests/ is on sys.path (conftest)
    EDGE_SIZES,
    MiB,
    digest,
    give_to,
    leftovers,
    listing,
    make_tree,
    mode_of,
    write_random,
    write_remote,
)

from pssh.clients.native._scp import SCP_READ_CHUNK, SCP_WRITE_CHUNK
from pssh.clients.native._sftp import SFTP_READ_CHUNK, SFTP_WRITE_CHUNK
from pssh.clients.native.parallel import ParallelSSHClient
from pssh.clients.native.single import SSHClient
from pssh.exceptions import (
    ConnectionErrorException,
    HostArgumentException,
    SCPError,
    SFTPError,
    SFTPIOError,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("usual_umask")]


# -- fixtures and helpers ---------------------------------------------------------


def _connect(config, **kwargs):
    kwargs.setdefault("timeout", 60)
    return SSHClient(config.host, port=config.port, user=config.user, pkey=config.pkey,
                     num_retries=1, allow_agent=False, **kwargs)  # fmt: skip


@pytest.fixture(scope="module")
def client(sshd):
    c = _connect(sshd)
    yield c
    c.disconnect()


@pytest.fixture(scope="module")
def pclient(sshd):
    c = ParallelSSHClient(list(sshd.hosts), port=sshd.port, user=sshd.user, pkey=sshd.pkey,
                          num_retries=1, allow_agent=False, timeout=60)  # fmt: skip
    yield c
    for host_client in c.host_clients.values():
        host_client.disconnect()


# -- single host: content ---------------------------------------------------------


def test_scp_round_trip_edge_sizes(client, remote_dir, tmp_path):
    for size in EDGE_SIZES:
        local = str(tmp_path / f"src_{size}")
        expected = write_random(local, size)
        remote = os.path.join(remote_dir, f"up_{size}")
        client.scp_send(local, remote)
        assert digest(remote) == expected, size
        back = str(tmp_path / f"back_{size}")
        client.scp_recv(remote, back)
        assert digest(back) == expected, size


def test_large_binary_file_round_trip_scp(client, remote_dir, tmp_path):
    local = str(tmp_path / "big")
    expected = write_random(local, 20 * MiB + 12_345)
    remote = os.path.join(remote_dir, "big")
    client.scp_send(local, remote)
    assert digest(remote) == expected
    back = str(tmp_path / "big_back")
    client.scp_recv(remote, back)
    assert digest(back) == expected
    assert leftovers(tmp_path) == []


def test_sftp_upload_keeps_a_bounded_window_in_flight(client, remote_dir, tmp_path):
    """Uploads are topped up as acknowledgements arrive: with a 64 KiB window a 3 MiB file
    arrives byte for byte, the client never holds more than the window, and the window was
    refilled many times (not sent in one piece)."""
    size, window = 3 * MiB + 12_345, 64 * 1024
    local = str(tmp_path / "windowed")
    expected = write_random(local, size)
    remote = os.path.join(remote_dir, "windowed")
    fs = client.sftp_transfers.fs(None)
    fs.window = window
    fs.put(local, remote, 0o640)
    assert digest(remote) == expected
    assert mode_of(remote) == 0o640
    stats = fs.last_upload
    assert stats.acked == size
    assert stats.peak <= window
    assert stats.calls >= size // window


def test_memory_stays_bounded(client, remote_dir, tmp_path):
    """Files stream in chunks: Python-side allocations stay a few chunks, whatever the size."""
    local = str(tmp_path / "big")
    expected = write_random(local, 40 * MiB)
    remote = os.path.join(remote_dir, "big")
    tracemalloc.start()
    try:
        client.copy_file(local, remote)
        client.copy_remote_file(remote, local + ".sftp")
        client.scp_send(local, remote + ".scp")
        client.scp_recv(remote + ".scp", local + ".scp")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    chunk = max(SFTP_WRITE_CHUNK, SFTP_READ_CHUNK, SCP_WRITE_CHUNK, SCP_READ_CHUNK)
    assert peak < 4 * chunk + MiB < 40 * MiB // 3, peak
    assert digest(local + ".sftp") == digest(local + ".scp") == expected


# -- single host: directories and modes -----------------------------------------


def test_scp_send_creates_missing_remote_dirs_and_keeps_mode(client, remote_dir, tmp_path):
    local = str(tmp_path / "tool")
    expected = write_random(local, 3000, mode=0o666)  # beyond the server's umask (022)
    remote = os.path.join(remote_dir, "x", "y", "z", "tool")
    client.scp_send(local, remote)
    assert digest(remote) == expected
    assert mode_of(remote) == 0o666
    assert pwd.getpwuid(os.stat(remote).st_uid).pw_name == client.user


def test_scp_recv_creates_missing_local_dirs_and_keeps_mode(client, sshd, remote_dir, tmp_path):
    remote = os.path.join(remote_dir, "tool")
    expected = write_remote(sshd, remote, 3000, mode=0o751)
    local = str(tmp_path / "p" / "q" / "tool")
    client.scp_recv(remote, local)
    assert digest(local) == expected
    assert mode_of(local) == 0o751


def test_scp_recv_replaces_existing_local_file(client, sshd, remote_dir, tmp_path):
    remote = os.path.join(remote_dir, "new")
    expected = write_remote(sshd, remote, 1000, mode=0o640)
    local = str(tmp_path / "existing")
    write_random(local, 5, mode=0o600)
    client.scp_recv(remote, local)
    assert digest(local) == expected and mode_of(local) == 0o640


def test_scp_recursive_round_trip(client, remote_dir, tmp_path):
    source = str(tmp_path / "tree")
    make_tree(source)
    remote = os.path.join(remote_dir, "deep", "tree")
    client.scp_send(source, remote, recurse=True)
    assert listing(remote) == listing(source)
    back = str(tmp_path / "back" / "tree")
    client.scp_recv(remote, back, recurse=True)
    assert listing(back) == listing(source)


def test_scp_recursive_flag_with_a_plain_file(client, remote_dir, tmp_path):
    local = str(tmp_path / "plain")
    expected = write_random(local, 10)
    client.scp_send(local, os.path.join(remote_dir, "plain"), recurse=True)
    client.scp_recv(os.path.join(remote_dir, "plain"), str(tmp_path / "b1"), recurse=True)
    assert digest(tmp_path / "b1") == expected


def test_remote_file_names_in_another_encoding(client, sshd, remote_dir, tmp_path):
    folder = os.path.join(remote_dir, "latin")
    os.makedirs(folder)
    name = os.path.join(os.fsencode(folder), b"caf\xe9")
    with open(name, "wb") as handle:
        handle.write(b"coffee")
    give_to(sshd.user, folder, name)
    client.copy_remote_file(folder, str(tmp_path / "l1"), recurse=True, encoding="latin-1")
    client.scp_recv(folder, str(tmp_path / "l2"), recurse=True, encoding="latin-1")
    assert (tmp_path / "l1" / "café").read_bytes() == b"coffee"
    assert (tmp_path / "l2" / "café").read_bytes() == b"coffee"


def test_mkdir_creates_parents_and_accepts_existing(client, sshd, remote_dir):
    sftp = client._make_sftp()
    client.mkdir(sftp, os.path.join(remote_dir, "m1", "m2", "m3"))
    assert os.path.isdir(os.path.join(remote_dir, "m1", "m2", "m3"))
    client.mkdir(sftp, os.path.join(remote_dir, "m1", "m2"))
    client.mkdir(sftp, "m4", _parent_path=os.path.join(remote_dir, "m1"))
    assert os.path.isdir(os.path.join(remote_dir, "m1", "m4"))
    write_remote(sshd, os.path.join(remote_dir, "file"), 1)
    with pytest.raises(SFTPIOError, match="file is in its place") as err:
        client.mkdir(sftp, os.path.join(remote_dir, "file", "sub"))
    assert err.value.host == client.host


# -- single host: errors ----------------------------------------------------------


def test_scp_local_directory_without_recurse(client, remote_dir, tmp_path):
    with pytest.raises(ValueError, match="recurse"):
        client.scp_send(str(tmp_path), os.path.join(remote_dir, "x"))
    assert os.listdir(remote_dir) == []


def test_scp_remote_directory_without_recurse(client, remote_dir, tmp_path):
    with pytest.raises(SCPError, match="is a directory") as err:
        client.scp_recv(remote_dir, str(tmp_path / "x"))
    assert remote_dir in str(err.value) and client.host in str(err.value)
    assert os.listdir(tmp_path) == []


def test_scp_send_without_remote_permission(client, root_only_dir, tmp_path):
    local = str(tmp_path / "f")
    write_random(local, 10)
    target = os.path.join(root_only_dir, "f")
    with pytest.raises(SCPError) as scp_err:
        client.scp_send(local, target)
    assert scp_err.value.host == client.host and target in str(scp_err.value)
    assert os.listdir(root_only_dir) == []


def test_scp_recv_without_remote_permission(client, unreadable_file, tmp_path):
    local = str(tmp_path / "x")
    with pytest.raises(SCPError, match="permission denied") as scp_err:
        client.scp_recv(unreadable_file, local)
    assert unreadable_file in str(scp_err.value)
    assert os.listdir(tmp_path) == []


def test_scp_missing_remote_file(client, remote_dir, tmp_path):
    missing = os.path.join(remote_dir, "missing")
    with pytest.raises(SCPError, match="no such file") as scp_err:
        client.scp_recv(missing, str(tmp_path / "x"), recurse=True)
    assert scp_err.value.host == client.host and missing in str(scp_err.value)
    with pytest.raises(SCPError, match="no such file"):
        client.scp_recv(missing, str(tmp_path / "x"))
    assert os.listdir(tmp_path) == []


def test_scp_missing_local_file(client, remote_dir, tmp_path):
    missing = str(tmp_path / "missing")
    with pytest.raises(FileNotFoundError) as err:
        client.scp_send(missing, os.path.join(remote_dir, "x"))
    assert err.value.filename == missing and client.host in str(err.value)
    assert os.listdir(remote_dir) == []


def test_scp_local_target_errors(client, sshd, remote_dir, tmp_path):
    remote = os.path.join(remote_dir, "f")
    write_remote(sshd, remote, 10)
    (tmp_path / "plain").write_bytes(b"")
    with pytest.raises(OSError) as err:
        client.scp_recv(remote, str(tmp_path / "plain" / "below"))
    assert client.host in str(err.value)
    (tmp_path / "adir").mkdir()
    with pytest.raises(IsADirectoryError):
        client.scp_recv(remote, str(tmp_path / "adir"))
    assert os.listdir(tmp_path / "adir") == []


def test_sftp_and_scp_refused_by_server(sshd_factory, tmp_path):
    group = sshd_factory(first="127.0.0.90", extra_config=["Match all", "  MaxSessions 0"])
    c = _connect(group.config(), timeout=20)
    try:
        local = str(tmp_path / "f")
        write_random(local, 10)
        with pytest.raises(SFTPError) as err:
            c.copy_file(local, "f")
        assert err.value.host == c.host
        with pytest.raises(SFTPError):
            c.copy_remote_file("f", local)
        with pytest.raises(SCPError) as scp_err:
            c.scp_recv("f", local)
        assert scp_err.value.host == c.host
    finally:
        c.disconnect()


def test_no_channel_left_open(sshd_factory, tmp_path):
    group = sshd_factory(first="127.0.0.91", extra_config=["Match all", "  MaxSessions 2"])
    config = group.config()
    c = _connect(config)
    try:
        local = str(tmp_path / "f")
        expected = write_random(local, 1000)
        remote = os.path.join(config.home, f"pssh-no-leak-{os.getpid()}")
        try:
            for _ in range(4):
                c.copy_file(local, remote)
                c.copy_remote_file(remote, local + "s")
                c.scp_send(local, remote)
                c.scp_recv(remote, local + "c")
                with pytest.raises(SCPError):
                    c.scp_recv(remote + "-missing", local + "x")
                with pytest.raises(SFTPIOError):
                    c.copy_remote_file(remote + "-missing", local + "x")
            assert digest(local + "s") == digest(local + "c") == expected
        finally:
            os.unlink(remote)
    finally:
        c.disconnect()


def test_sessions_of_failed_copies_do_not_hold_channels(sshd_factory, tmp_path):
    """A failed copy's SFTP session or SCP channel, kept alive by the exception's traceback
    (a reference cycle only the garbage collector frees), must not make the server refuse
    the next channel: with ``MaxSessions 2`` and the collector off, four rounds of failures
    followed by good copies all work."""
    group = sshd_factory(first="127.0.0.92", extra_config=["Match all", "  MaxSessions 2"])
    config = group.config()
    c = _connect(config)
    local = str(tmp_path / "f")
    write_random(local, 1000)
    remote = os.path.join(config.home, f"pssh-held-{os.getpid()}")
    held = []  # keep the exceptions (and their tracebacks) as a caller's log might
    gc.disable()
    try:
        for _ in range(4):
            for call in (lambda: c.scp_recv(remote + "-missing", local + "x"),
                         lambda: c.copy_remote_file(remote + "-missing", local + "x")):  # fmt: skip
                try:
                    call()
                except (SCPError, SFTPIOError) as exc:
                    held.append(exc)
            c.copy_file(local, remote)
            c.scp_send(local, remote)
        assert len(held) == 8
    finally:
        gc.enable()
        held.clear()
        c.disconnect()
        if os.path.exists(remote):
            os.unlink(remote)


class _SlowLink:
    """A TCP forwarder on 127.0.0.1 delaying every chunk by ``delay`` seconds each way, so
    that libssh2 calls have to wait (and so interleave) as they do on a real network."""

    def __init__(self, host: str, port: int, delay: float = 0.01) -> None:
        self.target, self.delay = (host, port), delay
        self.server = gevent.server.StreamServer(("127.0.0.1", 0), self._handle)
        self.server.start()
        self.port = self.server.server_port

    def _pipe(self, src, dst) -> None:
        queue: gevent.queue.Queue = gevent.queue.Queue()

        def deliver() -> None:
            while True:
                due, data = queue.get()
                if data is None:
                    dst.close()
                    return
                gevent.sleep(max(0.0, due - time.monotonic()))
                dst.sendall(data)

        writer = gevent.spawn(deliver)
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                queue.put((time.monotonic() + self.delay, data))
        except OSError:
            pass
        queue.put((0.0, None))
        writer.join()

    def _handle(self, sock, _address) -> None:
        upstream = gevent.socket.create_connection(self.target)
        gevent.joinall([gevent.spawn(self._pipe, sock, upstream),
                        gevent.spawn(self._pipe, upstream, sock)])  # fmt: skip

    def stop(self) -> None:
        self.server.stop(timeout=1)


def test_concurrent_copies_on_one_client_over_a_slow_link(sshd, remote_dir, tmp_path):
    """libssh2 keeps SCP/SFTP set-up progress in the session: interleaved set-ups on one
    client must not swap files (one client serves a host listed twice, for example)."""
    link = _SlowLink(sshd.host, sshd.port)
    c = SSHClient("127.0.0.1", port=link.port, user=sshd.user, pkey=sshd.pkey, num_retries=1,
                  allow_agent=False, timeout=60)  # fmt: skip
    try:
        sources = [str(tmp_path / f"s{i}") for i in range(6)]
        expected = [write_random(path, 1000 + i * 50_000) for i, path in enumerate(sources)]

        def job(i: int) -> None:
            send, recv = (c.scp_send, c.scp_recv) if i % 2 else (c.copy_file, c.copy_remote_file)
            send(sources[i], os.path.join(remote_dir, f"r{i}"))
            recv(os.path.join(remote_dir, f"r{i}"), sources[i] + ".back")

        gevent.joinall([gevent.spawn(job, i) for i in range(6)], raise_error=True)
        for i, path in enumerate(sources):
            assert digest(os.path.join(remote_dir, f"r{i}")) == expected[i]
            assert digest(path + ".back") == expected[i]
    finally:
        c.disconnect()
        link.stop()


# -- interrupted downloads ---------------------------------------------------------


def _stall_second_read(monkeypatch, client, started, failure=None):
    """Make the client's second read of a transfer stall (or raise ``failure``)."""
    real = client.connection.recv
    calls = []

    def recv_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            started.set()
            if failure is not None:
                raise failure
            gevent.sleep(120)
        return real(*args, **kwargs)

    monkeypatch.setattr(client.connection, "recv", recv_chunk)


@pytest.mark.parametrize("recv", ["copy_remote_file", "scp_recv"])
def test_killed_download_leaves_no_partial_file(client, sshd, remote_dir, tmp_path, monkeypatch,
                                                recv):  # fmt: skip
    remote = os.path.join(remote_dir, "big")
    write_remote(sshd, remote, 3 * MiB)
    local = str(tmp_path / "target")
    with open(local, "wb") as handle:
        handle.write(b"previous content")
    started = gevent.event.Event()
    _stall_second_read(monkeypatch, client, started)
    task = gevent.spawn(getattr(client, recv), remote, local)
    assert started.wait(30)
    task.kill(block=True, timeout=30)
    assert task.dead
    with open(local, "rb") as handle:
        assert handle.read() == b"previous content"
    assert os.listdir(tmp_path) == ["target"]


@pytest.mark.parametrize("recv", ["copy_remote_file", "scp_recv"])
def test_failed_download_leaves_no_file(client, sshd, remote_dir, tmp_path, monkeypatch, recv):
    remote = os.path.join(remote_dir, "big")
    write_remote(sshd, remote, 3 * MiB)
    local = str(tmp_path / "new")
    failure = ConnectionErrorException("simulated loss of connection", host=client.host)
    _stall_second_read(monkeypatch, client, gevent.event.Event(), failure)
    with pytest.raises(ConnectionErrorException):
        getattr(client, recv)(remote, local)
    assert os.listdir(tmp_path) == []
    monkeypatch.undo()
    getattr(client, recv)(remote, local)  # the client is still usable afterwards
    assert digest(local) == digest(remote)


# -- parallel -------------------------------------------------------------------


def test_parallel_scp(pclient, sshd, remote_dir, tmp_path):
    local = str(tmp_path / "f")
    expected = write_random(local, 3 * MiB + 1)
    args = [{"host": h} for h in sshd.hosts]
    remote = os.path.join(remote_dir, "scp_%(host)s", "f")
    gevent.joinall(pclient.scp_send(local, remote, copy_args=args), raise_error=True)
    for host in sshd.hosts:
        assert digest(remote % {"host": host}) == expected
    back = str(tmp_path / "back")
    greenlets = pclient.scp_recv(remote % {"host": sshd.hosts[1]}, back)
    gevent.joinall(greenlets, raise_error=True)
    for host in sshd.hosts:
        assert digest(f"{back}_{host}") == expected
    tree = str(tmp_path / "tree")
    make_tree(tree, files=10)  # SCP starts a remote scp per file: keep the count small
    gevent.joinall(
        pclient.scp_send(
            tree, os.path.join(remote_dir, "st_%(host)s"), recurse=True, copy_args=args
        ),  # fmt: skip
        raise_error=True,
    )
    for host in sshd.hosts:
        assert listing(os.path.join(remote_dir, f"st_{host}")) == listing(tree)
    gevent.joinall(
        pclient.scp_recv(os.path.join(remote_dir, "st_%(host)s"), str(tmp_path / "sb_%(host)s"),
                         recurse=True, copy_args=args),
        raise_error=True,
    )  # fmt: skip
    for host in sshd.hosts:
        assert listing(str(tmp_path / f"sb_{host}")) == listing(tree)


def test_parallel_copy_args_count(pclient, remote_dir, tmp_path):
    too_few = [("only_one",)]
    local = str(tmp_path / "f")
    write_random(local, 1)
    for call in (pclient.copy_file, pclient.scp_send):
        with pytest.raises(HostArgumentException):
            call(local, os.path.join(remote_dir, "%s"), copy_args=too_few)
    for call in (pclient.copy_remote_file, pclient.scp_recv):
        with pytest.raises(HostArgumentException):
            call(os.path.join(remote_dir, "%s"), local + "%s", copy_args=too_few)
    assert os.listdir(remote_dir) == []


def test_parallel_scp_failure_is_raised_by_joinall(pclient, sshd, remote_dir, tmp_path):
    local = str(tmp_path / "f")
    scp_missing = pclient.scp_recv(os.path.join(remote_dir, "missing"), local)
    gevent.joinall(scp_missing)
    assert all(isinstance(g.exception, SCPError) for g in scp_missing)
    assert {g.exception.host for g in scp_missing} == set(sshd.hosts)
