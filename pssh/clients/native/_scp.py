"""SCP primitives of the native client: one file up or down over an SCP channel.

The SCP protocol (``scp -t`` / ``scp -f`` on the remote side) moves one file per channel:
libssh2 sends or reads the file's header, we move exactly the announced number of bytes,
then exchange the one-byte status that ends every file, so a remote failure (disk full,
a file shrinking while it is read) is reported instead of passing silently.

SCP itself cannot list or create directories; SFTP does that (see
:mod:`pssh.clients.native._transfer`), and is also used to explain a refused transfer
(missing file, directory in the way) when the server offers it.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ssh2 import exceptions as ssh2_exc

from ...exceptions import PSSHError, SCPError, SFTPError, SFTPIOError
from .._copy import check_local_source, check_local_target, local_errors, remote_parent
from .._download import LocalTarget, download_tree, local_file_target
from ._connection import Part, SSHConnection, releases_on_error
from ._errors import map_errors
from ._sftp import RemoteFS, sftp_status, status_text
from ._transfer import SFTPTransfers

logger = logging.getLogger(__name__)

SCP_WRITE_CHUNK = 1 << 20
"""Bytes per SCP channel write."""
SCP_READ_CHUNK = 256 << 10
"""Bytes asked for per SCP channel read (libssh2 hands out one SSH packet's worth or so)."""
ABORT_TIMEOUT = 10.0
"""Seconds allowed for closing a channel after a failure when the client has no timeout."""

_OK = b"\0"
_FAILED = (ssh2_exc.SCPProtocolError, ssh2_exc.ChannelError)


class SCPTransfers(Part):
    """SCP methods of the native single host client: one file per SCP channel, and the
    recursive copies, whose directories are listed and made through ``sftp``.

    :param host: Host name, for messages.
    :param sftp: The client's SFTP part (:class:`~._transfer.SFTPTransfers`).
    """

    def __init__(self, host: str, sftp: SFTPTransfers) -> None:
        super().__init__(host)
        self.sftp = sftp

    @releases_on_error
    def scp_send(
        self, local_file: str, remote_file: str, recurse: bool = False, sftp: Any = None
    ) -> None:
        """Copy local file to host via SCP.

        Note - Directories are created via SFTP when ``recurse`` is enabled - SCP lacks
        directory create support. Enabling recursion therefore involves creating an extra SFTP
        channel and requires SFTP support on the server. A missing parent directory of a
        single file is created the same way.

        File modes and times are kept. A ``remote_file`` that is an existing directory
        receives the file inside it, as OpenSSH's ``scp -t`` does. The remote scp creates a
        new file with the local file's mode from its first byte (an existing file keeps its
        own mode, as with OpenSSH's ``scp``).

        :param local_file: Local filepath to copy to remote host
        :type local_file: str
        :param remote_file: Remote filepath on remote host to copy file to
        :type remote_file: str
        :param recurse: Whether or not to descend into directories recursively.
        :type recurse: bool
        :param sftp: (Optional) SFTP session for creating directories.
        :type sftp: :py:class:`ssh2.sftp.SFTP`

        :raises: :py:class:`ValueError` when a directory is supplied to ``local_file`` and
          ``recurse`` is not set
        :raises: :py:class:`pssh.exceptions.SCPError` on errors copying the file, naming host
          and path
        :raises: :py:class:`pssh.exceptions.SFTPError` on SFTP initialisation errors
        :raises: :py:class:`pssh.exceptions.SFTPIOError` on errors creating directories
        :raises: :py:class:`IOError` on local file IO errors
        :raises: :py:class:`OSError` on local OS errors like permission denied
        """
        st = check_local_source(local_file, recurse, self.host)
        conn = self.connection()
        if not stat.S_ISDIR(st.st_mode):
            self.put(conn, local_file, remote_file, st, sftp)
            return
        fs = self.sftp.fs(sftp)

        def put(src: str, dst: str, mode: int) -> None:
            with local_errors(self.host, "reading local file"):
                src_st = os.stat(src)
            self.put(conn, src, dst, src_st, fs.sftp)

        self.sftp.send_tree(fs, local_file, remote_file, st.st_mode, put)

    @releases_on_error
    def scp_recv(
        self,
        remote_file: str,
        local_file: str,
        recurse: bool = False,
        sftp: Any = None,
        encoding: str = "utf-8",
    ) -> None:
        """Copy remote file to local host via SCP.

        Note - Remote directory listings are gathered via SFTP when ``recurse`` is enabled -
        SCP lacks directory list support. Enabling recursion therefore involves creating an
        extra SFTP channel and requires SFTP support on the server.

        Missing local directories are created and the file's mode is kept. Exactly the size
        the remote scp announced is read into a temp file next to ``local_file``, renamed to
        it once complete: a failed or interrupted copy never leaves a partial ``local_file``.

        The mode kept is ``remote mode & 0o777 & ~umask`` (never setuid, setgid or sticky);
        the file name the remote scp announces is never used. Recursive copies check remote
        names and never follow a local symbolic link as
        :py:meth:`copy_remote_file` does. See :doc:`/security`.

        :param remote_file: Remote filepath to copy from
        :type remote_file: str
        :param local_file: Local filepath where file(s) will be copied to
        :type local_file: str
        :param recurse: Whether or not to recursively copy directories
        :type recurse: bool
        :param sftp: (Optional) SFTP session for listing directories.
        :type sftp: :py:class:`ssh2.sftp.SFTP`
        :param encoding: Encoding to use for file paths when recursion is enabled.
        :type encoding: str

        :raises: :py:class:`pssh.exceptions.SCPError` when a directory is supplied to
          ``remote_file`` and ``recurse`` is not set.
        :raises: :py:class:`pssh.exceptions.SCPError` on errors copying file, naming host,
          path and (when SFTP can tell) the reason.
        :raises: :py:class:`IOError` on local file IO errors.
        :raises: :py:class:`OSError` on local OS errors like permission denied.
        """
        conn = self.connection()
        if recurse:
            fs = self.sftp.fs(sftp, encoding)
            attrs = fs.stat(remote_file)
            if attrs is not None and stat.S_ISDIR(attrs.permissions):

                def get(src: str, local: LocalTarget, mode: int) -> None:
                    self.get(conn, src, local, encoding, fs.sftp)

                download_tree(self.host, remote_file, local_file, attrs.permissions, fs.listdir,
                              fs.realpath, get)  # fmt: skip
                return
            sftp = fs.sftp
        check_local_target(local_file, self.host)
        self.get(conn, remote_file, local_file_target(local_file, self.host), encoding, sftp)

    @contextmanager
    def _scp_errors(self, conn: SSHConnection, what: str, path: str) -> Iterator[None]:
        """libssh2 SCP and channel failures as :class:`~pssh.exceptions.SCPError` naming host
        and path; other errors as ``map_errors`` does; local ``OSError`` passes."""
        with map_errors(self.host, f"{what} {path} via SCP", sftp=True):
            try:
                yield
            except _FAILED as exc:
                reason = conn.session.last_error()
                raise SCPError(
                    "Error %s %s on host %s via SCP - %s",
                    what,
                    path,
                    self.host,
                    reason or type(exc).__name__,
                    host=self.host,
                ) from exc

    def _scp_fs(self, conn: SSHConnection, sftp: Any, encoding: str) -> RemoteFS:
        return RemoteFS(conn, sftp if sftp is not None else self.sftp.make_sftp(), encoding)

    # -- sending ------------------------------------------------------------

    def put(
        self,
        conn: SSHConnection,
        local_file: str,
        remote_file: str,
        st: os.stat_result,
        sftp: Any = None,
    ) -> None:
        """Send ``local_file`` (of status ``st``) to ``remote_file``, keeping its mode and
        times. A missing remote parent directory is created through SFTP."""
        with local_errors(self.host, "reading local file"):
            source = open(local_file, "rb")  # noqa: SIM115 - closed by the with below
        with source:
            channel = self._scp_send_channel(conn, remote_file, st, sftp)
            ok = False
            try:
                with self._scp_errors(conn, "sending", remote_file):
                    self._scp_write_from(conn, source, channel, st.st_size, local_file)
                    conn.send_all(channel.write, _OK)
                    self._scp_status(conn, channel, "sending", remote_file)
                    conn.eagain(channel.send_eof, timeout=conn.timeout)
                    conn.eagain(channel.wait_eof, timeout=conn.timeout)
                ok = True
            finally:
                self._scp_close(conn, channel, remote_file, ok)

    def _scp_write_from(
        self, conn: SSHConnection, source: Any, channel: Any, size: int, local_file: str
    ) -> None:
        send_all, write = conn.send_all, channel.write
        remaining = size
        while remaining:
            with local_errors(self.host, "reading local file"):
                data = source.read(min(SCP_WRITE_CHUNK, remaining))
            if not data:
                raise SCPError(
                    "Local file %s shrank to %s bytes while sending it to host %s (%s announced)",
                    local_file,
                    size - remaining,
                    self.host,
                    size,
                    host=self.host,
                )
            send_all(write, data)
            remaining -= len(data)

    def _scp_send_channel(
        self, conn: SSHConnection, remote_file: str, st: os.stat_result, sftp: Any
    ) -> Any:
        args = (
            remote_file.encode("utf-8", "surrogateescape"), st.st_mode & 0o777, st.st_size,
            int(st.st_mtime), int(st.st_atime),
        )  # fmt: skip
        try:
            with self._scp_errors(conn, "sending", remote_file):
                return conn.open(conn.session.scp_send64, *args)
        except SCPError as exc:
            parent = remote_parent(remote_file)
            try:
                fs = self._scp_fs(conn, sftp, "utf-8") if parent else None
                missing = fs is not None and not fs.is_dir(parent)
            except (SFTPError, SCPError):
                raise exc from exc.__cause__
            if fs is None or not missing:
                raise SCPError(
                    "Error sending %s to host %s via SCP - the remote scp refused to write it "
                    "(check the permissions of %s)",
                    remote_file,
                    self.host,
                    parent or ".",
                    host=self.host,
                ) from exc.__cause__
            fs.make_dirs(parent)
            with self._scp_errors(conn, "sending", remote_file):
                return conn.open(conn.session.scp_send64, *args)

    # -- receiving ----------------------------------------------------------

    def get(
        self,
        conn: SSHConnection,
        remote_file: str,
        local: LocalTarget,
        encoding: str = "utf-8",
        sftp: Any = None,
    ) -> None:
        """Receive ``remote_file`` into ``local`` (a temp file moved into place once all of it
        arrived, given :func:`~pssh.clients._download.download_mode` of the announced mode). The
        file name in the remote scp's header is never used."""
        raw = remote_file.encode(encoding, "surrogateescape")
        try:
            with self._scp_errors(conn, "receiving", remote_file):
                channel, info = conn.open(conn.session.scp_recv2, raw)
        except SCPError as exc:
            cause = self._scp_recv_cause(conn, remote_file, encoding, sftp)
            if not cause:
                raise
            raise SCPError(
                "Error receiving %s from host %s via SCP - %s",
                remote_file,
                self.host,
                cause,
                host=self.host,
            ) from exc.__cause__
        ok = False
        try:
            with local(info.st_mode) as target:
                self._scp_receive(conn, channel, target, info.st_size, remote_file)
            ok = True
        finally:
            self._scp_close(conn, channel, remote_file, ok)

    def _scp_receive(
        self, conn: SSHConnection, channel: Any, target: Any, size: int, remote_file: str
    ) -> None:
        with self._scp_errors(conn, "receiving", remote_file):
            self._scp_read_into(conn, channel, target, size, remote_file)
            self._scp_status(conn, channel, "receiving", remote_file)
            conn.send_all(channel.write, _OK)

    def _scp_read_into(
        self, conn: SSHConnection, channel: Any, target: Any, size: int, remote_file: str
    ) -> None:
        recv_chunk, read = conn.recv, channel.read
        remaining = size
        while remaining:
            data = recv_chunk(read, min(SCP_READ_CHUNK, remaining))
            if not data:
                raise SCPError(
                    "Error receiving %s from host %s via SCP - channel closed after %s of %s bytes",
                    remote_file,
                    self.host,
                    size - remaining,
                    size,
                    host=self.host,
                )
            target.write(data)
            remaining -= len(data)

    def _scp_recv_cause(
        self, conn: SSHConnection, remote_file: str, encoding: str, sftp: Any
    ) -> str:
        """Why the remote scp refused to send ``remote_file``, asked through SFTP;
        ``''`` when SFTP cannot tell."""
        try:
            fs = self._scp_fs(conn, sftp, encoding)
            attrs = fs.stat(remote_file)
            if attrs is None:
                return "no such file or directory"
            if stat.S_ISDIR(attrs.permissions):
                return "is a directory (use recurse=True to copy directories)"
            code = fs.read_refused(remote_file)
        except SFTPIOError as exc:
            code = sftp_status(exc)
        except PSSHError:
            return ""
        return status_text(code) if code else ""

    # -- both ---------------------------------------------------------------

    def _scp_status(self, conn: SSHConnection, channel: Any, what: str, path: str) -> None:
        """Read the status byte that ends a file: zero, or an error line from the remote."""
        recv_chunk, read = conn.recv, channel.read
        status = recv_chunk(read, 1)
        if status == _OK:
            return
        message = b""
        while status and not message.endswith(b"\n") and len(message) < 1024:
            more = recv_chunk(read, 1024 - len(message))
            if not more:
                break
            message += more
        text = message.decode("utf-8", "replace").strip() or "connection closed without status"
        raise SCPError(
            "Error %s %s on host %s via SCP - remote scp: %s",
            what,
            path,
            self.host,
            text,
            host=self.host,
        )

    def _scp_close(self, conn: SSHConnection, channel: Any, path: str, ok: bool) -> None:
        """Close an SCP channel. After a failure, errors are ignored and the wait is bounded."""
        timeout = conn.timeout if ok or conn.timeout else ABORT_TIMEOUT
        try:
            with self._scp_errors(conn, "closing channel for", path):
                # libssh2 waits for the close only once the remote's EOF is in.
                conn.eagain(channel.close, timeout=timeout)
                conn.eagain(channel.wait_eof, timeout=timeout)
                conn.eagain(channel.wait_closed, timeout=timeout)
        except PSSHError:
            if ok:
                raise
            logger.debug("Ignoring error closing SCP channel on host %s", self.host, exc_info=True)
