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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ssh2 import exceptions as ssh2_exc

from ...exceptions import PSSHError, SCPError, SFTPError, SFTPIOError
from .._copy import LocalTarget, local_errors, remote_parent
from ._errors import map_errors
from ._sftp import RemoteFS, TransferIO, sftp_status, status_text

logger = logging.getLogger(__name__)

SCP_WRITE_CHUNK = 1 << 20
"""Bytes per SCP channel write."""
SCP_READ_CHUNK = 256 << 10
"""Bytes asked for per SCP channel read (libssh2 hands out one SSH packet's worth or so)."""
ABORT_TIMEOUT = 10.0
"""Seconds allowed for closing a channel after a failure when the client has no timeout."""

_OK = b"\0"
_FAILED = (ssh2_exc.SCPProtocolError, ssh2_exc.ChannelError)


class SCPMixin(TransferIO):
    """SCP transfers of one file; mixed into the native single host client."""

    _eagain: Callable[..., Any]
    _make_sftp: Callable[[], Any]

    @contextmanager
    def _scp_errors(self, what: str, path: str) -> Iterator[None]:
        """libssh2 SCP and channel failures as :class:`~pssh.exceptions.SCPError` naming host
        and path; other errors as ``map_errors`` does; local ``OSError`` passes."""
        with map_errors(self.host, f"{what} {path} via SCP", sftp=True):
            try:
                yield
            except _FAILED as exc:
                reason = self.session.last_error() if self.session is not None else ""
                raise SCPError(
                    "Error %s %s on host %s via SCP - %s",
                    what,
                    path,
                    self.host,
                    reason or type(exc).__name__,
                    host=self.host,
                ) from exc

    def _scp_fs(self, sftp: Any, encoding: str) -> RemoteFS:
        return RemoteFS(self, sftp if sftp is not None else self._make_sftp(), encoding)

    # -- sending ------------------------------------------------------------

    def _scp_put(
        self, local_file: str, remote_file: str, st: os.stat_result, sftp: Any = None
    ) -> None:
        """Send ``local_file`` (of status ``st``) to ``remote_file``, keeping its mode and
        times. A missing remote parent directory is created through SFTP."""
        with local_errors(self.host, "reading local file"):
            source = open(local_file, "rb")  # noqa: SIM115 - closed by the with below
        with source:
            channel = self._scp_send_channel(remote_file, st, sftp)
            ok = False
            try:
                with self._scp_errors("sending", remote_file):
                    self._scp_write_from(source, channel, st.st_size, local_file)
                    self._send_all(channel.write, _OK)
                    self._scp_status(channel, "sending", remote_file)
                    self._eagain(channel.send_eof, timeout=self.timeout)
                    self._eagain(channel.wait_eof, timeout=self.timeout)
                ok = True
            finally:
                self._scp_close(channel, remote_file, ok)

    def _scp_write_from(self, source: Any, channel: Any, size: int, local_file: str) -> None:
        send_all, write = self._send_all, channel.write
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

    def _scp_send_channel(self, remote_file: str, st: os.stat_result, sftp: Any) -> Any:
        args = (
            remote_file.encode("utf-8", "surrogateescape"), st.st_mode & 0o777, st.st_size,
            int(st.st_mtime), int(st.st_atime),
        )  # fmt: skip
        try:
            with self._scp_errors("sending", remote_file):
                return self._open(self.session.scp_send64, *args)
        except SCPError as exc:
            parent = remote_parent(remote_file)
            try:
                fs = self._scp_fs(sftp, "utf-8") if parent else None
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
            with self._scp_errors("sending", remote_file):
                return self._open(self.session.scp_send64, *args)

    # -- receiving ----------------------------------------------------------

    def _scp_get(
        self, remote_file: str, local: LocalTarget, encoding: str = "utf-8", sftp: Any = None
    ) -> None:
        """Receive ``remote_file`` into ``local`` (a temp file moved into place once all of it
        arrived, given :func:`~pssh.clients._copy.download_mode` of the announced mode). The
        file name in the remote scp's header is never used."""
        raw = remote_file.encode(encoding, "surrogateescape")
        try:
            with self._scp_errors("receiving", remote_file):
                channel, info = self._open(self.session.scp_recv2, raw)
        except SCPError as exc:
            cause = self._scp_recv_cause(remote_file, encoding, sftp)
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
                self._scp_receive(channel, target, info.st_size, remote_file)
            ok = True
        finally:
            self._scp_close(channel, remote_file, ok)

    def _scp_receive(self, channel: Any, target: Any, size: int, remote_file: str) -> None:
        with self._scp_errors("receiving", remote_file):
            self._scp_read_into(channel, target, size, remote_file)
            self._scp_status(channel, "receiving", remote_file)
            self._send_all(channel.write, _OK)

    def _scp_read_into(self, channel: Any, target: Any, size: int, remote_file: str) -> None:
        recv_chunk, read = self._recv_chunk, channel.read
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

    def _scp_recv_cause(self, remote_file: str, encoding: str, sftp: Any) -> str:
        """Why the remote scp refused to send ``remote_file``, asked through SFTP;
        ``''`` when SFTP cannot tell."""
        try:
            fs = self._scp_fs(sftp, encoding)
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

    def _scp_status(self, channel: Any, what: str, path: str) -> None:
        """Read the status byte that ends a file: zero, or an error line from the remote."""
        recv_chunk, read = self._recv_chunk, channel.read
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

    def _scp_close(self, channel: Any, path: str, ok: bool) -> None:
        """Close an SCP channel. After a failure, errors are ignored and the wait is bounded."""
        timeout = self.timeout if ok or self.timeout else ABORT_TIMEOUT
        try:
            with self._scp_errors("closing channel for", path):
                # libssh2 waits for the close only once the remote's EOF is in.
                self._eagain(channel.close, timeout=timeout)
                self._eagain(channel.wait_eof, timeout=timeout)
                self._eagain(channel.wait_closed, timeout=timeout)
        except PSSHError:
            if ok:
                raise
            logger.debug("Ignoring error closing SCP channel on host %s", self.host, exc_info=True)
