"""Backend-neutral copy helpers: remote paths, local checks, the tree walk, atomic writes."""

from __future__ import annotations

import os
import socket
import stat

import pytest

from pssh.clients._copy import (
    Entry,
    check_local_source,
    check_local_target,
    list_local_dir,
    local_error,
    make_local_dir,
    remote_join,
    remote_parent,
    upload_tree,
    walk_tree,
)
from pssh.clients._download import atomic_local_file


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("a", "b"), "a/b"),
        (("a/", "b", "c"), "a/b/c"),
        (("/", "etc"), "/etc"),
        (("/srv/x", "/y/", "z"), "/srv/x/y/z"),
        (("", "name"), "name"),
        (("dir", ""), "dir"),
    ],
)
def test_remote_join(parts: tuple[str, ...], expected: str) -> None:
    assert remote_join(*parts) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [("a/b/c", "a/b"), ("/a", "/"), ("file", ""), ("dir/", ""), ("/x/y/", "/x"), ("", "")],
)
def test_remote_parent(path: str, expected: str) -> None:
    assert remote_parent(path) == expected


def test_local_error_keeps_type_errno_path_and_names_host() -> None:
    original = FileNotFoundError(2, "No such file or directory", "/nowhere")
    new = local_error(original, "host1", "reading local file")
    assert type(new) is FileNotFoundError
    assert new.errno == 2
    assert new.filename == "/nowhere"
    assert new.host == "host1"  # type: ignore[attr-defined]
    assert "host1" in str(new) and "/nowhere" in str(new)
    assert local_error(new, "host2", "again") is new


def test_local_error_without_errno_is_unchanged() -> None:
    original = OSError("plain")
    assert local_error(original, "h", "x") is original


def test_check_local_source(tmp_path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    assert check_local_source(str(path), False, "h").st_size == 3
    with pytest.raises(ValueError, match="recurse") as err:
        check_local_source(str(tmp_path), False, "h")
    assert str(tmp_path) in str(err.value) and "h" in str(err.value)
    assert stat.S_ISDIR(check_local_source(str(tmp_path), True, "h").st_mode)
    with pytest.raises(FileNotFoundError) as missing:
        check_local_source(str(tmp_path / "missing"), True, "host9")
    assert missing.value.host == "host9"  # type: ignore[attr-defined]


def test_check_local_target_makes_parents_and_refuses_dirs(tmp_path) -> None:
    target = tmp_path / "a" / "b" / "file"
    check_local_target(str(target), "h")
    assert (tmp_path / "a" / "b").is_dir()
    assert not target.exists()
    with pytest.raises(IsADirectoryError) as err:
        check_local_target(str(tmp_path / "a"), "h")
    assert err.value.host == "h"  # type: ignore[attr-defined]
    (tmp_path / "plain").write_bytes(b"")
    with pytest.raises(OSError):
        check_local_target(str(tmp_path / "plain" / "below"), "h")


def test_make_local_dir(tmp_path) -> None:
    make_local_dir(str(tmp_path / "x" / "y"), "h")
    make_local_dir(str(tmp_path / "x" / "y"), "h")
    assert (tmp_path / "x" / "y").is_dir()
    (tmp_path / "f").write_bytes(b"")
    with pytest.raises(FileExistsError):
        make_local_dir(str(tmp_path / "f"), "h")


def test_list_local_dir_follows_links_and_skips_special_files(tmp_path) -> None:
    (tmp_path / "d").mkdir(mode=0o750)
    os.chmod(tmp_path / "d", 0o750)
    (tmp_path / "f").write_bytes(b"x")
    os.chmod(tmp_path / "f", 0o640)
    os.symlink("d", tmp_path / "link_d")
    os.symlink("f", tmp_path / "link_f")
    os.symlink("missing", tmp_path / "broken")
    os.mkfifo(tmp_path / "fifo")
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(tmp_path / "sock"))
        entries = {e.name: e for e in list_local_dir(str(tmp_path))}
    finally:
        sock.close()
    assert set(entries) == {"d", "f", "link_d", "link_f"}
    assert entries["d"] == Entry("d", True, 0o750, False)
    assert entries["f"] == Entry("f", False, 0o640, False)
    assert entries["link_d"] == Entry("link_d", True, 0o750, True)
    assert entries["link_f"] == Entry("link_f", False, 0o640, True)


def _walk_local(source: str, target: str) -> list:
    return list(
        walk_tree(source, target, list_local_dir, os.path.join, remote_join, os.path.realpath)
    )


def test_walk_tree_orders_dirs_before_contents(tmp_path) -> None:
    src = tmp_path / "src"
    (src / "a" / "deep" / "er").mkdir(parents=True)
    (src / "b").mkdir()
    (src / "top").write_bytes(b"1")
    (src / "a" / "in_a").write_bytes(b"2")
    (src / "a" / "deep" / "er" / "leaf").write_bytes(b"3")
    steps = _walk_local(str(src), "/remote")
    targets = [(s.is_dir, s.target) for s in steps]
    assert sorted(targets) == sorted(
        [
            (False, "/remote/top"),
            (True, "/remote/a"),
            (True, "/remote/b"),
            (False, "/remote/a/in_a"),
            (True, "/remote/a/deep"),
            (True, "/remote/a/deep/er"),
            (False, "/remote/a/deep/er/leaf"),
        ]
    )
    position = {target: i for i, (_, target) in enumerate(targets)}
    for _, target in targets:
        parent = remote_parent(target)
        if parent != "/remote":
            assert position[parent] < position[target]
    leaf = next(s for s in steps if s.target.endswith("leaf"))
    assert leaf.source == str(src / "a" / "deep" / "er" / "leaf")


def test_walk_tree_follows_dir_links_but_not_loops(tmp_path) -> None:
    src = tmp_path / "src"
    (src / "real").mkdir(parents=True)
    (src / "real" / "f").write_bytes(b"x")
    os.symlink("real", src / "alias")
    os.symlink("..", src / "real" / "up")
    os.symlink(str(src), src / "self")
    targets = {s.target for s in _walk_local(str(src), "t")}
    assert "t/alias/f" in targets and "t/real/f" in targets
    assert not any(t.startswith(("t/self", "t/real/up", "t/alias/up")) for t in targets)


def test_walk_tree_with_a_fake_remote_listing() -> None:
    tree = {
        "/r": [Entry("x", True, 0o700), Entry("y", False, 0o600)],
        "/r/x": [Entry("z", False, 0o644), Entry("loop", True, 0o755, is_link=True)],
    }
    resolved = {"/r": "/r", "/r/x/loop": "/r"}
    steps = list(
        walk_tree("/r", "L", tree.__getitem__, remote_join, os.path.join, resolved.__getitem__)
    )
    assert [(s.is_dir, s.source, s.target, s.mode) for s in steps] == [
        (False, "/r/y", os.path.join("L", "y"), 0o600),
        (True, "/r/x", os.path.join("L", "x"), 0o700),
        (False, "/r/x/z", os.path.join("L", "x", "z"), 0o644),
    ]


def test_atomic_local_file_replaces_with_mode(tmp_path) -> None:
    target = tmp_path / "out"
    target.write_bytes(b"old")
    with atomic_local_file(str(target), "h", 0o751) as handle:
        handle.write(b"new content")
        assert target.read_bytes() == b"old"
    assert target.read_bytes() == b"new content"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o751
    assert os.listdir(tmp_path) == ["out"]


class _Boom(Exception):
    pass


@pytest.mark.parametrize("error", [_Boom, KeyboardInterrupt])
def test_atomic_local_file_failure_leaves_target_alone(tmp_path, error) -> None:
    target = tmp_path / "out"
    target.write_bytes(b"old")
    with pytest.raises(error), atomic_local_file(str(target), "h") as handle:
        handle.write(b"partial")
        raise error()
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out"]
    with pytest.raises(_Boom), atomic_local_file(str(tmp_path / "fresh"), "h") as handle:
        handle.write(b"partial")
        raise _Boom()
    assert os.listdir(tmp_path) == ["out"]


def test_atomic_local_file_local_errors_name_host(tmp_path) -> None:
    with (
        pytest.raises(FileNotFoundError) as err,
        atomic_local_file(str(tmp_path / "no" / "dir" / "f"), "hostX"),
    ):
        pass
    assert err.value.host == "hostX"  # type: ignore[attr-defined]
    (tmp_path / "adir").mkdir()
    with pytest.raises(IsADirectoryError), atomic_local_file(str(tmp_path / "adir"), "h") as f:
        f.write(b"x")
    assert os.listdir(tmp_path / "adir") == []
    assert sorted(os.listdir(tmp_path)) == ["adir"]


def test_upload_tree_bookkeeping(tmp_path):
    """What both clients' recursive uploads do: the top folder (with parents) first, each
    folder before what it holds, folders made owner-writable, and the folders this copy
    made given their own mode at the end, deepest first; a folder already there keeps its
    mode."""
    src = tmp_path / "src"
    (src / "a" / "b").mkdir(parents=True)
    (src / "old").mkdir()
    (src / "f").write_bytes(b"1")
    (src / "a" / "b" / "g").write_bytes(b"2")
    os.chmod(src / "a", 0o555)
    calls = []

    def make_dirs(path, mode):
        calls.append(("make_dirs", path, mode))
        return True

    def make_dir(path, mode):
        calls.append(("make_dir", path, mode))
        return not path.endswith("/old")  # already there

    def put(local, remote, mode):
        calls.append(("put", os.path.relpath(local, src), remote))

    def set_mode(path, mode):
        calls.append(("set_mode", path, mode & 0o777))

    try:
        upload_tree("host1", str(src), "/r", 0o750, make_dirs, make_dir, put, set_mode)
    finally:
        os.chmod(src / "a", 0o755)
    old_mode = stat.S_IMODE(os.stat(src / "old").st_mode)
    b_mode = stat.S_IMODE(os.stat(src / "a" / "b").st_mode)
    assert calls == [
        ("make_dirs", "/r", 0o750 | 0o700),
        ("put", "f", "/r/f"),
        ("make_dir", "/r/a", 0o555 | 0o700),  # a read-only source folder can still be filled
        ("make_dir", "/r/old", old_mode | 0o700),
        ("make_dir", "/r/a/b", b_mode | 0o700),
        ("put", "a/b/g", "/r/a/b/g"),
        ("set_mode", "/r/a/b", b_mode),
        ("set_mode", "/r/a", 0o555),
        ("set_mode", "/r", 0o750),
    ]
