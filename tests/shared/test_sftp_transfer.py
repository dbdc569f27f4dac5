"""SFTP file transfer against real sshd hosts, one host and many, for both client families
(``copy_file``, ``copy_remote_file``, recursive or not, ``ParallelSSHClient`` copies).

The hosts are this machine, so what arrives remotely is checked by reading it locally.
Remote paths live in ``remote_dir`` (owned by the login user); local ones in ``tmp_path``.
SCP and what only the native client has are in tests/integration/test_transfer.py.
"""

from __future__ import annotations

import os
import pwd

import gevent
import pytest
from transfer_helpers import (
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

from pssh.exceptions import SFTPIOError

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("usual_umask")]

PERMISSION_DENIED = "(?i)permission denied"
NO_SUCH_FILE = "(?i)no such file"


@pytest.fixture(scope="module")
def client(backend, sshd):
    c = backend.SSHClient(sshd.host, port=sshd.port, user=sshd.user, pkey=sshd.pkey,
                          num_retries=1, allow_agent=False, timeout=60)  # fmt: skip
    yield c
    c.disconnect()


@pytest.fixture(scope="module")
def pclient(backend, sshd):
    c = backend.ParallelSSHClient(list(sshd.hosts), port=sshd.port, user=sshd.user,
                                  pkey=sshd.pkey, num_retries=1, allow_agent=False,
                                  timeout=60)  # fmt: skip
    yield c
    for host_client in c.host_clients.values():
        host_client.disconnect()


# -- single host: content ---------------------------------------------------------


def test_sftp_round_trip_edge_sizes(client, remote_dir, tmp_path):
    for size in EDGE_SIZES:
        local = str(tmp_path / f"src_{size}")
        expected = write_random(local, size)
        remote = os.path.join(remote_dir, f"up_{size}")
        client.copy_file(local, remote)
        assert digest(remote) == expected, size
        back = str(tmp_path / f"back_{size}")
        client.copy_remote_file(remote, back)
        assert digest(back) == expected, size


def test_large_binary_file_round_trip(client, remote_dir, tmp_path):
    local = str(tmp_path / "big")
    expected = write_random(local, 20 * MiB + 12_345)
    remote = os.path.join(remote_dir, "big")
    client.copy_file(local, remote)
    assert digest(remote) == expected
    back = str(tmp_path / "big_back")
    client.copy_remote_file(remote, back)
    assert digest(back) == expected
    assert leftovers(tmp_path) == []


def test_copy_file_overwrites_longer_file(client, sshd, remote_dir, tmp_path):
    remote = os.path.join(remote_dir, "target")
    write_remote(sshd, remote, 5000)
    local = str(tmp_path / "short")
    expected = write_random(local, 10)
    client.copy_file(local, remote)
    assert digest(remote) == expected


# -- single host: directories and modes -----------------------------------------


def test_send_creates_missing_remote_dirs_and_keeps_mode(client, remote_dir, tmp_path):
    local = str(tmp_path / "tool")
    expected = write_random(local, 3000, mode=0o666)  # beyond the server's umask (022)
    remote = os.path.join(remote_dir, "x", "y", "z", "tool")
    client.copy_file(local, remote)
    assert digest(remote) == expected
    assert mode_of(remote) == 0o666
    assert pwd.getpwuid(os.stat(remote).st_uid).pw_name == client.user


def test_recv_creates_missing_local_dirs_and_keeps_mode(client, sshd, remote_dir, tmp_path):
    remote = os.path.join(remote_dir, "tool")
    expected = write_remote(sshd, remote, 3000, mode=0o751)
    local = str(tmp_path / "p" / "q" / "tool")
    client.copy_remote_file(remote, local)
    assert digest(local) == expected
    assert mode_of(local) == 0o751


def test_recv_replaces_existing_local_file(client, sshd, remote_dir, tmp_path):
    remote = os.path.join(remote_dir, "new")
    expected = write_remote(sshd, remote, 1000, mode=0o640)
    local = str(tmp_path / "existing")
    write_random(local, 99_999, mode=0o600)
    client.copy_remote_file(remote, local)
    assert digest(local) == expected and mode_of(local) == 0o640


def test_recursive_round_trip(client, remote_dir, tmp_path):
    source = str(tmp_path / "tree")
    make_tree(source)
    remote = os.path.join(remote_dir, "deep", "tree")
    client.copy_file(source, remote, recurse=True)
    assert listing(remote) == listing(source)
    back = str(tmp_path / "back" / "tree")
    client.copy_remote_file(remote, back, recurse=True)
    assert listing(back) == listing(source)


def test_recursive_copy_into_existing_remote_dir(client, sshd, remote_dir, tmp_path):
    source = str(tmp_path / "tree")
    make_tree(source)
    os.makedirs(os.path.join(remote_dir, "t", "a"))
    give_to(sshd.user, os.path.join(remote_dir, "t"), os.path.join(remote_dir, "t", "a"))
    client.copy_file(source, os.path.join(remote_dir, "t"), recurse=True)
    client.copy_file(source, os.path.join(remote_dir, "t"), recurse=True)
    copied = listing(os.path.join(remote_dir, "t"))
    expected = listing(source)
    assert {k: v[2] for k, v in copied.items()} == {k: v[2] for k, v in expected.items()}


def test_recursive_flag_with_a_plain_file(client, remote_dir, tmp_path):
    local = str(tmp_path / "plain")
    expected = write_random(local, 10)
    client.copy_file(local, os.path.join(remote_dir, "plain"), recurse=True)
    client.copy_remote_file(os.path.join(remote_dir, "plain"), str(tmp_path / "b2"), recurse=True)
    assert digest(tmp_path / "b2") == expected


def test_given_sftp_session_is_used_and_kept_usable(client, remote_dir, tmp_path):
    sftp = client._make_sftp()
    local = str(tmp_path / "f")
    expected = write_random(local, 100)
    for i in range(3):
        client.copy_file(local, os.path.join(remote_dir, f"s{i}"), sftp=sftp)
        client.copy_remote_file(os.path.join(remote_dir, f"s{i}"), local + str(i), sftp=sftp)
        assert digest(local + str(i)) == expected


# -- single host: errors ----------------------------------------------------------


def test_local_directory_without_recurse(client, remote_dir, tmp_path):
    with pytest.raises(ValueError, match="recurse"):
        client.copy_file(str(tmp_path), os.path.join(remote_dir, "x"))
    assert os.listdir(remote_dir) == []


def test_remote_directory_without_recurse(client, remote_dir, tmp_path):
    with pytest.raises(ValueError, match="recurse"):
        client.copy_remote_file(remote_dir, str(tmp_path / "x"))
    assert os.listdir(tmp_path) == []


def test_copy_file_onto_remote_directory(client, remote_dir, tmp_path):
    local = str(tmp_path / "f")
    write_random(local, 10)
    with pytest.raises(SFTPIOError) as err:
        client.copy_file(local, remote_dir)
    assert err.value.host == client.host and remote_dir in str(err.value)


def test_send_without_remote_permission(client, root_only_dir, tmp_path):
    local = str(tmp_path / "f")
    write_random(local, 10)
    target = os.path.join(root_only_dir, "f")
    with pytest.raises(SFTPIOError, match=PERMISSION_DENIED) as err:
        client.copy_file(local, target)
    assert err.value.host == client.host and target in str(err.value)
    with pytest.raises(SFTPIOError, match=PERMISSION_DENIED):
        client.copy_file(local, os.path.join(root_only_dir, "sub", "f"))
    assert os.listdir(root_only_dir) == []


def test_recv_without_remote_permission(client, unreadable_file, tmp_path):
    local = str(tmp_path / "x")
    with pytest.raises(SFTPIOError, match=PERMISSION_DENIED) as err:
        client.copy_remote_file(unreadable_file, local)
    assert err.value.host == client.host and unreadable_file in str(err.value)
    assert os.listdir(tmp_path) == []


def test_missing_remote_file(client, remote_dir, tmp_path):
    missing = os.path.join(remote_dir, "missing")
    with pytest.raises(SFTPIOError, match=NO_SUCH_FILE) as err:
        client.copy_remote_file(missing, str(tmp_path / "x"))
    assert err.value.host == client.host and missing in str(err.value)
    assert os.listdir(tmp_path) == []


def test_missing_local_file(client, remote_dir, tmp_path):
    missing = str(tmp_path / "missing")
    with pytest.raises(FileNotFoundError) as err:
        client.copy_file(missing, os.path.join(remote_dir, "x"))
    assert err.value.filename == missing and client.host in str(err.value)
    assert os.listdir(remote_dir) == []


def test_local_target_errors(client, sshd, remote_dir, tmp_path):
    remote = os.path.join(remote_dir, "f")
    write_remote(sshd, remote, 10)
    (tmp_path / "plain").write_bytes(b"")
    with pytest.raises(OSError) as err:
        client.copy_remote_file(remote, str(tmp_path / "plain" / "below"))
    assert client.host in str(err.value)
    (tmp_path / "adir").mkdir()
    with pytest.raises(IsADirectoryError):
        client.copy_remote_file(remote, str(tmp_path / "adir"))
    assert os.listdir(tmp_path / "adir") == []


# -- parallel -------------------------------------------------------------------


def test_parallel_copy_file_per_host_paths(pclient, sshd, remote_dir, tmp_path):
    local = str(tmp_path / "f")
    expected = write_random(local, 2 * MiB + 3, mode=0o640)
    hosts = list(sshd.hosts)
    # Both paths are formatted with a host's copy_args, as in 1.8.0: a dict leaves
    # a path without placeholders alone.
    greenlets = pclient.copy_file(
        local, os.path.join(remote_dir, "to_%(host)s", "f"), copy_args=[{"host": h} for h in hosts]
    )
    assert len(greenlets) == len(hosts)
    assert all(isinstance(g, gevent.Greenlet) for g in greenlets)
    gevent.joinall(greenlets, raise_error=True)
    for host in hosts:
        remote = os.path.join(remote_dir, f"to_{host}", "f")
        assert digest(remote) == expected and mode_of(remote) == 0o640


def test_parallel_copy_remote_file_suffixes(pclient, sshd, remote_dir, tmp_path):
    remote = os.path.join(remote_dir, "src")
    expected = write_remote(sshd, remote, MiB + 7)
    base = str(tmp_path / "sub" / "local")
    gevent.joinall(pclient.copy_remote_file(remote, base), raise_error=True)
    gevent.joinall(pclient.copy_remote_file(remote, base, suffix_separator="--"), raise_error=True)
    for host in sshd.hosts:
        assert digest(f"{base}_{host}") == expected
        assert digest(f"{base}--{host}") == expected
    named = str(tmp_path / "named_%(i)s")
    greenlets = pclient.copy_remote_file(
        remote, named, copy_args=[{"i": i} for i in range(len(sshd.hosts))]
    )
    gevent.joinall(greenlets, raise_error=True)
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["sub"] + [f"named_{i}" for i in range(len(sshd.hosts))]
    )


def test_parallel_recursive_copies(pclient, sshd, remote_dir, tmp_path):
    source = str(tmp_path / "tree")
    make_tree(source)
    args = [{"host": h} for h in sshd.hosts]
    target = os.path.join(remote_dir, "t_%(host)s")
    gevent.joinall(
        pclient.copy_file(source, target, recurse=True, copy_args=args), raise_error=True
    )
    expected = listing(source)
    for host in sshd.hosts:
        assert listing(target % {"host": host}) == expected
    remote = os.path.join(remote_dir, f"t_{sshd.hosts[0]}")
    back = str(tmp_path / "back")
    gevent.joinall(pclient.copy_remote_file(remote, back, recurse=True), raise_error=True)
    for host in sshd.hosts:
        assert listing(f"{back}_{host}") == expected


def test_parallel_failure_is_raised_by_joinall(pclient, sshd, remote_dir, root_only_dir, tmp_path):
    local = str(tmp_path / "f")
    expected = write_random(local, 1000)
    bad_host = sshd.hosts[2]
    args = [{"dir": root_only_dir if h == bad_host else remote_dir, "h": h} for h in sshd.hosts]
    greenlets = pclient.copy_file(local, "%(dir)s/f_%(h)s", copy_args=args)
    with pytest.raises(SFTPIOError, match=PERMISSION_DENIED) as err:
        gevent.joinall(greenlets, raise_error=True)
    assert err.value.host == bad_host
    gevent.joinall(greenlets)
    for host in sshd.hosts:
        if host != bad_host:
            assert digest(os.path.join(remote_dir, f"f_{host}")) == expected
    missing = pclient.copy_remote_file(os.path.join(remote_dir, "missing"), local)
    with pytest.raises(SFTPIOError, match=NO_SUCH_FILE):
        gevent.joinall(missing, raise_error=True)
