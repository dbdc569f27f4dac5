"""Sharded runs whose workers fail: a worker killed mid-run fails its own shard's hosts
with ShardError (the others are fine), a stock ProcessPoolExecutor (the generic Executor
path Ray also takes) reports its broken pool the same way, and a shard past
``shard_timeout`` is ended. Every wait is bounded."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor

import pytest

from pssh.exceptions import ShardError
from pssh.scale import LocalShardExecutor, run_sharded

pytestmark = pytest.mark.integration

DEADLINE = 60  # seconds any wait here may take before the test fails


def _client_kwargs(sshd):
    return {"user": sshd.user, "port": sshd.port, "pkey": sshd.pkey, "num_retries": 1}


def _wait_for(predicate, what):
    end = time.monotonic() + DEADLINE
    while not predicate():
        assert time.monotonic() < end, "timed out waiting for " + what
        time.sleep(0.05)


def _started(remote_dir, hosts):
    return lambda: all(os.path.exists(os.path.join(remote_dir, h)) for h in hosts)


def test_killed_worker_fails_its_shard_with_shard_error(sshd, remote_dir):
    hosts = list(sshd.hosts)  # shard 0: .2 .3 (sleep), shard 1: .4 .5 (quick)
    naps = {hosts[0]: 20, hosts[1]: 20, hosts[2]: 0, hosts[3]: 0}
    command = "touch %s/%%s; sleep %%s; echo done" % remote_dir
    executor = LocalShardExecutor()
    with ThreadPoolExecutor(1) as caller:
        running = caller.submit(
            run_sharded, hosts, command, shards=2, executor=executor,
            client_kwargs=_client_kwargs(sshd), host_args=[(h, naps[h]) for h in hosts],
            stop_on_errors=False, shard_timeout=DEADLINE,
        )  # fmt: skip
        _wait_for(lambda: len(executor.pids) == 2, "both workers")
        _wait_for(_started(remote_dir, hosts[:2]), "shard 0's commands")
        victim = executor.pids[0]
        os.kill(victim, signal.SIGKILL)
        output = running.result(timeout=DEADLINE)
    for host in hosts[:2]:
        exc = output[host].exception
        assert type(exc) is ShardError
        assert exc.host == host and exc.shard == 0 and exc.args[1:3] == (host, 0)
        assert str(exc) == (
            "Host %s of shard 0 failed: WorkerDied: Worker process %s ended without a result "
            "(exit code -9)" % (host, victim)
        )
        assert output[host].stdout == [] and output[host].exit_code is None
    for host in hosts[2:]:
        assert output[host].exception is None
        assert (output[host].exit_code, output[host].stdout) == (0, ["done"])
    summary = output.summary()
    assert summary.succeeded == hosts[2:] and summary.hosts("error") == hosts[:2]


def _note_pid(folder, fn, *args):
    with open(os.path.join(folder, str(os.getpid())), "w"):
        pass
    return fn(*args)


class PidNotingExecutor(Executor):
    """A caller's own executor (stands for Ray's and any other): records each call's
    worker pid in ``folder`` and keeps the futures."""

    def __init__(self, inner, folder):
        self.inner, self.folder, self.futures = inner, folder, []

    def submit(self, fn, /, *args, **kwargs):
        future = self.inner.submit(_note_pid, self.folder, fn, *args, **kwargs)
        self.futures.append(future)
        return future


def test_generic_executor_broken_pool_fails_unfinished_shards(sshd, remote_dir, tmp_path):
    hosts = list(sshd.hosts[:2])
    command = "touch %s/%%s; sleep %%s; echo done" % remote_dir
    pids = tmp_path / "pids"
    pids.mkdir()
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        executor = PidNotingExecutor(pool, str(pids))
        with ThreadPoolExecutor(1) as caller:
            running = caller.submit(
                run_sharded, hosts, command, shards=2, executor=executor,
                client_kwargs=_client_kwargs(sshd), host_args=[(hosts[0], 20), (hosts[1], 0)],
                stop_on_errors=False, shard_timeout=DEADLINE,
            )  # fmt: skip
            _wait_for(lambda: len(executor.futures) == 2 and executor.futures[1].done(),
                      "shard 1's result")  # fmt: skip
            _wait_for(_started(remote_dir, hosts[:1]), "shard 0's command")
            # shard 1 is over, shard 0 busy: kill the pool's workers (the one or two that ran
            # the shards); the broken pool must fail shard 0 only, shard 1 is already back
            for name in os.listdir(pids):
                os.kill(int(name), signal.SIGKILL)
            output = running.result(timeout=DEADLINE)
    exc = output[hosts[0]].exception
    assert type(exc) is ShardError and exc.host == hosts[0] and exc.shard == 0
    assert "BrokenProcessPool" in str(exc)
    assert output[hosts[1]].exception is None and output[hosts[1]].stdout == ["done"]


def test_shard_past_shard_timeout_is_ended(sshd, remote_dir):
    hosts = list(sshd.hosts[:1])
    executor = LocalShardExecutor()
    started = time.monotonic()
    output = run_sharded(
        hosts, "sleep 20", shards=1, executor=executor, client_kwargs=_client_kwargs(sshd),
        stop_on_errors=False, shard_timeout=4,
    )  # fmt: skip
    assert time.monotonic() - started < DEADLINE
    exc = output[hosts[0]].exception
    assert type(exc) is ShardError and exc.host == hosts[0]
    assert str(exc) == (
        "Host %s of shard 0 failed: no result within shard_timeout (4 seconds)" % hosts[0]
    )
    assert output.summary().hosts("error") == hosts
    executor.shutdown(wait=True)  # the worker was killed: nothing to wait for
    with pytest.raises(ProcessLookupError):
        os.kill(executor.pids[0], 0)


def test_dask_never_runs_a_shard_again_after_its_worker_died(sshd, remote_dir):
    distributed = pytest.importorskip("distributed")  # installed by the test extra
    hosts = list(sshd.hosts[:2])
    command = "echo start >> %s/%%s; sleep 20" % remote_dir
    cluster = distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with cluster, distributed.Client(cluster) as client, ThreadPoolExecutor(1) as caller:
        running = caller.submit(
            run_sharded, hosts, command, shards=1, executor=client,
            client_kwargs=_client_kwargs(sshd), host_args=hosts, stop_on_errors=False,
            shard_timeout=DEADLINE,
        )  # fmt: skip
        _wait_for(_started(remote_dir, hosts), "the shard's commands")
        (victim,) = client.run(os.getpid).values()
        os.kill(victim, signal.SIGKILL)  # the nanny starts a new worker; Dask retries
        output = running.result(timeout=DEADLINE)
    for host in hosts:
        exc = output[host].exception
        assert type(exc) is ShardError and exc.host == host and exc.shard == 0
        assert "not run again" in str(exc)
        with open(os.path.join(remote_dir, host)) as handle:
            assert handle.read() == "start\n"  # the command ran once
