"""SFTP copy functions of the paramiko single host client.

Remote work goes through paramiko's :class:`paramiko.sftp_client.SFTPClient`,
its errors becoming :py:class:`pssh.exceptions.SFTPError` /
:py:class:`pssh.exceptions.SFTPIOError`. Everything local - path checks,
atomic writes (a temp file renamed into place once complete), the recursive
walk and the permission bits - is the backend-neutral code the native client
uses too (:mod:`pssh.clients._copy`), so both copy the same way.
"""

from __future__ import annotations

import logging
import stat
from typing import Any

import paramiko
from paramiko.sftp import (
    CMD_CLOSE,
    CMD_HANDLE,
    CMD_NAME,
    CMD_OPEN,
    CMD_OPENDIR,
    CMD_READDIR,
    SFTP_FLAG_CREATE,
    SFTP_FLAG_TRUNC,
    SFTP_FLAG_WRITE,
)
from paramiko.sftp_attr import SFTPAttributes
from paramiko.sftp_file import SFTPFile

from .._copy import (
    PERMISSION_BITS,
    Entry,
    check_local_source,
    check_local_target,
    local_errors,
    remote_join,
    remote_parent,
    upload_tree,
)
from .._download import LocalTarget, download_tree, local_file_target
from .._remote_names import ListingTooLong, count_entry, decode_name
from ._errors import LocalWrites, map_errors

logger = logging.getLogger("pssh.clients.miko")

REMOTE_ENCODING = "utf-8"
"""Encoding of remote paths (paramiko's); names that do not decode round-trip through
``surrogateescape``."""
UPLOAD_CHUNK = 32768
"""Bytes read from a local file per SFTP write (paramiko's own ``putfo`` size)."""


def _raw(path: str) -> bytes:
    """A remote path as paramiko sends it (it takes ``bytes`` as they are)."""
    return path.encode(REMOTE_ENCODING, "surrogateescape")


class SFTPMixin:
    """``copy_file``, ``copy_remote_file`` and ``mkdir`` over SFTP."""

    host: str

    def transport(self) -> paramiko.Transport:
        raise NotImplementedError

    def _make_sftp(self) -> paramiko.SFTPClient:
        """A new SFTP session on the host's connection.

        :raises: :py:class:`pssh.exceptions.SFTPError` when the server
          refuses SFTP.
        """
        transport = self.transport()
        with map_errors(self.host, "starting SFTP session", sftp=True):
            sftp = paramiko.SFTPClient.from_transport(transport)
            if sftp is None:
                raise paramiko.SFTPError("the server did not open an SFTP channel")
            return sftp

    def mkdir(self, sftp: paramiko.SFTPClient, directory: str) -> None:
        """Make directory via SFTP channel.

        Parent paths in the directory are created if they do not exist; a
        directory that is there already is fine.

        :param sftp: SFTP client object
        :type sftp: :py:class:`paramiko.sftp_client.SFTPClient`
        :param directory: Remote directory to create
        :type directory: str
        :raises: :py:class:`pssh.exceptions.SFTPIOError` naming the directory
          and the server's reason when it cannot be created (as the native
          client does: a copy into it could not succeed either).
        """
        self._make_dirs(sftp, directory)

    def _make_dirs(self, sftp: paramiko.SFTPClient, directory: str, mode: int = 0o777) -> bool:
        """Create ``directory`` and missing parents; ``True`` if it was created."""
        missing = []
        path = directory.rstrip("/")
        with map_errors(self.host, f"creating remote directory {directory}", sftp=True):
            while path:
                try:
                    attrs = sftp.stat(path)
                except FileNotFoundError:
                    missing.append(path)
                    path = remote_parent(path)
                    continue
                if not stat.S_ISDIR(attrs.st_mode or 0):
                    raise NotADirectoryError(f"{path} exists and is not a directory")
                break
            made = False
            for path in reversed(missing):
                try:
                    sftp.mkdir(path, mode & PERMISSION_BITS)
                    made = True
                except OSError:
                    # Another host sharing this file system (NFS homes), or another copy,
                    # made it first: a folder there is what was asked for.
                    if not self._is_remote_dir(sftp, path):
                        raise
                    made = False
        return made

    @staticmethod
    def _is_remote_dir(sftp: paramiko.SFTPClient, path: str) -> bool:
        try:
            return stat.S_ISDIR(sftp.stat(path).st_mode or 0)
        except OSError:
            return False

    def copy_file(
        self, local_file: str, remote_file: str, recurse: bool = False, sftp: Any = None
    ) -> None:
        """Copy local file to host via SFTP/SCP

        Copy is done natively using SFTP/SCP version 2 protocol, no scp
        command is used or required. Missing remote directories are created;
        permission bits are kept. The remote file gets them when it is created,
        before any data is written, so it is never readable more widely while
        the copy runs. A folder that another host sharing the same file system
        (NFS homes) creates at the same time is fine. See :doc:`/security`.

        :param local_file: Local filepath to copy to remote host
        :type local_file: str
        :param remote_file: Remote filepath on remote host to copy file to
        :type remote_file: str
        :param recurse: Whether or not to descend into directories recursively.
        :type recurse: bool
        :param sftp: (Optional) SFTP client to use; a new one by default.
        :type sftp: :py:class:`paramiko.sftp_client.SFTPClient`

        :raises: :py:class:`ValueError` when a directory is supplied to
          ``local_file`` and ``recurse`` is not set
        :raises: :py:class:`pssh.exceptions.SFTPError` on SFTP
          initialisation errors
        :raises: :py:class:`pssh.exceptions.SFTPIOError` on I/O errors
          writing via SFTP
        :raises: :py:class:`IOError` on I/O errors reading local files
        :raises: :py:class:`OSError` on OS errors like permission denied
        """
        st = check_local_source(local_file, recurse, self.host)
        with _Session(self, sftp) as session:
            if stat.S_ISDIR(st.st_mode):
                self._send_tree(session, local_file, remote_file, st.st_mode)
            else:
                self._put(session, local_file, remote_file, st.st_mode, make_parents=True)

    def _put(
        self,
        sftp: paramiko.SFTPClient,
        local_file: str,
        remote_file: str,
        mode: int,
        make_parents: bool = False,
    ) -> None:
        """Stream ``local_file`` to ``remote_file`` with permission bits ``mode``; a missing
        remote parent folder is created (only then, as the native client does) when
        ``make_parents`` is set."""
        with local_errors(self.host, "reading local file"):
            fh = open(local_file, "rb")  # noqa: SIM115 - closed below, errors mapped apart
        with fh, map_errors(self.host, f"copying {local_file} to {remote_file}", sftp=True):
            size = 0
            parent = remote_parent(remote_file)
            try:
                remote = self._open_for_write(sftp, remote_file, mode & PERMISSION_BITS)
            except FileNotFoundError:
                if not (make_parents and parent):
                    raise
                self._make_dirs(sftp, parent)
                remote = self._open_for_write(sftp, remote_file, mode & PERMISSION_BITS)
            with remote:
                remote.set_pipelined(True)
                while True:
                    with local_errors(self.host, "reading local file"):
                        data = fh.read(UPLOAD_CHUNK)
                    if not data:
                        break
                    remote.write(data)
                    size += len(data)
            written = sftp.stat(_raw(remote_file)).st_size
            if written != size:
                raise OSError(f"size mismatch in put! {written} != {size}")
        logger.info("Copied local file %s to %s:%s", local_file, self.host, remote_file)

    def _open_for_write(self, sftp: paramiko.SFTPClient, remote_file: str, mode: int) -> SFTPFile:
        """``remote_file`` opened for writing, created with permission bits ``mode`` (the
        server's umask may narrow them) and set to exactly ``mode`` before any data goes in:
        a file that existed with a wider mode is narrowed first, so the data is never readable
        by more than the final mode allows. (paramiko's ``open`` cannot pass a mode.)"""
        attrs = SFTPAttributes()
        attrs.st_mode = mode
        flags = SFTP_FLAG_WRITE | SFTP_FLAG_CREATE | SFTP_FLAG_TRUNC
        kind, msg = sftp._request(CMD_OPEN, sftp._adjust_cwd(_raw(remote_file)), flags, attrs)
        if kind != CMD_HANDLE:
            raise paramiko.SFTPError("Expected handle")
        remote = SFTPFile(sftp, msg.get_binary(), "wb", -1)
        try:
            remote.chmod(mode)
        except OSError:  # not ours to chmod: its owner chose its mode
            logger.warning(
                "Could not set permissions of %s on host %s to %o", remote_file, self.host, mode
            )
        except BaseException:
            remote.close()
            raise
        return remote

    def _send_tree(
        self, sftp: paramiko.SFTPClient, local_dir: str, remote_dir: str, mode: int
    ) -> None:
        def make_dirs(path: str, dir_mode: int) -> bool:
            return self._make_dirs(sftp, path, dir_mode)

        def put(src: str, dst: str, file_mode: int) -> None:
            self._put(sftp, src, dst, file_mode)

        def set_mode(path: str, dir_mode: int) -> None:
            with map_errors(self.host, "setting permissions of remote directories", sftp=True):
                sftp.chmod(path, dir_mode & PERMISSION_BITS)

        upload_tree(self.host, local_dir, remote_dir, mode, make_dirs, make_dirs, put, set_mode)

    def copy_remote_file(
        self, remote_file: str, local_file: str, recurse: bool = False, sftp: Any = None
    ) -> None:
        """Copy remote file to local host via SFTP/SCP

        Copy is done natively using SFTP/SCP version 2, no scp command is
        used or required. Missing local directories are created; permission
        bits are kept. The file is written under a temporary name next to
        ``local_file`` and renamed once complete, so a failed copy leaves no
        partial file.

        The permission bits kept are ``remote mode & 0o777 & ~umask``: never
        setuid, setgid or sticky, never wider than the umask allows. Remote
        names that are not one plain file name (``..``, ``.``, empty, holding
        ``/`` or NUL) are skipped with a warning naming host and name, and a
        symbolic link in the local destination is never followed (the copy
        fails with :py:class:`OSError` naming host and path). See
        :doc:`/security`.

        :param remote_file: Remote filepath to copy from
        :type remote_file: str
        :param local_file: Local filepath where file(s) will be copied to
        :type local_file: str
        :param recurse: Whether or not to recursively copy directories
        :type recurse: bool
        :param sftp: (Optional) SFTP client to use; a new one by default.
        :type sftp: :py:class:`paramiko.sftp_client.SFTPClient`

        :raises: :py:class:`ValueError` when a directory is supplied to
          ``remote_file`` and ``recurse`` is not set
        :raises: :py:class:`pssh.exceptions.SFTPError` on SFTP
          initialisation errors
        :raises: :py:class:`pssh.exceptions.SFTPIOError` on I/O errors
          reading via SFTP (a missing remote file, for example)
        :raises: :py:class:`IOError` on I/O errors creating directories or file
        :raises: :py:class:`OSError` on OS errors like permission denied
        """
        with _Session(self, sftp) as session:
            with map_errors(self.host, f"reading {remote_file}", sftp=True):
                mode = session.stat(_raw(remote_file)).st_mode or 0
            if not stat.S_ISDIR(mode):
                check_local_target(local_file, self.host)
                self._get(session, remote_file, local_file_target(local_file, self.host), mode)
            elif not recurse:
                raise ValueError(
                    f"Remote path {remote_file} on host {self.host} is a directory - "
                    "use recurse=True to copy it"
                )
            else:
                self._recv_tree(session, remote_file, local_file, mode)

    def _get(
        self, sftp: paramiko.SFTPClient, remote_file: str, local: LocalTarget, mode: int
    ) -> None:
        what = f"copying {remote_file} from host {self.host}"
        with local(mode) as fh, map_errors(self.host, what, sftp=True):
            sftp.getfo(_raw(remote_file), LocalWrites(fh, self.host))
        logger.info("Copied %s:%s to local file", self.host, remote_file)

    def _recv_tree(
        self, sftp: paramiko.SFTPClient, remote_dir: str, local_dir: str, mode: int
    ) -> None:
        def listdir(path: str) -> list[Entry]:
            return self._list_remote(sftp, path)

        def realpath(path: str) -> str:
            with map_errors(self.host, f"resolving {path}", sftp=True):
                return sftp.normalize(_raw(path))

        def fetch(remote_file: str, local: LocalTarget, file_mode: int) -> None:
            self._get(sftp, remote_file, local, file_mode)

        download_tree(self.host, remote_dir, local_dir, mode, listdir, realpath, fetch)

    def _list_remote(self, sftp: paramiko.SFTPClient, path: str) -> list[Entry]:
        """Entries of a remote directory; symbolic links are followed, what is neither file
        nor directory is left out, and names a local file system must not see are refused
        with a warning (see :mod:`pssh.clients._remote_names`)."""
        entries = []
        with map_errors(self.host, f"listing {path}", sftp=True):
            for name, attrs in self._read_dir(sftp, path):
                st_mode, is_link = attrs.st_mode or 0, False
                if stat.S_ISLNK(st_mode):
                    is_link = True
                    try:
                        st_mode = sftp.stat(_raw(remote_join(path, name))).st_mode or 0
                    except FileNotFoundError:
                        logger.warning(
                            "Skipping broken symbolic link %s/%s on %s", path, name, self.host
                        )
                        continue
                if stat.S_ISDIR(st_mode) or stat.S_ISREG(st_mode):
                    entries.append(
                        Entry(name, stat.S_ISDIR(st_mode), st_mode & PERMISSION_BITS, is_link)
                    )
        return entries

    def _read_dir(self, sftp: paramiko.SFTPClient, path: str) -> list[tuple[str, SFTPAttributes]]:
        """The checked names of remote folder ``path`` with their attributes, read from the
        raw listing (paramiko's own would decode names strictly and never stop reading a
        listing that does not end).

        :raises: :py:class:`pssh.exceptions.SFTPIOError` past
          :data:`~pssh.clients._remote_names.MAX_DIR_ENTRIES` entries.
        """
        kind, msg = sftp._request(CMD_OPENDIR, sftp._adjust_cwd(_raw(path)))
        if kind != CMD_HANDLE:
            raise paramiko.SFTPError("Expected handle")
        handle = msg.get_binary()
        found: list[tuple[str, SFTPAttributes]] = []
        count = 0
        try:
            while True:
                try:
                    kind, msg = sftp._request(CMD_READDIR, handle)
                except EOFError:
                    break
                if kind != CMD_NAME:
                    raise paramiko.SFTPError("Expected name response")
                for _ in range(msg.get_int()):
                    count = count_entry(count)
                    raw, _longname = msg.get_string(), msg.get_string()
                    attrs = SFTPAttributes._from_msg(msg)
                    name = decode_name(raw, REMOTE_ENCODING, self.host, path)
                    if name is not None:
                        found.append((name, attrs))
        except ListingTooLong as exc:
            raise OSError(f"listing has {exc}") from None
        finally:
            try:
                sftp._request(CMD_CLOSE, handle)
            except Exception:  # noqa: BLE001 - the listing is what matters
                logger.debug("Ignoring error closing %s on host %s", path, self.host)
        return found


class _Session:
    """The SFTP client given by the caller, or a new one closed afterwards."""

    def __init__(self, client: SFTPMixin, sftp: paramiko.SFTPClient | None) -> None:
        self._own = sftp is None
        self._sftp = client._make_sftp() if sftp is None else sftp

    def __enter__(self) -> paramiko.SFTPClient:
        return self._sftp

    def __exit__(self, *exc_info: Any) -> None:
        if self._own:
            self._sftp.close()
