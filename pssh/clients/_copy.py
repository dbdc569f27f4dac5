"""Backend-neutral pieces of file copying, shared by the native and paramiko clients.

Local path checks, local directory listing, the recursive walk of a directory tree (local or
remote, through a ``listdir`` callable) and the bookkeeping of a recursive upload
(:func:`upload_tree`) and joining of remote paths, which always use ``/`` whatever the
local OS. The local side of downloads is in :mod:`pssh.clients._download`.
"""

from __future__ import annotations

import errno
import logging
import os
import posixpath
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

logger = logging.getLogger("pssh.clients")

PERMISSION_BITS = 0o7777
"""Mode bits an upload keeps (as 1.8.0 did)."""


class Entry(NamedTuple):
    """One directory entry, as a ``listdir`` callable of :func:`walk_tree` returns it.

    ``is_dir`` is the type of what the entry points to (symbolic links are followed);
    ``is_link`` tells whether the entry itself is a symbolic link; ``mode`` holds
    permission bits only.
    """

    name: str
    is_dir: bool
    mode: int
    is_link: bool = False


class Step(NamedTuple):
    """One step of a recursive copy: create directory ``target`` or copy file
    ``source`` to ``target``; ``mode`` is the source's permission bits."""

    is_dir: bool
    source: str
    target: Any
    mode: int


def remote_join(base: str, *names: str) -> str:
    """Join remote path parts with ``/``: ``remote_join('a/', 'b', 'c') == 'a/b/c'``.

    An empty ``base`` gives a relative path; no part is interpreted as absolute.

    :rtype: str
    """
    path = base
    for name in names:
        name = name.strip("/")
        if not name:
            continue
        if not path:
            path = name
        elif path.endswith("/"):
            path = path + name
        else:
            path = path + "/" + name
    return path


def remote_parent(path: str) -> str:
    """The remote directory holding ``path`` (``''`` for a bare name).

    :rtype: str
    """
    trimmed = path.rstrip("/")
    return posixpath.dirname(trimmed) if trimmed else ""


def local_error(exc: OSError, host: str, what: str) -> OSError:
    """``exc`` again, of the same type and errno, with a message naming ``host`` and what was
    being done (the path stays in ``filename``); it carries ``host`` like pssh's exceptions.

    :rtype: OSError
    """
    if exc.errno is None or getattr(exc, "host", None) is not None:
        return exc
    new = type(exc)(exc.errno, f"{exc.strerror} ({what} for host {host})", exc.filename)
    new.host = host  # type: ignore[attr-defined]
    return new


@contextmanager
def local_errors(host: str, what: str) -> Iterator[None]:
    """Re-raise an :class:`OSError` from the block through :func:`local_error`."""
    try:
        yield
    except OSError as exc:
        new = local_error(exc, host, what)
        if new is exc:
            raise
        raise new from exc


def check_local_source(path: str, recurse: bool, host: str) -> os.stat_result:
    """``os.stat`` of a local file about to be copied to ``host``.

    :raises ValueError: ``path`` is a directory and ``recurse`` is not set.
    :raises OSError: ``path`` cannot be read (the message names host and path).
    :rtype: os.stat_result
    """
    with local_errors(host, "reading local file to copy"):
        st = os.stat(path)
    if stat.S_ISDIR(st.st_mode) and not recurse:
        raise ValueError(
            f"Local path {path} is a directory - use recurse=True to copy it to host {host}"
        )
    return st


def check_local_target(path: str, host: str) -> None:
    """Make the parent directories of local file ``path`` and refuse a directory in its place,
    before anything is downloaded from ``host``.

    :raises OSError: the parents cannot be created or ``path`` is a directory.
    """
    with local_errors(host, "writing local file"):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        if os.path.isdir(path):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)


def make_local_dir(path: str, host: str) -> None:
    """``os.makedirs(path, exist_ok=True)`` with errors naming ``host``.

    :raises OSError: on failure, or when ``path`` exists and is not a directory.
    """
    with local_errors(host, "creating local directory"):
        os.makedirs(path, exist_ok=True)


def list_local_dir(path: str) -> list[Entry]:
    """Entries of local directory ``path``; symbolic links are followed, and entries that are
    neither files nor directories (sockets, devices, broken links) are left out with a warning.

    :rtype: list[Entry]
    """
    entries = []
    with os.scandir(path) as scan:
        for item in scan:
            try:
                st = item.stat()
            except FileNotFoundError:
                logger.warning("Skipping broken symbolic link %s", item.path)
                continue
            if not (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)):
                logger.warning("Skipping %s: not a regular file or directory", item.path)
                continue
            entries.append(
                Entry(item.name, stat.S_ISDIR(st.st_mode), st.st_mode & PERMISSION_BITS,
                      item.is_symlink())
            )  # fmt: skip
    return entries


def walk_tree(
    source: str,
    target: Any,
    listdir: Callable[[str], list[Entry]],
    join_source: Callable[..., str],
    join_target: Callable[..., Any],
    realpath: Callable[[str], str],
) -> Iterator[Step]:
    """The steps copying the contents of directory ``source`` into ``target``, depth first,
    each directory before what it holds; ``source`` itself is not included.

    Symbolic links to directories are followed unless they lead back to a directory being
    walked (a loop), which is skipped with a warning. ``realpath`` is called for ``source``
    and for such links only.

    :param listdir: lists a source directory.
    :param join_source: joins a source directory and an entry name.
    :param join_target: joins a target directory and an entry name.
    :param realpath: canonical form of a source directory path.
    :rtype: iterator of :class:`Step`
    """
    stack = [(source, target, (realpath(source),))]
    while stack:
        src, dst, ancestors = stack.pop()
        subdirs = []
        for entry in sorted(listdir(src), key=lambda e: e.name):
            src_path = join_source(src, entry.name)
            dst_path = join_target(dst, entry.name)
            if not entry.is_dir:
                yield Step(False, src_path, dst_path, entry.mode)
                continue
            key = realpath(src_path) if entry.is_link else join_source(ancestors[-1], entry.name)
            if key in ancestors:
                logger.warning("Skipping %s: symbolic link loop back to %s", src_path, key)
                continue
            subdirs.append((src_path, dst_path, ancestors + (key,), entry.mode))
        for src_path, dst_path, _chain, mode in subdirs:
            yield Step(True, src_path, dst_path, mode)
        stack.extend((s, d, chain) for s, d, chain, _ in reversed(subdirs))


def upload_tree(
    host: str,
    local_dir: str,
    remote_dir: str,
    mode: int,
    make_dirs: Callable[[str, int], bool],
    make_dir: Callable[[str, int], bool],
    put: Callable[[str, str, int], None],
    set_mode: Callable[[str, int], None],
) -> None:
    """Copy the contents of local directory ``local_dir`` into ``remote_dir``: the
    bookkeeping of a recursive upload, the same for every client and protocol.

    ``remote_dir`` (and missing parents) is made first, then each directory before what it
    holds (:func:`walk_tree`), and each file is sent with ``put``. Directories are created
    owner-writable (``| 0o700``) so that a read-only source directory can still be filled;
    those this copy created get their source's mode at the end, deepest first.

    :param make_dirs: ``make_dirs(path, mode)`` makes ``path`` and missing parents;
      whether ``path`` was created.
    :param make_dir: ``make_dir(path, mode)`` makes one directory whose parent exists;
      whether it was created (``False`` when one was there already).
    :param put: ``put(local, remote, mode)`` sends one file.
    :param set_mode: ``set_mode(path, mode)`` sets a remote directory's permission bits.
    """
    created = []
    if make_dirs(remote_dir, mode | 0o700):
        created.append((remote_dir, mode))

    def listdir(path: str) -> list[Entry]:
        with local_errors(host, "listing local directory"):
            return list_local_dir(path)

    for step in walk_tree(local_dir, remote_dir, listdir, os.path.join, remote_join,
                          os.path.realpath):  # fmt: skip
        if not step.is_dir:
            put(step.source, step.target, step.mode)
        elif make_dir(step.target, step.mode | 0o700):
            created.append((step.target, step.mode))
    for path, dir_mode in reversed(created):
        set_mode(path, dir_mode)
