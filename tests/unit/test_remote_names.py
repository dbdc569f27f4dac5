"""The checks on remote names and the local side of downloads, without a server."""

from __future__ import annotations

import errno
import logging
import os
import stat

import pytest

from pssh.clients._download import LocalTree, atomic_local_file, current_umask, download_mode
from pssh.clients._remote_names import decode_name, name_problem


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "/abs", "../../x", "nul\x00x", "x/"])
def test_refused_names(name):
    assert name_problem(name) is not None


@pytest.mark.parametrize("name", ["a", "...", ".hidden", "a b", "back\\slash", "é", "..x"])
def test_accepted_names(name):
    assert name_problem(name) is None


def test_names_are_checked_after_decoding(caplog):
    caplog.set_level(logging.WARNING, logger="pssh.clients.remote_names")
    assert decode_name(b".\x00.\x00", "utf-16", "h1", "/d") is None
    assert decode_name(b"a\x00/\x00b\x00", "utf-16", "h1", "/d") is None
    assert decode_name(b"+AC4-+AC4-", "utf-7", "h1", "/d") is None
    assert decode_name(b"g\x00o\x00", "utf-16", "h1", "/d") == "go"
    assert decode_name(b"\xff", "utf-8", "h1", "/d") == "\udcff"  # kept, round-trips
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 3
    assert all("on host h1" in m and "/d" in m for m in messages)
    assert "'..'" in messages[0] and "'a/b'" in messages[1]


def test_standard_entries_are_skipped_quietly(caplog):
    caplog.set_level(logging.WARNING, logger="pssh.clients.remote_names")
    assert decode_name(b".", "utf-8", "h", "/d") is None
    assert decode_name(b"..", "utf-8", "h", "/d") is None
    assert not caplog.records


def test_download_mode_drops_special_bits_and_follows_umask():
    assert download_mode(0o6777, 0o022) == 0o755
    assert download_mode(0o1777, 0o002) == 0o775
    assert download_mode(0o4755, 0o077) == 0o700
    assert download_mode(0o100644, 0) == 0o644


def test_current_umask_reads_without_changing():
    old = os.umask(0o027)
    try:
        assert current_umask() == 0o027
        assert current_umask() == 0o027
    finally:
        os.umask(old)


def test_atomic_local_file_mode_within_umask(tmp_path):
    old = os.umask(0o027)
    try:
        with atomic_local_file(str(tmp_path / "f"), "h", 0o6777) as handle:
            handle.write(b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "f").st_mode) == 0o750
    assert os.listdir(tmp_path) == ["f"]


def test_local_tree_refuses_planted_links(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    root.mkdir()
    os.symlink(outside, root / "d")
    os.symlink(outside, root / "e")
    with LocalTree(str(root), "h9") as tree:
        with pytest.raises(OSError) as info:
            tree.make_dir(("d",))
        assert info.value.errno == errno.ELOOP and "h9" in str(info.value)
        with pytest.raises(OSError) as info, tree.file(("e", "f"))(0o644) as handle:
            handle.write(b"x")
        assert info.value.errno == errno.ELOOP
        assert info.value.filename == os.path.join(str(root), "e")
    assert os.listdir(outside) == []


def test_local_tree_writes_and_sets_modes(tmp_path):
    root = tmp_path / "new"
    old = os.umask(0o022)
    try:
        with LocalTree(str(root), "h") as tree:
            assert tree.created_root
            assert tree.make_dir(("a",))
            assert not tree.make_dir(("a",))
            assert tree.make_dir(("a", "b"))
            with tree.file(("a", "b", "f"))(0o4777) as handle:
                handle.write(b"data")
            os.symlink(tmp_path / "elsewhere", root / "a" / "g")
            with tree.file(("a", "g"))(0o600) as handle:  # replaces the link itself
                handle.write(b"g")
            tree.set_dir_mode(("a", "b"), 0o1777)
    finally:
        os.umask(old)
    assert (root / "a" / "b" / "f").read_bytes() == b"data"
    assert stat.S_IMODE(os.stat(root / "a" / "b" / "f").st_mode) == 0o755
    assert stat.S_IMODE(os.stat(root / "a" / "b").st_mode) == 0o755
    assert not os.path.islink(root / "a" / "g")
    assert not os.path.exists(tmp_path / "elsewhere")


def test_local_tree_file_in_place_of_folder(tmp_path):
    (tmp_path / "x").write_bytes(b"")
    with LocalTree(str(tmp_path), "h") as tree, pytest.raises(FileExistsError) as info:
        tree.make_dir(("x",))
    assert "h" in str(info.value)
