"""The paramiko single-host client has the native client's shape: one small base, parts
composed in (connecting, SFTP), the documented methods delegated with their docs."""

import inspect

from pssh.clients.miko import _connect, _sftp
from pssh.clients.miko.single import SSHClient


def test_miko_client_is_composed_not_stacked():
    assert [cls.__name__ for cls in SSHClient.__mro__] == ["SSHClient", "BaseSSHClient", "object"]
    for part in (_connect.Connector, _sftp.SFTPCopies):
        assert part.__mro__[1:] == (object,)
        assert part.__doc__


def test_miko_delegations_keep_documented_signatures_and_docs():
    for name in ("copy_file", "copy_remote_file", "mkdir"):
        method = getattr(SSHClient, name)
        assert method.__doc__ == getattr(_sftp.SFTPCopies, name).__doc__
        assert list(inspect.signature(method).parameters)[0] == "self"
