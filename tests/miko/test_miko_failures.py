"""The paramiko client's classification of paramiko and socket errors into the failure
table's kinds (pssh.clients.miko._errors)."""

from __future__ import annotations

import errno
import socket

import paramiko
import pytest

from pssh import exceptions
from pssh.clients._copy import local_error
from pssh.clients._failures import Failure
from pssh.clients.miko import _errors


def banner_timeout() -> paramiko.SSHException:
    try:
        try:
            raise socket.timeout()
        except socket.timeout:
            raise paramiko.SSHException("Error reading SSH protocol banner") from None
    except paramiko.SSHException as exc:
        exc.__context__ = socket.timeout()
        return exc


@pytest.mark.parametrize(
    ("exc", "sftp", "kind"),
    [
        (paramiko.AuthenticationException("no"), False, Failure.AUTH),
        (paramiko.SSHException("kex failed"), False, Failure.PROTOCOL),
        (banner_timeout(), False, Failure.CONNECT_TIMEOUT),
        (EOFError(), False, Failure.CONNECTION_LOST),
        (socket.gaierror(-2, "Name or service not known"), False, Failure.UNKNOWN_NAME),
        (socket.timeout(), False, Failure.CONNECT_TIMEOUT),
        (FileNotFoundError(errno.ENOENT, "No such file"), True, Failure.REMOTE_MISSING),
        (PermissionError(errno.EACCES, "Permission denied"), True, Failure.REMOTE_DENIED),
        (OSError(errno.ENOSPC, "Failure"), True, Failure.REMOTE_IO),
        (ConnectionResetError(errno.ECONNRESET, "reset"), False, Failure.CONNECTION_LOST),
    ],
)
def test_classify(exc, sftp, kind):
    assert _errors.classify(exc, sftp=sftp) is kind


def test_local_file_errors_pass_as_they_are():
    local = local_error(OSError(errno.ENOSPC, "No space left on device", "/x"), "web-1", "writing")
    assert _errors.classify(local, sftp=True) is None
    with pytest.raises(OSError) as info, _errors.map_errors("web-1", "copying", sftp=True):
        raise local
    assert info.value is local and not isinstance(local, exceptions.PSSHError)


def test_local_writes_marks_write_errors():
    class Full:
        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError) as info:
        _errors.LocalWrites(Full(), "web-1").write(b"data")
    assert info.value.host == "web-1" and "web-1" in str(info.value)
    assert _errors.classify(info.value, sftp=True) is None


def test_protocol_error_is_ssh_exception_and_session_error():
    connecting = _errors.map_errors("web-1", "connecting", port=22)
    with pytest.raises(exceptions.SSHProtocolError) as info, connecting:
        raise paramiko.SSHException("kex failed")
    assert isinstance(info.value, exceptions.SSHException)
    assert isinstance(info.value, exceptions.SessionError)
    assert info.value.args == (
        "Error connecting on host %s:%s - %s",
        "web-1",
        22,
        "SSHException: kex failed",
    )
