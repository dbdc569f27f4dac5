"""Backend-neutral pieces of file copying, shared by the native and paramiko clients.

Local path checks, local directory listing, atomic local writes (a temp file next to the
target, renamed into place once complete), the recursive walk of a directory tree (local or
remote, through a ``listdir`` callable) and the bookkeeping of a recursive upload
(:func:`upload_tree`), the local side of a recursive download (a
:class:`LocalTree`, which never follows a symbolic link planted in the destination), the
permission bits downloads get (:func:`download_mode`: never setuid, setgid or sticky, and
within the user's umask) and joining of remote paths, which always use ``/`` whatever the
local OS.
"""

from __future__ import annotations

import errno
import logging
import os
import posixpath
import secrets
import stat
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, BinaryIO, NamedTuple

logger = logging.getLogger("pssh.clients")

PERMISSION_BITS = 0o7777
"""Mode bits an upload keeps (as 1.8.0 did)."""
DOWNLOAD_BITS = 0o777
"""Mode bits a download may keep: never setuid, setgid or sticky (see :func:`download_mode`)."""


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


def current_umask() -> int:
    """The process's umask, read without changing it where the OS tells (``/proc``); else
    through :func:`os.umask`, set for an instant to the strict ``0o077``.

    :rtype: int
    """
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def download_mode(remote_mode: int, umask: int | None = None) -> int:
    """Permission bits a downloaded file or folder gets: the remote permission bits without
    setuid, setgid and sticky, and without what the user's umask takes away
    (``remote_mode & 0o777 & ~umask``). A remote ``6777`` file becomes ``0755`` under umask
    ``022``: a server never decides that a local file runs as its owner, or that other local
    users may write into what was downloaded.

    :param umask: the umask to apply; the process's current one by default.
    :rtype: int
    """
    if umask is None:
        umask = current_umask()
    return remote_mode & DOWNLOAD_BITS & ~umask


# POSIX flags; getattr keeps the module importable where one is missing.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_ROOT_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = _ROOT_FLAGS | _NOFOLLOW
_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_TEMP_NAME_CHARS = 120


def _refuse_link(host: str, path: str) -> OSError:
    exc = OSError(
        errno.ELOOP,
        f"Refusing to follow symbolic link {path} in the download destination "
        f"(copy from host {host}): a download writes only into folders it can trust",
        path,
    )
    exc.host = host  # type: ignore[attr-defined]
    return exc


@contextmanager
def atomic_file_at(
    dir_fd: int, name: str, host: str, mode: int | None, path: str, umask: int
) -> Iterator[BinaryIO]:
    """A binary file to write that becomes ``name`` in the folder open as ``dir_fd`` once the
    block ends without error: a temp file made there with ``O_EXCL | O_NOFOLLOW`` (so nothing
    planted in the folder is opened), mode ``0600`` while it fills, then
    :func:`download_mode` of ``mode``, renamed over ``name`` in one step (a symbolic link
    named ``name`` is replaced, never followed). On any error or interruption the temp file is
    removed and ``name`` is left as it was.

    :param path: the target's path, for messages.
    :raises OSError: on local errors, naming ``host`` and the path.
    """
    with local_errors(host, "writing local file"):
        prefix = "." + name[:_TEMP_NAME_CHARS] + "."
        while True:
            tmp = prefix + secrets.token_hex(4) + ".part"
            try:
                fd = os.open(tmp, _TEMP_FLAGS, 0o600, dir_fd=dir_fd)
                break
            except FileExistsError:
                continue
        try:
            with open(fd, "wb") as handle:
                yield handle
                if mode is not None:
                    os.fchmod(handle.fileno(), download_mode(mode, umask))
            os.rename(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException as exc:
            try:
                os.unlink(tmp, dir_fd=dir_fd)
            except OSError:
                pass
            if isinstance(exc, OSError) and exc.filename == tmp:
                exc.filename = path
            raise


@contextmanager
def atomic_local_file(path: str, host: str, mode: int | None = None) -> Iterator[BinaryIO]:
    """A binary file to write; on leaving the block without error it becomes ``path``
    with permission bits :func:`download_mode` of ``mode`` (``0600`` when ``None``), in one
    rename. See
    :func:`atomic_file_at`; the folder holding ``path`` is the caller's and is opened as named.

    :raises OSError: on local errors, naming ``host`` and the path.
    """
    directory, name = os.path.split(os.path.abspath(path))
    with local_errors(host, "writing local file"):
        dir_fd = os.open(directory, _ROOT_FLAGS)
    try:
        with atomic_file_at(dir_fd, name, host, mode, path, current_umask()) as handle:
            yield handle
    finally:
        os.close(dir_fd)


LocalTarget = Callable[[int], AbstractContextManager[BinaryIO]]
"""Opens where a downloaded file goes, given the remote mode: ``with target(mode) as fh``."""


def local_file_target(path: str, host: str) -> LocalTarget:
    """The :data:`LocalTarget` of plain local path ``path`` (:func:`atomic_local_file`).

    :rtype: LocalTarget
    """
    return lambda mode: atomic_local_file(path, host, mode)


class LocalTree:
    """The local folder a recursive download fills, handled through folder descriptors so
    that nothing planted in it is followed.

    ``root`` is opened once as the caller named it (made first when missing); every path
    below it is a tuple of names already checked by :mod:`pssh.clients._remote_names` and is
    reached one component at a time with ``O_NOFOLLOW``, so a symbolic link placed where a
    remote folder goes (by another local user, or left by an earlier run) is refused with an
    :class:`OSError` naming host and path instead of being written through. Files are written
    with :func:`atomic_file_at` inside those folders. Only the descriptors of one folder and
    its parents are kept open at a time.

    :param root: the local destination folder.
    :param host: the host copied from, for messages.
    """

    def __init__(self, root: str, host: str) -> None:
        self.root = root
        self.host = host
        self.umask = current_umask()
        with local_errors(host, "creating local directory"):
            self.created_root = not os.path.isdir(root)
            os.makedirs(root, exist_ok=True)
            self._root_fd = os.open(root, _ROOT_FLAGS)
        self._chain: list[tuple[str, int]] = []

    def path(self, parts: tuple[str, ...]) -> str:
        """The local path of ``parts``, for messages."""
        return os.path.join(self.root, *parts)

    def close(self) -> None:
        for _name, fd in self._chain:
            os.close(fd)
        self._chain = []
        os.close(self._root_fd)

    def __enter__(self) -> LocalTree:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def _dir_fd(self, parts: tuple[str, ...]) -> int:
        keep = 0
        while keep < min(len(parts), len(self._chain)) and self._chain[keep][0] == parts[keep]:
            keep += 1
        for _name, fd in self._chain[keep:]:
            os.close(fd)
        del self._chain[keep:]
        for depth in range(keep, len(parts)):
            parent = self._chain[-1][1] if self._chain else self._root_fd
            name = parts[depth]
            try:
                fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK) and self._is_link(
                    parent, name
                ):
                    raise _refuse_link(self.host, self.path(parts[: depth + 1])) from None
                exc.filename = self.path(parts[: depth + 1])
                raise
            self._chain.append((name, fd))
        return self._chain[-1][1] if self._chain else self._root_fd

    @staticmethod
    def _is_link(parent: int, name: str) -> bool:
        try:
            return stat.S_ISLNK(os.stat(name, dir_fd=parent, follow_symlinks=False).st_mode)
        except OSError:
            return False

    def make_dir(self, parts: tuple[str, ...]) -> bool:
        """Create folder ``parts`` (mode ``0700`` until :meth:`set_dir_mode`); ``False`` when
        a folder is there already.

        :raises OSError: naming host and path, when a symbolic link or a file is in its place.
        """
        with local_errors(self.host, "creating local directory"):
            parent = self._dir_fd(parts[:-1])
            try:
                os.mkdir(parts[-1], 0o700, dir_fd=parent)
                return True
            except FileExistsError:
                st = os.stat(parts[-1], dir_fd=parent, follow_symlinks=False)
                if stat.S_ISLNK(st.st_mode):
                    raise _refuse_link(self.host, self.path(parts)) from None
                if not stat.S_ISDIR(st.st_mode):
                    raise FileExistsError(
                        errno.EEXIST, "File exists where a folder goes", self.path(parts)
                    ) from None
                return False

    def set_dir_mode(self, parts: tuple[str, ...], mode: int) -> None:
        """Give folder ``parts`` :func:`download_mode` of remote ``mode``."""
        with local_errors(self.host, "setting permissions of local directory"):
            os.fchmod(self._dir_fd(parts), download_mode(mode, self.umask))

    def file(self, parts: tuple[str, ...]) -> LocalTarget:
        """The :data:`LocalTarget` of file ``parts``."""

        @contextmanager
        def target(mode: int) -> Iterator[BinaryIO]:
            with local_errors(self.host, "writing local file"):
                parent = self._dir_fd(parts[:-1])
            with atomic_file_at(
                parent, parts[-1], self.host, mode, self.path(parts), self.umask
            ) as handle:
                yield handle

        return target


def tree_join(parts: tuple[str, ...], name: str) -> tuple[str, ...]:
    """``parts + (name,)``: joining for the target side of :func:`walk_tree` into a
    :class:`LocalTree`."""
    return parts + (name,)


FetchFile = Callable[[str, LocalTarget, int], None]
"""Copies one remote file (path, where it goes, its remote mode)."""


def download_tree(
    host: str,
    remote_dir: str,
    local_dir: str,
    mode: int,
    listdir: Callable[[str], list[Entry]],
    realpath: Callable[[str], str],
    fetch: FetchFile,
) -> None:
    """Copy remote folder ``remote_dir`` (of remote mode ``mode``) into ``local_dir``, for
    both client families: ``listdir`` gives checked names (see
    :mod:`pssh.clients._remote_names`), folders are made in a :class:`LocalTree` as ``0700``
    and given their :func:`download_mode` at the end (so a read-only folder can still be
    filled first), and ``fetch`` copies each file.
    """
    with LocalTree(local_dir, host) as tree:
        created: list[tuple[tuple[str, ...], int]] = [((), mode)] if tree.created_root else []
        for step in walk_tree(remote_dir, (), listdir, remote_join, tree_join, realpath):
            if not step.is_dir:
                fetch(step.source, tree.file(step.target), step.mode)
            elif tree.make_dir(step.target):
                created.append((step.target, step.mode))
        for parts, dir_mode in reversed(created):
            tree.set_dir_mode(parts, dir_mode)
