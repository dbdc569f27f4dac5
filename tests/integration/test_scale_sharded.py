"""Sharded runs (pssh.scale) against the loopback sshd hosts: the merged result equals
an unsharded run's, failed hosts included, on local processes and on a Dask cluster."""

from __future__ import annotations

import os
import pickle

import pytest

from pssh.clients import ParallelSSHClient
from pssh.exceptions import ConnectionErrorException, HostArgumentException
from pssh.scale import CUT_MARKER, copy_file_sharded, run_sharded
from pssh.summary import gather, summarize

pytestmark = pytest.mark.integration

REFUSED = "127.0.0.9"  # no server listens there on the test port
COMMAND = "echo out %s; echo err %s >&2; test %s != 127.0.0.4"


def _client_kwargs(sshd):
    return {"user": sshd.user, "port": sshd.port, "pkey": sshd.pkey, "num_retries": 1}


def _hosts(sshd):
    return [*sshd.hosts, REFUSED]


def _unsharded(sshd, hosts, command, **kwargs):
    client = ParallelSSHClient(hosts, **_client_kwargs(sshd))
    try:
        output = client.run_command(command, stop_on_errors=False, **kwargs)
        client.join(output)
        groups = gather(output)  # reads the lines, then hands them out again
        view = {host: _view(out) for host, out in output.items()}
        return view, summarize(output), groups
    finally:
        client.disconnect()


def _view(out):
    exc = out.exception
    return (
        out.host, list(out.stdout or ()), list(out.stderr or ()), out.exit_code,
        None if exc is None else (type(exc), exc.args, str(exc), getattr(exc, "host", None)),
    )  # fmt: skip


def _same_as_unsharded(sshd, output, **kwargs):
    hosts = _hosts(sshd)
    expected, summary, groups = _unsharded(sshd, hosts, COMMAND, **kwargs)
    assert list(output) == hosts
    assert {host: _view(out) for host, out in output.items()} == expected
    got = output.summary()
    assert (got.succeeded, dict(got.counts)) == (summary.succeeded, dict(summary.counts))
    assert {h: str(c) for h, c in got.failed.items()} == {
        h: str(c) for h, c in summary.failed.items()
    }
    assert got.lines() == summary.lines()
    assert gather(output) == groups
    # the failures as an unsharded run reports them
    assert isinstance(output[REFUSED].exception, ConnectionErrorException)
    assert output[REFUSED].exception.host == REFUSED
    assert output["127.0.0.4"].exit_code == 1
    assert output["127.0.0.2"].stdout == ["out 127.0.0.2"]


def test_local_processes_match_an_unsharded_run(sshd):
    host_args = [(h, h, h) for h in _hosts(sshd)]
    output = run_sharded(
        _hosts(sshd), COMMAND, shards=2, client_kwargs=_client_kwargs(sshd),
        host_args=host_args, stop_on_errors=False,
    )  # fmt: skip
    _same_as_unsharded(sshd, output, host_args=host_args)
    assert output.shards == [_hosts(sshd)[:3], _hosts(sshd)[3:]]
    assert [out.shard for out in output.values()] == [0, 0, 0, 1, 1]


def test_dask_local_cluster_matches_an_unsharded_run(sshd):
    distributed = pytest.importorskip("distributed")  # installed by the test extra
    host_args = [(h, h, h) for h in _hosts(sshd)]
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
    ) as cluster, distributed.Client(cluster) as client:  # fmt: skip
        output = run_sharded(
            _hosts(sshd), COMMAND, shards=2, executor=client,
            client_kwargs=_client_kwargs(sshd), host_args=host_args, stop_on_errors=False,
        )  # fmt: skip
        workers = client.run(os.getpid)
    _same_as_unsharded(sshd, output, host_args=host_args)
    assert len(workers) == 2 and os.getpid() not in workers.values()


def test_stop_on_errors_raises_the_first_failure_after_all_shards(sshd):
    with pytest.raises(ConnectionErrorException) as caught:
        run_sharded([REFUSED, *sshd.hosts], "true", shards=2, client_kwargs=_client_kwargs(sshd))
    assert caught.value.host == REFUSED
    with pytest.raises(HostArgumentException):
        run_sharded(list(sshd.hosts), "echo %s", host_args=["a"], client_kwargs={})
    with pytest.raises(TypeError, match="not enough arguments"):
        run_sharded(list(sshd.hosts), "echo %s %s", host_args=list(sshd.hosts))
    with pytest.raises(TypeError, match="callbacks"):
        run_sharded(list(sshd.hosts), "true", on_line=print)
    with pytest.raises(TypeError, match="no_such_option"):
        run_sharded(list(sshd.hosts), "true", no_such_option=1)


def test_output_over_the_cap_is_cut_and_marked_and_files_keep_it_whole(sshd, tmp_path):
    hosts = list(sshd.hosts[:2])
    output = run_sharded(
        hosts, "seq 1 1000; echo late >&2", shards=2, client_kwargs=_client_kwargs(sshd),
        max_output_bytes=100, output_dir=str(tmp_path / "new"), stop_on_errors=False,
    )  # fmt: skip
    for index, host in enumerate(hosts):
        out = output[host]
        assert out.exit_code == 0 and out.exception is None
        assert out.truncated
        kept = out.stdout[:-1]
        assert kept == [str(n) for n in range(1, len(kept) + 1)]
        assert sum(len(line) + 1 for line in kept) <= 100
        assert out.stdout[-1] == CUT_MARKER % (100, 1000 - len(kept), sum(
            len(str(n)) + 1 for n in range(len(kept) + 1, 1001)))  # fmt: skip
        assert out.stderr == [CUT_MARKER % (100, 1, 5)]
        assert out.cut == {"stdout": (1000 - len(kept), out.cut["stdout"][1]), "stderr": (1, 5)}
        files = out.output_files
        assert os.path.basename(files["stdout"]) == "%05d-%s.stdout" % (index, host)
        with open(files["stdout"]) as handle:
            assert handle.read().split() == [str(n) for n in range(1, 1001)]
        with open(files["stderr"]) as handle:
            assert handle.read() == "late\n"
        assert os.stat(files["stdout"]).st_mode & 0o777 == 0o600
    assert os.stat(tmp_path / "new").st_mode & 0o777 == 0o700
    whole = run_sharded(hosts, "seq 1 1000", shards=1, client_kwargs=_client_kwargs(sshd),
                        max_output_bytes=None)  # fmt: skip
    assert not whole[hosts[0]].truncated and len(whole[hosts[0]].stdout) == 1000


def test_copy_file_sharded(sshd, remote_dir, tmp_path):
    local = tmp_path / "payload"
    local.write_bytes(b"data\n")
    hosts = [*sshd.hosts[:2], REFUSED]
    copy_args = [{"name": "f%s" % i} for i in range(3)]
    output = copy_file_sharded(
        hosts, str(local), os.path.join(remote_dir, "%(name)s"), shards=2,
        client_kwargs=_client_kwargs(sshd), copy_args=copy_args,
    )  # fmt: skip
    assert [output[h].exit_code for h in hosts] == [0, 0, None]
    assert isinstance(output[REFUSED].exception, ConnectionErrorException)
    assert sorted(os.listdir(remote_dir)) == ["f0", "f1"]
    summary = output.summary()
    assert summary.succeeded == hosts[:2] and summary.hosts("unreachable") == [REFUSED]


def test_sharded_output_pickles_and_return_list_keeps_host_order(sshd):
    hosts = list(reversed(sshd.hosts))
    outputs = run_sharded(hosts, "echo hi", shards=2, client_kwargs=_client_kwargs(sshd),
                          return_list=True)  # fmt: skip
    assert [out.host for out in outputs] == hosts
    copy = pickle.loads(pickle.dumps(outputs))
    assert [(out.host, out.stdout, out.exit_code) for out in copy] == [
        (host, ["hi"], 0) for host in hosts
    ]


def test_a_host_listed_twice_is_keyed_as_unsharded(sshd):
    hosts = [sshd.hosts[0], sshd.hosts[1], sshd.hosts[0]]
    host_args = ["first", "second", "third"]
    output = run_sharded(hosts, "echo %s", shards=2, client_kwargs=_client_kwargs(sshd),
                         host_args=host_args)  # fmt: skip
    client = ParallelSSHClient(hosts, **_client_kwargs(sshd))
    try:
        plain = client.run_command("echo %s", host_args=host_args)
        client.join(plain)
        expected = {host: list(out.stdout) for host, out in plain.items()}
    finally:
        client.disconnect()
    assert {host: out.stdout for host, out in output.items()} == expected
