"""SFTP primitives of the native client: remote stat, mkdir, listing, and streaming one
file up or down.

Uploads keep a bounded window of write requests in flight, topped up as acknowledgements
arrive (:mod:`._sftp_window`); downloads read :data:`SFTP_READ_CHUNK` bytes per call, and
libssh2 reads ahead by four times that. Every wait goes through :mod:`pssh.clients.native._eagain`.
"""

from __future__ import annotations

import logging
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

from ssh2 import exceptions as ssh2_exc
from ssh2.sftp import (
    LIBSSH2_FXF_CREAT,
    LIBSSH2_FXF_READ,
    LIBSSH2_FXF_TRUNC,
    LIBSSH2_FXF_WRITE,
    LIBSSH2_SFTP_ATTR_PERMISSIONS,
)
from ssh2.sftp_handle import SFTPAttributes

from ...exceptions import PSSHError, SFTPIOError
from .._copy import PERMISSION_BITS, Entry, local_errors, remote_parent
from .._download import LocalTarget
from .._remote_names import ListingTooLong, count_entry, decode_name
from ._connection import SSHConnection
from ._errors import map_errors
from ._sftp_window import SFTP_WINDOW, WindowStats, upload

logger = logging.getLogger(__name__)

SFTP_WRITE_CHUNK = SFTP_WINDOW
"""Bytes of an upload in flight at most (see :mod:`._sftp_window`, which tops the window up
as acknowledgements arrive)."""
SFTP_READ_CHUNK = 1 << 20
"""Bytes per SFTP read call; libssh2 reads ahead by up to four times this."""

FX_NO_SUCH_FILE = 2
FX_FAILURE = 4
SFTP_STATUS = {
    1: "end of file",
    2: "no such file or directory",
    3: "permission denied",
    4: "failure",
    5: "bad message",
    6: "no connection",
    7: "connection lost",
    8: "operation unsupported",
    9: "invalid handle",
    10: "no such path",
    11: "file already exists",
    12: "write protected",
    13: "no media",
    14: "no space on file system",
    15: "quota exceeded",
    16: "unknown principal",
    17: "lock conflict",
    18: "directory not empty",
    19: "not a directory",
    20: "invalid file name",
    21: "link loop",
}
"""SFTP status codes (as ``sftp.last_error()`` gives them) and what they mean."""

_END = (0, b"", None)
_REFUSED = (ssh2_exc.SFTPProtocolError, ssh2_exc.SFTPHandleError)


def status_text(code: int) -> str:
    """``'permission denied'`` for 3, and so on; ``'SFTP status N'`` when unknown."""
    return SFTP_STATUS.get(code, f"SFTP status {code}")


def remote_error(code: int, *args: Any, host: str) -> SFTPIOError:
    """An :class:`~pssh.exceptions.SFTPIOError` for a request the server refused, carrying the
    SFTP status ``code`` as its ``sftp_status`` attribute."""
    exc = SFTPIOError(*args, host=host)
    exc.sftp_status = code  # type: ignore[attr-defined]
    return exc


def sftp_status(exc: BaseException) -> int | None:
    """The SFTP status carried by an error from :func:`remote_error`, if any."""
    return getattr(exc, "sftp_status", None)


def _mode_attrs(mode: int) -> SFTPAttributes:
    attrs = SFTPAttributes()
    attrs.flags = LIBSSH2_SFTP_ATTR_PERMISSIONS
    attrs.permissions = mode & PERMISSION_BITS
    return attrs


class RemoteFS:
    """The remote file system of one client through one SFTP session.

    Paths are ``str``; they go to the server encoded with ``encoding`` (undecodable bytes
    round-trip through ``surrogateescape``).

    :param conn: the client's connection (:class:`~._connection.SSHConnection`): its waits
      and its ``timeout``, which limits every request and chunk.
    :param sftp: an SFTP session on that connection (:py:class:`ssh2.sftp.SFTP`).
    :param encoding: encoding of remote paths.
    :param window: bytes of an upload in flight at most (:data:`._sftp_window.SFTP_WINDOW`);
      :attr:`last_upload` keeps the last upload's :class:`._sftp_window.WindowStats`.
    """

    def __init__(
        self, conn: SSHConnection, sftp: Any, encoding: str = "utf-8", window: int = SFTP_WINDOW
    ) -> None:
        self.conn = conn
        self.sftp = sftp
        self.host: str = conn.host
        self.encoding = encoding
        self.window = window
        self.last_upload: WindowStats | None = None

    def _raw(self, path: str) -> bytes:
        return path.encode(self.encoding, "surrogateescape")

    def _call(self, func: Any, *args: Any) -> Any:
        return self.conn.eagain(func, *args, timeout=self.conn.timeout)

    @contextmanager
    def errors(self, what: str, path: str) -> Iterator[None]:
        """Raise a refused SFTP request as :class:`~pssh.exceptions.SFTPIOError` naming host,
        path and the server's reason (see :func:`remote_error`); other libssh2 errors as
        :func:`~pssh.clients.native._errors.map_errors` does. Local ``OSError`` passes."""
        with map_errors(self.host, f"{what} {path}", sftp=True):
            try:
                yield
            except _REFUSED as exc:
                code = self.sftp.last_error()
                raise remote_error(
                    code,
                    "Error %s %s on host %s - %s",
                    what,
                    path,
                    self.host,
                    status_text(code),
                    host=self.host,
                ) from exc

    # -- attributes and directories ----------------------------------------

    def stat(self, path: str) -> Any:
        """Attributes of ``path`` (links followed); ``None`` if it does not exist.

        :raises: :py:class:`pssh.exceptions.SFTPIOError` on other refusals.
        """
        try:
            with self.errors("reading attributes of", path):
                return self._call(self.sftp.stat, self._raw(path))
        except SFTPIOError as exc:
            if sftp_status(exc) == FX_NO_SUCH_FILE:
                return None
            raise

    def is_dir(self, path: str) -> bool:
        attrs = self.stat(path)
        return attrs is not None and stat.S_ISDIR(attrs.permissions)

    def make_dirs(self, path: str, mode: int = 0o755) -> bool:
        """Create directory ``path`` and missing parents; ``True`` if ``path`` was created.

        :raises: :py:class:`pssh.exceptions.SFTPIOError` naming the path and the reason when
          it cannot be created, or a file is in its place.
        """
        path = path.rstrip("/")
        if not path:
            return False
        attrs = self.stat(path)
        if attrs is not None:
            if stat.S_ISDIR(attrs.permissions):
                return False
            raise remote_error(
                FX_FAILURE, "Cannot create directory %s on host %s - a file is in its place",
                path, self.host, host=self.host,
            )  # fmt: skip
        parent = remote_parent(path)
        if parent and parent != path:
            self.make_dirs(parent)
        return self.make_dir(path, mode)

    def make_dir(self, path: str, mode: int = 0o755) -> bool:
        """``mkdir`` one directory; ``False`` if a directory was there already (made by a
        copy running at the same time, for example)."""
        try:
            with self.errors("creating directory", path):
                self._call(self.sftp.mkdir, self._raw(path), mode & PERMISSION_BITS)
            return True
        except SFTPIOError:
            if self.is_dir(path):
                return False
            raise

    def set_mode(self, path: str, mode: int) -> None:
        with self.errors("setting permissions of", path):
            self._call(self.sftp.setstat, self._raw(path), _mode_attrs(mode))

    def realpath(self, path: str) -> str:
        with self.errors("resolving", path):
            return str(self._call(self.sftp.realpath, self._raw(path)))

    def listdir(self, path: str) -> list[Entry]:
        """Entries of directory ``path``; links are followed, special files left out, and
        names a local file system must not see are refused with a warning (see
        :mod:`pssh.clients._remote_names`).

        :raises: :py:class:`pssh.exceptions.SFTPIOError` when the listing has more than
          :data:`~pssh.clients._remote_names.MAX_DIR_ENTRIES` entries.
        """
        names = []
        count = 0
        with self.errors("listing directory", path):
            handle = self._call(self.sftp.opendir, self._raw(path))
        try:
            for raw, attrs in self._read_entries(handle, path):
                count = count_entry(count)
                name = decode_name(raw, self.encoding, self.host, path)
                if name is not None:
                    names.append((name, attrs))
        except ListingTooLong as exc:
            raise remote_error(
                FX_FAILURE, "Error listing directory %s on host %s - %s", path, self.host, exc,
                host=self.host,
            ) from None  # fmt: skip
        finally:
            self._close(handle, path, raise_errors=False)
        result = []
        for name, attrs in names:
            mode = attrs.permissions
            is_link = stat.S_ISLNK(mode)
            if is_link:
                target = self.stat(path.rstrip("/") + "/" + name)
                if target is None:
                    logger.warning("Skipping broken link %s/%s on host %s", path, name, self.host)
                    continue
                mode = target.permissions
            if stat.S_ISDIR(mode) or stat.S_ISREG(mode):
                result.append(Entry(name, stat.S_ISDIR(mode), mode & PERMISSION_BITS, is_link))
            else:
                logger.warning(
                    "Skipping %s/%s on host %s: not a file or directory", path, name, self.host
                )
        return result

    def _read_entries(self, handle: Any, path: str) -> Iterator[tuple[bytes, Any]]:
        """Raw ``(name, attributes)`` of an open directory listing.

        libssh2 answers 0 both at the end of a listing and for an entry with an empty name;
        an entry carrying attributes or a long name is an entry. A bare 0 is confirmed by one
        more read (servers answer end of listing again), so that an empty name with nothing
        else cannot hide the rest of a listing; an error on that read counts as the end.
        """
        read = handle._readdir_ex
        ended = False
        while True:
            if ended:
                try:
                    with self.errors("listing directory", path):
                        rc, raw, longentry, attrs = self._call(read)
                except SFTPIOError:
                    return
            else:
                with self.errors("listing directory", path):
                    rc, raw, longentry, attrs = self._call(read)
            if rc > 0 or attrs.flags or longentry:
                if ended:  # the bare 0 before was an entry with an empty name
                    yield b"", None
                ended = False
                yield raw, attrs
            elif ended or rc < 0:
                return
            else:
                ended = True

    # -- files --------------------------------------------------------------

    def read_refused(self, path: str) -> int | None:
        """The SFTP status refusing to open ``path`` for reading; ``None`` if it opens."""
        try:
            with self.errors("opening remote file", path):
                handle = self._call(self.sftp.open, self._raw(path), LIBSSH2_FXF_READ, 0)
        except SFTPIOError as exc:
            return sftp_status(exc)
        self._close(handle, path, raise_errors=False)
        return None

    def put(self, local_file: str, remote_file: str, mode: int, make_parents: bool = True) -> None:
        """Stream ``local_file`` to ``remote_file`` and give it permission bits ``mode``;
        a missing remote parent directory is created when ``make_parents`` is set."""
        with local_errors(self.host, "reading local file"):
            source = open(local_file, "rb")  # noqa: SIM115 - closed by the with below
        with source:
            handle = self._open_for_write(remote_file, mode, make_parents)
            ok = False
            try:
                self._write_from(handle, remote_file, source, mode)
                ok = True
            finally:
                self._close(handle, remote_file, raise_errors=ok)

    def _write_from(self, handle: Any, remote_file: str, source: BinaryIO, mode: int) -> None:
        # The file gets its final mode before its first byte: created with ``mode`` (the
        # server's umask may narrow it) or, when it existed, perhaps wider until now.
        try:
            with self.errors("setting permissions of", remote_file):
                self._call(handle.fsetstat, _mode_attrs(mode))
        except SFTPIOError:  # not ours to chmod: its owner chose its mode
            logger.warning(
                "Could not set permissions of %s on host %s to %o", remote_file, self.host, mode
            )

        def read_local(size: int) -> bytes:
            with local_errors(self.host, "reading local file"):
                return source.read(size)

        with self.errors("writing remote file", remote_file):
            self.last_upload = upload(self.conn, handle.write, read_local, self.window)

    def _open_for_write(self, path: str, mode: int, make_parents: bool) -> Any:
        args = (self._raw(path), LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC,
                mode & PERMISSION_BITS)  # fmt: skip
        what = "creating remote file"
        try:
            with self.errors(what, path):
                return self._call(self.sftp.open, *args)
        except SFTPIOError as exc:
            code = sftp_status(exc)
            parent = remote_parent(path)
            if code == FX_NO_SUCH_FILE and make_parents and parent:
                self.make_dirs(parent)
                with self.errors(what, path):
                    return self._call(self.sftp.open, *args)
            if code == FX_FAILURE and self.is_dir(path):
                raise remote_error(
                    code,
                    "Error %s %s on host %s - is a directory",
                    what,
                    path,
                    self.host,
                    host=self.host,
                ) from exc
            raise

    def get(self, remote_file: str, local: LocalTarget, mode: int) -> None:
        """Stream ``remote_file`` into ``local`` (a temp file moved into place once complete,
        given :func:`~pssh.clients._download.download_mode` of the remote ``mode``)."""
        with self.errors("opening remote file", remote_file):
            handle = self._call(self.sftp.open, self._raw(remote_file), LIBSSH2_FXF_READ, 0)
        try:
            with local(mode) as target:
                self._read_into(handle, remote_file, target)
        finally:
            # The local file is complete, or untouched, by now: closing changes neither.
            self._close(handle, remote_file, raise_errors=False)

    def _read_into(self, handle: Any, remote_file: str, target: BinaryIO) -> None:
        recv_chunk, read = self.conn.recv, handle.read
        with self.errors("reading remote file", remote_file):
            while True:
                data = recv_chunk(read, SFTP_READ_CHUNK)
                if not data:
                    break
                target.write(data)

    def _close(self, handle: Any, path: str, raise_errors: bool) -> None:
        """Close a remote handle; its errors count only when nothing failed before."""
        try:
            with self.errors("closing", path):
                self._call(handle.close)
        except PSSHError:
            if raise_errors:
                raise
            logger.debug("Ignoring error closing %s on host %s", path, self.host, exc_info=True)
