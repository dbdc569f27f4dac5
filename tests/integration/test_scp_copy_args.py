"""Per-host SCP copies of the native parallel client (parallel-ssh 2.x ``copy_args``).

``scp_send``/``scp_recv`` format their paths per host with ``copy_args`` exactly as
``copy_file``/``copy_remote_file`` do; ``scp_recv`` appends ``<suffix_separator><host>`` to
the local name only when no ``copy_args`` are given. The argument order is 2.x's.
"""

from __future__ import annotations

import os

import gevent
import pytest
from transfer_helpers import MiB, digest, write_random, write_remote  # noqa: E402

from pssh.clients.native.parallel import ParallelSSHClient

pytestmark = pytest.mark.integration


@pytest.fixture
def pclient(sshd):
    c = ParallelSSHClient(list(sshd.hosts[:3]), port=sshd.port, user=sshd.user,
                          pkey=sshd.pkey, num_retries=1, allow_agent=False, timeout=60)  # fmt: skip
    yield c
    for host_client in c.host_clients.values():
        host_client.disconnect()


def _join(greenlets):
    gevent.joinall(greenlets, raise_error=True)


def test_scp_send_tuple_copy_args_per_host(pclient, remote_dir, tmp_path):
    hosts = pclient.hosts
    sources = {}
    for index, host in enumerate(hosts):  # a different local file per host too
        sources[host] = write_random(str(tmp_path / f"src{index}"), MiB + index)
    args = [(index,) for index in range(len(hosts))]  # both paths take each host's tuple
    _join(pclient.scp_send(str(tmp_path / "src%s"), os.path.join(remote_dir, "dst%s"), False, args))
    assert sorted(os.listdir(remote_dir)) == [f"dst{index}" for index in range(len(hosts))]
    for index, host in enumerate(hosts):
        assert digest(os.path.join(remote_dir, f"dst{index}")) == sources[host]


def test_scp_recv_copy_args_names_the_local_file(pclient, sshd, remote_dir, tmp_path):
    hosts = pclient.hosts
    expected = {}
    for host in hosts:
        expected[host] = write_remote(sshd, os.path.join(remote_dir, f"file_{host}"), 4096)
    args = [{"host": host} for host in hosts]
    # 2.x order: (remote_file, local_file, recurse, copy_args, suffix_separator)
    _join(pclient.scp_recv(os.path.join(remote_dir, "file_%(host)s"),
                           str(tmp_path / "got_%(host)s"), False, args, "-"))  # fmt: skip
    assert sorted(os.listdir(tmp_path)) == sorted(f"got_{host}" for host in hosts)
    for host in hosts:
        assert digest(str(tmp_path / f"got_{host}")) == expected[host]


def test_scp_recv_suffix_separator(pclient, sshd, remote_dir, tmp_path):
    source = write_remote(sshd, os.path.join(remote_dir, "same"), 1000)
    _join(pclient.scp_recv(os.path.join(remote_dir, "same"), str(tmp_path / "copy"),
                           suffix_separator="--"))  # fmt: skip
    assert sorted(os.listdir(tmp_path)) == sorted(f"copy--{host}" for host in pclient.hosts)
    for host in pclient.hosts:
        assert digest(str(tmp_path / f"copy--{host}")) == source
