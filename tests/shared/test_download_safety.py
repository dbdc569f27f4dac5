"""What a server can and cannot do to the local file system through a download, and what an
upload shows to other users on the server, for both client families.

Against the hostile server of :mod:`embedded_server.hostile_sftp` (crafted names, setuid and
world-writable modes, a listing without end) and against the real sshd (real files with mode
6777, 0777 folders, a symbolic link planted in the destination). Downloads keep only
``remote mode & 0o777 & ~umask``; names that are not one plain path component are refused
with a warning and the rest of the tree arrives; nothing planted in the destination is
followed. Uploads never show their data with a wider mode than the final one.
"""

from __future__ import annotations

import ast
import logging
import os
import pwd
import re
import stat
from collections.abc import Iterator

import gevent
import pytest
from embedded_server.hostile_sftp import ESCAPED, TREE, HostileServer

import pssh.clients._remote_names as remote_names
from pssh.exceptions import SFTPIOError

pytestmark = pytest.mark.integration

HOSTILE_HOSTS = ["127.0.0.94", "127.0.0.95"]
REFUSED_NAMES = ["../../x", "/abs/x", "a/b", "", "nul\x00x", "../y"]
UMASKS = [0o022, 0o077, 0o002]


# -- fixtures and helpers ---------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(sshd) -> Iterator[HostileServer]:
    server = HostileServer(HOSTILE_HOSTS, sshd.pkey_pub)
    yield server
    server.stop()


def _options(sshd) -> dict:
    # The hostile server makes a new host key each run: no known_hosts entry to keep.
    return dict(user="hostile", pkey=sshd.pkey, num_retries=1, timeout=30, allow_agent=False,
                host_key_policy="off")  # fmt: skip


@pytest.fixture
def hclient(backend, hostile, sshd, tmp_path):
    client = backend.SSHClient(HOSTILE_HOSTS[0], port=hostile.port, **_options(sshd))
    yield client
    client.disconnect()


@pytest.fixture
def hpclient(backend, hostile, sshd, tmp_path):
    client = backend.ParallelSSHClient(HOSTILE_HOSTS, port=hostile.port,
                                       **_options(sshd))  # fmt: skip
    yield client
    for host_client in client.host_clients.values():
        host_client.disconnect()


@pytest.fixture
def client(backend, sshd):
    client = backend.SSHClient(sshd.host, port=sshd.port, user=sshd.user, pkey=sshd.pkey,
                               num_retries=1, allow_agent=False, timeout=60)  # fmt: skip
    yield client
    client.disconnect()


@pytest.fixture
def pclient(backend, sshd):
    client = backend.ParallelSSHClient(list(sshd.hosts), port=sshd.port, user=sshd.user,
                                       pkey=sshd.pkey, num_retries=1, allow_agent=False,
                                       timeout=60)  # fmt: skip
    yield client
    for host_client in client.host_clients.values():
        host_client.disconnect()


@pytest.fixture(params=UMASKS, ids=[f"umask{m:03o}" for m in UMASKS])
def umask(request) -> Iterator[int]:
    """The process's umask set to the parameter for the test, restored afterwards."""
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def tree_of(root) -> dict[str, tuple[int, bytes | None]]:
    """relative path -> (permission bits with setuid/setgid/sticky, content or None)."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            content = None
            if stat.S_ISREG(st.st_mode):
                with open(path, "rb") as handle:
                    content = handle.read()
            found[os.path.relpath(path, root)] = (stat.S_IMODE(st.st_mode), content)
    return found


def refused(caplog, host: str) -> set[str]:
    """Names the ``pssh.clients.remote_names`` warnings say were refused on ``host``."""
    names = set()
    for record in caplog.records:
        if record.name == "pssh.clients.remote_names" and record.levelno == logging.WARNING:
            message = record.getMessage()
            if f"on host {host} " in message:
                quoted = re.match(r"Skipping remote name ('.*'|\".*\") in ", message)
                names.add(ast.literal_eval(quoted[1]))
    return names


GOOD_NAMES = {
    "good": b"good\n",
    "back\\slash": b"backslash\n",
    "sub": None,
    os.path.join("sub", "inner"): b"inner\n",
}


def expected_modes(root: str, umask: int) -> dict[str, int]:
    """What the hostile ``/modes`` tree must become locally under ``umask``."""
    result = {}
    for path, (mode, _content) in TREE.items():
        if path.startswith(root + "/"):
            result[os.path.relpath(path, root)] = mode & 0o777 & ~umask
    return result


# -- point 2: names ---------------------------------------------------------------


def test_hostile_names_are_refused_and_the_rest_arrives(hclient, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="pssh.clients.remote_names")
    dest = tmp_path / "a" / "b" / "dl"
    hclient.copy_remote_file("/names", str(dest), recurse=True)
    assert {k: v[1] for k, v in tree_of(dest).items()} == GOOD_NAMES
    # Nothing anywhere else: not beside the destination, not above it.
    assert sorted(tree_of(tmp_path)) == sorted(
        ["a", "a/b", "a/b/dl"] + [os.path.join("a/b/dl", name) for name in GOOD_NAMES]
    )
    assert not os.path.exists("/abs")
    assert all(content != ESCAPED for _mode, content in tree_of(tmp_path).values())
    assert refused(caplog, HOSTILE_HOSTS[0]) == set(REFUSED_NAMES)


def test_hostile_names_parallel(hpclient, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="pssh.clients.remote_names")
    dest = tmp_path / "a" / "b" / "dl"
    gevent.joinall(hpclient.copy_remote_file("/names", str(dest), recurse=True),
                   raise_error=True)  # fmt: skip
    assert sorted(os.listdir(dest.parent)) == [f"dl_{host}" for host in HOSTILE_HOSTS]
    for host in HOSTILE_HOSTS:
        assert {k: v[1] for k, v in tree_of(f"{dest}_{host}").items()} == GOOD_NAMES
        assert refused(caplog, host) == set(REFUSED_NAMES)
    assert sorted(os.listdir(tmp_path)) == ["a"]
    assert sorted(os.listdir(tmp_path / "a")) == ["b"]


@pytest.mark.native_only
def test_dot_dot_in_another_encoding_is_refused(hclient, tmp_path, caplog):
    """``b"+AC4-+AC4-"`` holds no dot as bytes and is ``..`` once decoded as UTF-7 (as
    ``b".\\x00.\\x00"`` is in UTF-16, which libssh2 cannot send as a path): the check must
    see the decoded name."""
    caplog.set_level(logging.WARNING, logger="pssh.clients.remote_names")
    dest = tmp_path / "a" / "dl"
    hclient.copy_remote_file("/utf7", str(dest), recurse=True, encoding="utf-7")
    assert {k: v[1] for k, v in tree_of(tmp_path).items()} == {
        "a": None, os.path.join("a", "dl"): None, os.path.join("a", "dl", "good"): b"good\n",
    }  # fmt: skip
    assert refused(caplog, HOSTILE_HOSTS[0]) == {"..", "a/b"}


def test_endless_listing_fails_that_host(hclient, tmp_path, monkeypatch):
    monkeypatch.setattr(remote_names, "MAX_DIR_ENTRIES", 1000)
    with pytest.raises(SFTPIOError) as info:
        hclient.copy_remote_file("/endless", str(tmp_path / "dl"), recurse=True)
    assert info.value.host == HOSTILE_HOSTS[0]
    assert "/endless" in str(info.value)
    assert "more than 1000 entries" in str(info.value)


def test_endless_listing_bound_is_documented_and_large():
    assert remote_names.MAX_DIR_ENTRIES >= 100_000
    count = 0
    for _ in range(remote_names.MAX_DIR_ENTRIES):
        count = remote_names.count_entry(count)
    with pytest.raises(remote_names.ListingTooLong):
        remote_names.count_entry(count)


# -- point 1: modes, hostile server ------------------------------------------------


def test_hostile_modes_recursive(hclient, tmp_path, umask):
    dest = tmp_path / "dl"
    hclient.copy_remote_file("/modes", str(dest), recurse=True)
    assert {k: v[0] for k, v in tree_of(dest).items()} == expected_modes("/modes", umask)
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o755 & ~umask


def test_hostile_modes_single_file(hclient, tmp_path, umask):
    for name, remote_mode in [("suid", 0o6777), ("su", 0o4755)]:
        local = tmp_path / name
        hclient.copy_remote_file(f"/modes/{name}", str(local))
        assert stat.S_IMODE(os.stat(local).st_mode) == remote_mode & 0o777 & ~umask


def test_hostile_modes_parallel(hpclient, tmp_path, umask):
    gevent.joinall(hpclient.copy_remote_file("/modes", str(tmp_path / "dl"), recurse=True),
                   raise_error=True)  # fmt: skip
    gevent.joinall(hpclient.copy_remote_file("/modes/suid", str(tmp_path / "suid")),
                   raise_error=True)  # fmt: skip
    for host in HOSTILE_HOSTS:
        modes = {k: v[0] for k, v in tree_of(tmp_path / f"dl_{host}").items()}
        assert modes == expected_modes("/modes", umask)
        assert stat.S_IMODE(os.stat(tmp_path / f"suid_{host}").st_mode) == 0o777 & ~umask


@pytest.mark.native_only
def test_hostile_scp_modes_and_name(hclient, hpclient, tmp_path, umask):
    """The remote scp announces mode 6777 and the name ``../../scp-escape``: the mode is cut
    down, the name never used."""
    hclient.scp_recv("/modes/suid", str(tmp_path / "suid"))
    assert stat.S_IMODE(os.stat(tmp_path / "suid").st_mode) == 0o777 & ~umask
    hclient.scp_recv("/modes", str(tmp_path / "dl"), recurse=True)
    assert {k: v[0] for k, v in tree_of(tmp_path / "dl").items()} == expected_modes("/modes", umask)
    gevent.joinall(hpclient.scp_recv("/modes/su", str(tmp_path / "su")), raise_error=True)
    for host in HOSTILE_HOSTS:
        assert stat.S_IMODE(os.stat(tmp_path / f"su_{host}").st_mode) == 0o755 & ~umask
    assert not [path for path in tree_of(tmp_path) if "scp-escape" in path]
    assert not os.path.exists(tmp_path.parent.parent / "scp-escape")


# -- point 1: modes, real sshd ------------------------------------------------------


def _give(user: str, *paths) -> None:
    entry = pwd.getpwnam(user)
    for path in paths:
        if os.geteuid() == 0:
            os.chown(path, entry.pw_uid, entry.pw_gid)


REAL_MODES = {"suid": 0o6777, "su": 0o4755, "sg": 0o2770, "open": 0o777, "sticky": 0o1777,
              os.path.join("open", "w"): 0o666, os.path.join("sticky", "x"): 0o777}  # fmt: skip


def make_real_tree(user: str, root: str) -> None:
    """Real files and folders with setuid, setgid, sticky and world-writable modes, owned by
    the login user (the owner may set them all)."""
    os.mkdir(root)
    _give(user, root)
    for rel, mode in sorted(REAL_MODES.items()):
        path = os.path.join(root, rel)
        if rel in ("open", "sticky"):
            os.mkdir(path)
        else:
            with open(path, "w") as handle:
                handle.write(rel)
        _give(user, path)
        os.chmod(path, mode)  # after chown, which drops setuid and setgid
    for rel, mode in REAL_MODES.items():
        assert stat.S_IMODE(os.stat(os.path.join(root, rel)).st_mode) == mode


def real_expected(umask: int) -> dict[str, int]:
    return {rel: mode & 0o777 & ~umask for rel, mode in REAL_MODES.items()}


def test_real_modes_single(client, sshd, remote_dir, tmp_path, umask):
    check_real_modes(client, "copy_remote_file", sshd, remote_dir, tmp_path, umask)


@pytest.mark.native_only
def test_real_modes_single_scp(client, sshd, remote_dir, tmp_path, umask):
    check_real_modes(client, "scp_recv", sshd, remote_dir, tmp_path, umask)


def check_real_modes(client, recv, sshd, remote_dir, tmp_path, umask):
    source = os.path.join(remote_dir, "tree")
    make_real_tree(sshd.user, source)
    getattr(client, recv)(source, str(tmp_path / "dl"), recurse=True)
    assert {k: v[0] for k, v in tree_of(tmp_path / "dl").items()} == real_expected(umask)
    getattr(client, recv)(os.path.join(source, "suid"), str(tmp_path / "one"))
    assert stat.S_IMODE(os.stat(tmp_path / "one").st_mode) == 0o777 & ~umask


def test_real_modes_parallel(pclient, sshd, remote_dir, tmp_path, umask):
    source = os.path.join(remote_dir, "tree")
    make_real_tree(sshd.user, source)
    gevent.joinall(pclient.copy_remote_file(source, str(tmp_path / "dl"), recurse=True),
                   raise_error=True)  # fmt: skip
    for host in sshd.hosts:
        modes = {k: v[0] for k, v in tree_of(tmp_path / f"dl_{host}").items()}
        assert modes == real_expected(umask)


# -- point 2: symbolic links planted in the destination -------------------------------


def _planted(tmp_path):
    """A destination holding a link named like a remote folder, and one named like a remote
    file, both pointing outside it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_bytes(b"victim\n")
    dest = tmp_path / "dl"
    dest.mkdir()
    os.symlink(outside / "victim", dest / "f")
    os.symlink(outside, dest / "sub")
    return dest, outside


def _remote_tree(sshd, remote_dir) -> str:
    source = os.path.join(remote_dir, "src")
    os.makedirs(os.path.join(source, "sub"))
    for rel in ("f", os.path.join("sub", "inner")):
        with open(os.path.join(source, rel), "w") as handle:
            handle.write("remote " + rel)
    _give(sshd.user, source, os.path.join(source, "sub"), os.path.join(source, "f"),
          os.path.join(source, "sub", "inner"))  # fmt: skip
    return source


def test_planted_symlinks_are_not_followed(client, sshd, remote_dir, tmp_path):
    check_planted(client, "copy_remote_file", sshd, remote_dir, tmp_path)


@pytest.mark.native_only
def test_planted_symlinks_are_not_followed_scp(client, sshd, remote_dir, tmp_path):
    check_planted(client, "scp_recv", sshd, remote_dir, tmp_path)


def check_planted(client, recv, sshd, remote_dir, tmp_path):
    source = _remote_tree(sshd, remote_dir)
    dest, outside = _planted(tmp_path)
    with pytest.raises(OSError) as info:
        getattr(client, recv)(source, str(dest), recurse=True)
    message = str(info.value)
    assert sshd.host in message and "symbolic link" in message
    assert info.value.filename == os.path.join(str(dest), "sub")
    # The link in place of a file was replaced by the file, its target left alone.
    assert sorted(os.listdir(outside)) == ["victim"]
    assert (outside / "victim").read_bytes() == b"victim\n"
    assert not os.path.islink(dest / "f")
    assert (dest / "f").read_bytes() == b"remote f"
    assert os.path.islink(dest / "sub")


def test_planted_symlink_parallel(pclient, sshd, remote_dir, tmp_path):
    source = _remote_tree(sshd, remote_dir)
    outside = tmp_path / "outside"
    outside.mkdir()
    for host in sshd.hosts:
        (tmp_path / f"dl_{host}").mkdir()
        os.symlink(outside, tmp_path / f"dl_{host}" / "sub")
    greenlets = pclient.copy_remote_file(source, str(tmp_path / "dl"), recurse=True)
    gevent.joinall(greenlets)
    for greenlet in greenlets:
        assert isinstance(greenlet.exception, OSError)
        assert "symbolic link" in str(greenlet.exception)
    assert os.listdir(outside) == []


# -- point 6: uploads never wider than their final mode --------------------------------


@pytest.fixture
def sftp_log(sshd_factory, remote_dir):
    """A private server whose SFTP server logs every request (open modes, mode changes,
    writes) to a file; returns (config, log path)."""
    log = os.path.join(remote_dir, "sftp.log")
    group = sshd_factory(extra_config=[
        "Match all", f"ForceCommand /usr/lib/openssh/sftp-server -e -l DEBUG1 2>>{log}",
    ])  # fmt: skip
    return group.config(), log


_OPEN = re.compile(r'^open "(?P<path>[^"]+)" flags \S+ mode 0?(?P<mode>[0-7]+)$')
_SET = re.compile(r'^set "(?P<path>[^"]+)" mode 0?(?P<mode>[0-7]+)$')
_WRITE = re.compile(r'^debug1: request \d+: write "(?P<path>[^"]+)" \(handle \d+\) off 0 ')


def widest_before_data(log: str, path: str, existing_mode: int | None) -> list[int]:
    """Modes ``path`` could have had while its first bytes were written, from the server's
    log: the creation mode of each open (or the mode it had, when it existed), narrowed by
    each change before the first write."""
    current = existing_mode
    seen: list[int] = []
    with open(log) as handle:
        for line in handle:
            line = line.rstrip("\n")
            for regex in (_OPEN, _SET, _WRITE):
                match = regex.match(line)
                if match and match["path"] == path:
                    break
            else:
                continue
            if regex is _WRITE:
                seen.append(current if current is not None else -1)
            elif regex is _SET or current is None:  # an open changes only a new file's mode
                current = int(match["mode"], 8) & 0o7777
    return seen


@pytest.mark.parametrize("existing", [None, 0o644], ids=["new", "existing0644"])
def test_upload_never_wider_than_final_mode(backend, sftp_log, sshd, remote_dir, tmp_path,
                                            existing):  # fmt: skip
    config, log = sftp_log
    client = backend.SSHClient(config.host, port=config.port, user=config.user,
                               pkey=config.pkey, num_retries=1, allow_agent=False,
                               timeout=60)  # fmt: skip
    local = tmp_path / "secret"
    local.write_bytes(b"s" * 300_000)
    os.chmod(local, 0o600)
    tree = tmp_path / "tree"
    (tree / "in").mkdir(parents=True)
    (tree / "in" / "secret").write_bytes(b"t" * 100_000)
    os.chmod(tree / "in" / "secret", 0o640)
    remote = os.path.join(remote_dir, "up", "secret")
    remote_tree = os.path.join(remote_dir, "tree")
    if existing is not None:
        os.makedirs(os.path.join(remote_tree, "in"))
        os.makedirs(os.path.dirname(remote))
        for path in (remote, os.path.join(remote_tree, "in", "secret")):
            with open(path, "wb") as handle:
                handle.write(b"old")
            os.chmod(path, existing)
        for path in (
            os.path.dirname(remote),
            remote,
            remote_tree,
            os.path.join(remote_tree, "in"),
            os.path.join(remote_tree, "in", "secret"),
        ):
            _give(sshd.user, path)  # fmt: skip
    try:
        client.copy_file(str(local), remote)
        client.copy_file(str(tree), remote_tree, recurse=True)
    finally:
        client.disconnect()
    for path, final in [(remote, 0o600), (os.path.join(remote_tree, "in", "secret"), 0o640)]:
        assert stat.S_IMODE(os.stat(path).st_mode) == final
        modes = widest_before_data(log, path, existing)
        assert modes, path
        assert all(mode >= 0 and mode & ~final == 0 for mode in modes), (path, modes)


# -- issue 13 point 10: folders made by several hosts on one file system -----------------


def test_copy_file_into_new_shared_folders_from_many_hosts(pclient, sshd, remote_dir, tmp_path):
    """The ``sshd`` hosts share this machine's file system, as hosts with NFS homes do: each
    round all of them create the same new nested folders at once. A folder another host made
    between the check and the ``mkdir`` is success."""
    local = tmp_path / "f"
    local.write_bytes(b"shared\n")
    args = [{"host": host} for host in sshd.hosts]
    for round_ in range(25):
        target = os.path.join(remote_dir, f"r{round_}", "a", "b", "c", "f_%(host)s")
        gevent.joinall(pclient.copy_file(str(local), target, copy_args=args), raise_error=True)
        folder = os.path.join(remote_dir, f"r{round_}", "a", "b", "c")
        assert sorted(os.listdir(folder)) == sorted(f"f_{host}" for host in sshd.hosts)
