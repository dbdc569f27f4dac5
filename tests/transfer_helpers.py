"""Helpers of the file transfer tests (tests/integration/test_transfer.py for the native
client only, tests/shared/test_sftp_transfer.py for both families): random files, remote files
owned by the login user, trees to copy and how to compare them."""

from __future__ import annotations

import hashlib
import os
import pwd
import stat

MiB = 1 << 20
EDGE_SIZES = [0, 1, 29_999, 30_001, MiB - 1, MiB + 1]


def digest(path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(MiB), b""):
            sha.update(block)
    return sha.hexdigest()


def write_random(path, size: int, mode: int | None = None) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(os.urandom(size))
    if mode is not None:
        os.chmod(path, mode)
    return digest(path)


def give_to(user: str, *paths) -> None:
    """Hand paths made here (as root) in a remote folder to the login user."""
    entry = pwd.getpwnam(user)
    for path in paths:
        os.chown(path, entry.pw_uid, entry.pw_gid)


def write_remote(config, path, size: int, mode: int | None = None) -> str:
    """A random file on the remote side (this machine), owned by the login user."""
    expected = write_random(path, size, mode)
    give_to(config.user, path)
    return expected


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def make_tree(root, files: int = 120) -> None:
    """Nested folders, empty folders, many small files, odd modes, a binary file."""
    os.makedirs(os.path.join(root, "a", "b", "c"))
    os.makedirs(os.path.join(root, "empty", "also_empty"))
    os.makedirs(os.path.join(root, "many"))
    for i in range(files):
        with open(os.path.join(root, "many", f"f{i:03d}.txt"), "w") as handle:
            handle.write(f"line {i}\n" * i)
    write_random(os.path.join(root, "a", "b", "c", "blob.bin"), 70_000)
    write_random(os.path.join(root, "a", "run.sh"), 100, mode=0o751)
    write_random(os.path.join(root, "a", "secret"), 10, mode=0o600)
    open(os.path.join(root, "zero"), "w").close()
    os.chmod(os.path.join(root, "a", "b"), 0o750)


def listing(root) -> dict:
    """relative path -> (is_dir, mode, sha256 or None), for comparing trees."""
    result = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            path = os.path.join(dirpath, name)
            result[os.path.relpath(path, root)] = (True, mode_of(path), None)
        for name in filenames:
            path = os.path.join(dirpath, name)
            result[os.path.relpath(path, root)] = (False, mode_of(path), digest(path))
    return result


def leftovers(directory) -> list:
    return [name for name in os.listdir(directory) if name.endswith(".part")]


def make_root_only_dir(tmp_path):
    """A directory the login user cannot write to (owned by root)."""
    path = tmp_path / "root_only"
    path.mkdir()
    os.chmod(tmp_path, 0o755)
    os.chmod(path, 0o755)
    return str(path)


def make_unreadable_file(remote_dir):
    """A file inside ``remote_dir`` that the login user may not read."""
    path = os.path.join(remote_dir, "unreadable")
    write_random(path, 100, mode=0o600)
    os.chown(path, 0, 0)
    return path
