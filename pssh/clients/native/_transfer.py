"""File transfer for the native client: ``copy_file`` / ``copy_remote_file`` over SFTP,
``scp_send`` / ``scp_recv`` over SCP, ``mkdir``, and the recursive copies behind them.

A recursive copy walks the source tree (:func:`pssh.clients._copy.walk_tree`), creates each
directory before what it holds, copies files one at a time over the client's session, and
gives the directories it created their source's permission bits at the end (so a read-only
directory can still be filled first). Remote directories are always listed and created
through SFTP, also for SCP, which has no way to do either.

:class:`SFTPTransfers` is the SFTP part of the native client; :class:`~._scp.SCPTransfers`
its SCP part, which uses this one for directories. Both work on the client's current
:class:`~._connection.SSHConnection`, given with :meth:`attach`.
"""

from __future__ import annotations

import stat
from collections.abc import Callable
from typing import Any

from ...exceptions import SessionError, SFTPError, Timeout
from .._copy import check_local_source, check_local_target, remote_join, upload_tree
from .._download import download_tree, local_file_target
from ._connection import Part, releases_on_error
from ._errors import map_errors
from ._sftp import FX_NO_SUCH_FILE, RemoteFS, remote_error

CopyFunc = Callable[[str, str, int], None]


class SFTPTransfers(Part):
    """SFTP methods of the native single host client.

    :param host: Host name, for messages.
    """

    def __init__(self, host: str) -> None:
        super().__init__(host)

    def make_sftp(self) -> Any:
        """A new SFTP session on this client's SSH session.

        :raises: :py:class:`pssh.exceptions.SFTPError` when the server refuses SFTP.
        :rtype: :py:class:`ssh2.sftp.SFTP`
        """
        conn = self.connection()
        try:
            with map_errors(self.host, "starting SFTP session", sftp=True):
                return conn.open(conn.session.sftp_init)
        except SessionError as exc:
            raise SFTPError(
                "Error starting SFTP session on host %s - %s", self.host, exc.__cause__ or exc,
                host=self.host,
            ) from exc  # fmt: skip
        except Timeout as exc:
            # libssh2 keeps waiting when the server's SFTP process dies before answering.
            raise SFTPError(
                "Error starting SFTP session on host %s - no answer within %s seconds "
                "(is SFTP working on the server?)", self.host, conn.timeout, host=self.host,
            ) from exc  # fmt: skip

    def fs(self, sftp: Any, encoding: str = "utf-8") -> RemoteFS:
        """The remote file system through ``sftp``, or a new SFTP session when ``None``."""
        conn = self.connection()
        return RemoteFS(conn, sftp if sftp is not None else self.make_sftp(), encoding)

    def mkdir(self, sftp: Any, directory: str, _parent_path: str | None = None) -> None:
        """Make directory via SFTP channel.

        Parent paths in the directory are created if they do not exist; a directory that is
        there already is fine.

        :param sftp: SFTP client object
        :type sftp: :py:class:`ssh2.sftp.SFTP`
        :param directory: Remote directory to create
        :type directory: str
        :param _parent_path: (Internal) directory ``directory`` is relative to.
        :type _parent_path: str

        :raises: :py:class:`pssh.exceptions.SFTPIOError` naming the directory and the
          server's reason when it cannot be created (or a file is in its place): a copy
          into it could not succeed, so the error is not swallowed.
        """
        if _parent_path:
            directory = remote_join(_parent_path, directory)
        self.fs(sftp).make_dirs(directory)

    # -- SFTP -----------------------------------------------------------------

    @releases_on_error
    def copy_file(
        self,
        local_file: str,
        remote_file: str,
        recurse: bool = False,
        sftp: Any = None,
        _dir: str | None = None,
    ) -> None:
        """Copy local file to host via SFTP.

        Missing remote directories are created; the file's permission bits are kept. The
        remote file gets them when it is created, before any data is written, so it is never
        readable more widely while the copy runs (see :doc:`/security`).

        Up to 2 MiB of the file are in flight at a time, topped up as the server acknowledges
        them, so links with long round trips (proxies, far hosts) stay busy; the client's
        ``timeout`` is the longest the copy may go without any acknowledgement.

        :param local_file: Local filepath to copy to remote host
        :type local_file: str
        :param remote_file: Remote filepath on remote host to copy file to
        :type remote_file: str
        :param recurse: Whether or not to descend into directories recursively.
        :type recurse: bool
        :param sftp: (Optional) SFTP session to use; a new one by default.
        :type sftp: :py:class:`ssh2.sftp.SFTP`
        :param _dir: (Internal) set when the remote parent directory is known to exist.

        :raises: :py:class:`ValueError` when a directory is supplied to ``local_file`` and
          ``recurse`` is not set
        :raises: :py:class:`pssh.exceptions.SFTPError` on SFTP initialisation errors
        :raises: :py:class:`pssh.exceptions.SFTPIOError` on I/O errors writing via SFTP
          (naming host, path and the server's reason)
        :raises: :py:class:`IOError` on local file IO errors
        :raises: :py:class:`OSError` on local OS errors like permission denied
        """
        st = check_local_source(local_file, recurse, self.host)
        fs = self.fs(sftp)
        if stat.S_ISDIR(st.st_mode):

            def put(src: str, dst: str, mode: int) -> None:
                fs.put(src, dst, mode, make_parents=False)

            self.send_tree(fs, local_file, remote_file, st.st_mode, put)
        else:
            fs.put(local_file, remote_file, st.st_mode, make_parents=_dir is None)

    @releases_on_error
    def copy_remote_file(
        self,
        remote_file: str,
        local_file: str,
        recurse: bool = False,
        sftp: Any = None,
        encoding: str = "utf-8",
    ) -> None:
        """Copy remote file to local host via SFTP.

        Missing local directories are created; the file's permission bits are kept. The file
        is written to a temp file next to ``local_file`` and renamed to it once complete, so a
        failed or interrupted copy never leaves a partial ``local_file``.

        The permission bits kept are ``remote mode & 0o777 & ~umask``: never setuid, setgid or
        sticky, never wider than the umask allows. Remote names that are not one plain file
        name once decoded with ``encoding`` (``..``, ``.``, empty, holding ``/`` or NUL) are
        skipped with a warning naming host and name, and a symbolic link in the local
        destination is never followed (the copy fails with :py:class:`OSError` naming host and
        path). See :doc:`/security`.

        :param remote_file: Remote filepath to copy from
        :type remote_file: str
        :param local_file: Local filepath where file(s) will be copied to
        :type local_file: str
        :param recurse: Whether or not to recursively copy directories
        :type recurse: bool
        :param sftp: (Optional) SFTP session to use; a new one by default.
        :type sftp: :py:class:`ssh2.sftp.SFTP`
        :param encoding: Encoding to use for file paths.
        :type encoding: str

        :raises: :py:class:`ValueError` when a directory is supplied to ``remote_file`` and
          ``recurse`` is not set
        :raises: :py:class:`pssh.exceptions.SFTPError` on SFTP initialisation errors
        :raises: :py:class:`pssh.exceptions.SFTPIOError` on I/O errors reading from SFTP
          (naming host, path and the server's reason)
        :raises: :py:class:`IOError` on local file IO errors
        :raises: :py:class:`OSError` on local OS errors like permission denied
        """
        fs = self.fs(sftp, encoding)
        attrs = fs.stat(remote_file)
        if attrs is None:
            raise remote_error(
                FX_NO_SUCH_FILE, "Error copying %s from host %s - no such file or directory",
                remote_file, self.host, host=self.host,
            )  # fmt: skip
        if stat.S_ISDIR(attrs.permissions):
            if not recurse:
                raise ValueError(
                    f"Remote path {remote_file} on host {self.host} is a directory - "
                    "use recurse=True to copy it"
                )
            download_tree(self.host, remote_file, local_file, attrs.permissions, fs.listdir,
                          fs.realpath, fs.get)  # fmt: skip
            return
        check_local_target(local_file, self.host)
        fs.get(remote_file, local_file_target(local_file, self.host), attrs.permissions)

    # -- recursion ------------------------------------------------------------

    def send_tree(
        self, fs: RemoteFS, local_dir: str, remote_dir: str, mode: int, put: CopyFunc
    ) -> None:
        """Copy the contents of ``local_dir`` into ``remote_dir`` (made with ``mode``),
        creating directories through ``fs`` and each file with ``put(src, dst, mode)``."""
        upload_tree(self.host, local_dir, remote_dir, mode, fs.make_dirs, fs.make_dir, put,
                    fs.set_mode)  # fmt: skip
