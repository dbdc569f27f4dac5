"""SFTP copy functions of the paramiko single host client.

Remote work goes through paramiko's :class:`paramiko.sftp_client.SFTPClient`
and its errors become :py:class:`pssh.exceptions.SFTPError` /
:py:class:`pssh.exceptions.SFTPIOError`; local files are opened here (so
local errors stay :py:class:`OSError`) and written under a temporary name
that replaces the target only once the copy is complete.
"""

from __future__ import annotations

import logging
import os
import posixpath
import stat
import tempfile
from typing import Any

import paramiko

from ._errors import map_errors

logger = logging.getLogger("pssh.clients.miko")


def _write_local(path: str, fill: Any) -> None:
    """Create ``path`` (and its missing parent folders) from ``fill(fh)``,
    atomically: a failed copy leaves no partial file behind."""
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", dir=parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fill(fh)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class SFTPMixin:
    """``copy_file``, ``copy_remote_file`` and ``mkdir`` over SFTP."""

    host: str

    def _transport(self) -> paramiko.Transport:
        raise NotImplementedError

    def _make_sftp(self) -> paramiko.SFTPClient:
        """A new SFTP session on the host's connection.

        :raises: :py:class:`pssh.exceptions.SFTPError` when the server
          refuses SFTP.
        """
        with map_errors(self.host, "starting SFTP session", sftp=True):
            sftp = paramiko.SFTPClient.from_transport(self._transport())
        if sftp is None:  # pragma: no cover - paramiko returns None only on a closed channel
            with map_errors(self.host, "starting SFTP session", sftp=True):
                raise paramiko.SFTPError("no SFTP channel")
        return sftp

    def mkdir(self, sftp: paramiko.SFTPClient, directory: str) -> None:
        """Make directory via SFTP channel.

        Parent paths in the directory are created if they do not exist.

        :param sftp: SFTP client object
        :type sftp: :py:class:`paramiko.sftp_client.SFTPClient`
        :param directory: Remote directory to create
        :type directory: str

        Catches and logs at error level remote IOErrors on creating directory.
        """
        path = "/" if directory.startswith("/") else ""
        for part in directory.split("/"):
            if not part:
                continue
            path = posixpath.join(path, part)
            try:
                sftp.stat(path)
            except OSError:
                try:
                    sftp.mkdir(path)
                except OSError as exc:
                    logger.error(
                        "Error creating remote directory %s on %s: %s", path, self.host, exc
                    )
                    return

    def copy_file(
        self, local_file: str, remote_file: str, recurse: bool = False, sftp: Any = None
    ) -> None:
        """Copy local file to host via SFTP/SCP

        Copy is done natively using SFTP/SCP version 2 protocol, no scp
        command is used or required.

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
        if os.path.isdir(local_file) and not recurse:
            raise ValueError("Recurse must be true if local_file is a directory.")
        own = sftp is None
        sftp = self._make_sftp() if own else sftp
        try:
            if os.path.isdir(local_file):
                self._put_dir(sftp, local_file, remote_file)
            else:
                parent = posixpath.dirname(remote_file)
                if parent:
                    self.mkdir(sftp, parent)
                self._put(sftp, local_file, remote_file)
        finally:
            if own:
                sftp.close()

    def _put(self, sftp: paramiko.SFTPClient, local_file: str, remote_file: str) -> None:
        what = f"copying {local_file} to {remote_file}"
        with open(local_file, "rb") as fh, map_errors(self.host, what, sftp=True):
            sftp.putfo(fh, remote_file, confirm=True)
        logger.info("Copied local file %s to %s:%s", local_file, self.host, remote_file)

    def _put_dir(self, sftp: paramiko.SFTPClient, local_dir: str, remote_dir: str) -> None:
        self.mkdir(sftp, remote_dir)
        for name in sorted(os.listdir(local_dir)):
            local = os.path.join(local_dir, name)
            remote = posixpath.join(remote_dir, name)
            if os.path.isdir(local):
                self._put_dir(sftp, local, remote)
            else:
                self._put(sftp, local, remote)

    def copy_remote_file(
        self, remote_file: str, local_file: str, recurse: bool = False, sftp: Any = None
    ) -> None:
        """Copy remote file to local host via SFTP/SCP

        Copy is done natively using SFTP/SCP version 2, no scp command is
        used or required.

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
        own = sftp is None
        sftp = self._make_sftp() if own else sftp
        try:
            with map_errors(self.host, f"reading {remote_file}", sftp=True):
                mode = sftp.stat(remote_file).st_mode or 0
            if stat.S_ISDIR(mode):
                if not recurse:
                    raise ValueError("Recurse must be true if remote_file is a directory.")
                self._get_dir(sftp, remote_file, local_file)
            else:
                self._get(sftp, remote_file, local_file)
        finally:
            if own:
                sftp.close()

    def _get(self, sftp: paramiko.SFTPClient, remote_file: str, local_file: str) -> None:
        def fill(fh: Any) -> None:
            with map_errors(self.host, f"copying {remote_file} to {local_file}", sftp=True):
                sftp.getfo(remote_file, fh)

        _write_local(local_file, fill)
        logger.info("Copied %s:%s to local file %s", self.host, remote_file, local_file)

    def _get_dir(self, sftp: paramiko.SFTPClient, remote_dir: str, local_dir: str) -> None:
        os.makedirs(local_dir, exist_ok=True)
        with map_errors(self.host, f"listing {remote_dir}", sftp=True):
            entries = sftp.listdir_attr(remote_dir)
        for entry in sorted(entries, key=lambda e: e.filename):
            remote = posixpath.join(remote_dir, entry.filename)
            local = os.path.join(local_dir, entry.filename)
            if stat.S_ISDIR(entry.st_mode or 0):
                self._get_dir(sftp, remote, local)
            else:
                self._get(sftp, remote, local)
