"""The local side of downloads, shared by the native and paramiko clients.

What a server says about a file - its mode, its name - reaches the local file system only
through here: :func:`download_mode` gives files and folders the remote permission bits
within ``0o777`` and the user's umask (never setuid, setgid or sticky); atomic writes go to
a temp file next to the target (created ``0600``, ``O_EXCL|O_NOFOLLOW``), renamed into place
once complete; a :class:`LocalTree` reaches every folder of a recursive download one name at
a time from folder descriptors it opened itself, so a symbolic link planted in the
destination is never followed; :func:`download_tree` is the recursive download both clients
run. Remote names are checked before they get here (:mod:`pssh.clients._remote_names`).
"""

from __future__ import annotations

import errno
import logging
import os
import secrets
import stat
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, BinaryIO

from ._copy import Entry, local_errors, remote_join, walk_tree

logger = logging.getLogger("pssh.clients")

DOWNLOAD_BITS = 0o777
"""Mode bits a download may keep: never setuid, setgid or sticky (see :func:`download_mode`)."""


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
