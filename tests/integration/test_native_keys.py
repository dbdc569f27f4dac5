"""The native client with keys given in memory: a paramiko key object (1.8.0's docs pass
one from :func:`pssh.utils.load_private_key`) is exported in memory, never to a file."""

from __future__ import annotations

import builtins
import os

import pytest

from pssh.clients.native import ParallelSSHClient, SSHClient
from pssh.utils import load_private_key

pytestmark = pytest.mark.integration

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND


@pytest.fixture
def file_writes(monkeypatch):
    """Paths opened for writing from Python while the test runs."""
    writes: list = []
    real_open, real_os_open = builtins.open, os.open

    def spy_open(file, mode="r", *args, **kwargs):
        if any(flag in mode for flag in "wax+"):
            writes.append(file)
        return real_open(file, mode, *args, **kwargs)

    def spy_os_open(path, flags, *args, **kwargs):
        if flags & _WRITE_FLAGS:
            writes.append(path)
        return real_os_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(os, "open", spy_os_open)
    return writes


def test_key_object_is_never_written_to_a_file(sshd, file_writes):
    pkey = load_private_key(sshd.pkey)
    client = SSHClient(sshd.host, port=sshd.port, user=sshd.user, pkey=pkey,
                       allow_agent=False, num_retries=1, host_key_policy="off")  # fmt: skip
    _channel, _host, stdout, _stderr, _stdin = client.run_command("whoami")
    assert list(stdout) == [sshd.user]
    client.disconnect()
    assert file_writes == []


def test_parallel_key_objects_for_hosts_and_proxy_never_written(sshd, proxy_sshd, file_writes):
    client = ParallelSSHClient(
        list(sshd.hosts[:2]), port=sshd.port, user=sshd.user, pkey=load_private_key(sshd.pkey),
        proxy_host=proxy_sshd.host, proxy_port=proxy_sshd.port, proxy_user=proxy_sshd.user,
        proxy_pkey=load_private_key(proxy_sshd.pkey), allow_agent=False, num_retries=1,
        host_key_policy="off",
    )  # fmt: skip
    output = client.run_command("whoami")
    client.join(output)
    assert [list(out.stdout) for out in output.values()] == [[sshd.user]] * 2
    assert file_writes == []
