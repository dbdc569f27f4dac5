"""pssh.scale's pure parts: shards, byte caps, portable exceptions, executor adapters,
the sharded output as the fleet summary reads it, and the lazy imports."""

from __future__ import annotations

import inspect
import os
import pickle
import subprocess
import sys
import types

import pytest

from pssh import exceptions
from pssh.scale import (
    CUT_MARKER,
    LocalShardExecutor,
    RayExecutor,
    ShardedHostOutput,
    ShardedOutput,
    WorkerDied,
)
from pssh.scale._executors import is_dask_client, resolve
from pssh.scale._records import Budget, HostRecord, LineSink, output_paths
from pssh.scale._shards import cut, host_config_for, split
from pssh.scale._task import portable
from pssh.summary import gather, summarize

EXCEPTIONS = sorted(
    name
    for name, cls in inspect.getmembers(exceptions, inspect.isclass)
    if issubclass(cls, exceptions.PSSHError)
)


def test_importing_pssh_scale_imports_neither_dask_nor_ray():
    code = (
        "import sys, pssh.scale\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed', 'ray')]\n"
        "print(bad)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)  # fmt: skip
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("name", EXCEPTIONS)
def test_every_exception_round_trips_through_pickle(name):
    cls = getattr(exceptions, name)
    err = cls("Error on host %s:%s - %s", "h", 22, "cause", host="h")
    err.shard = 3  # extra attributes (shard, batch, retry...) travel too
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is cls
    assert copy.args == err.args
    assert copy.host == "h"
    assert copy.shard == 3
    assert str(copy) == "Error on host h:22 - cause"


def test_retry_counts_and_batch_survive_pickle():
    err = exceptions.ConnectionErrorException("Error connecting to host %s:%s - %s", "h", 22, "x",
                                              host="h")  # fmt: skip
    err.add_retries(2, 3)
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.retry, copy.num_retries, copy.args) == (2, 3, err.args)


def test_shard_error_layout():
    from pssh.scale._task import shard_error

    err = shard_error("web1", 2, "WorkerDied: gone")
    assert isinstance(err, exceptions.PSSHError)
    assert err.args == ("Host %s of shard %s failed: %s", "web1", 2, "WorkerDied: gone")
    assert (err.host, err.shard) == ("web1", 2)
    assert str(err) == "Host web1 of shard 2 failed: WorkerDied: gone"


def test_split_keeps_order_and_balances():
    assert split(10, 3) == [range(0, 4), range(4, 7), range(7, 10)]
    assert split(2, 8) == [range(0, 1), range(1, 2)]
    assert split(0, 4) == []
    assert sum(len(part) for part in split(1001, None)) == 1001
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="shards"):
            split(3, bad)


def test_per_host_arguments_are_cut_with_their_hosts():
    hosts = ["a", "b", "c"]
    part = range(1, 3)
    assert cut(["x", "y", "z"], part) == ["y", "z"]
    assert cut(None, part) is None
    assert host_config_for({"a": 1, "c": 3, "zz": 4}, hosts, part) == {"c": 3}
    assert host_config_for([1, 2, 3], hosts, part) == [2, 3]


def test_byte_cap_cuts_and_marks():
    budget = Budget(10)
    out, err = LineSink(budget), LineSink(budget)
    for line in ("1234", "abcd", "zz"):  # 5 + 5 bytes fit, then nothing more
        out.add(line)
    err.add("e")
    assert out.result() == ["1234", "abcd", CUT_MARKER % (10, 1, 3)]
    assert err.result() == [CUT_MARKER % (10, 1, 2)]
    uncapped = LineSink(Budget(None))
    for _ in range(1000):
        uncapped.add("x" * 100)
    assert len(uncapped.result()) == 1000


def test_output_file_names_are_safe_and_unique():
    paths = output_paths("/d", 7, "user@web/../1")
    assert paths == {"stdout": "/d/00007-user_web_.._1.stdout",
                     "stderr": "/d/00007-user_web_.._1.stderr"}  # fmt: skip


class _Unpicklable(Exception):
    def __reduce__(self):
        raise TypeError("no")


def test_portable_keeps_picklable_and_names_the_rest():
    err = exceptions.Timeout("Timed out on %s", "h", host="h")
    assert portable(err, "h", 0) is err
    replaced = portable(_Unpicklable("socket state"), "h", 1)
    assert type(replaced) is exceptions.ShardError
    assert replaced.host == "h" and replaced.shard == 1
    assert str(replaced) == (
        "Host h of shard 1 failed: its _Unpicklable could not be sent back from the worker: "
        "socket state"
    )
    assert portable(None, "h", 0) is None


def test_dask_client_recognised_without_importing_dask():
    class Client:
        def get_executor(self, **kwargs):
            return ("executor", kwargs)

    Client.__module__ = "distributed.client"
    assert is_dask_client(Client())
    assert resolve(Client()) == (("executor", {"pure": False}), False)
    plain = types.SimpleNamespace(submit=lambda fn, *a: None)
    assert resolve(plain) == (plain, False)
    with pytest.raises(TypeError, match="concurrent.futures.Executor"):
        resolve(object())
    engine, owned = resolve(None)
    assert isinstance(engine, LocalShardExecutor) and owned


def test_ray_executor_submits_without_retries(monkeypatch):
    calls = []

    class Ref:
        def __init__(self, value):
            self.value = value

        def future(self):
            from concurrent.futures import Future

            future = Future()
            future.set_result(self.value)
            return future

    def remote(**options):
        def wrap(fn):
            calls.append(options)
            return types.SimpleNamespace(remote=lambda *a, **k: Ref(fn(*a, **k)))

        return wrap

    monkeypatch.setitem(sys.modules, "ray", types.SimpleNamespace(remote=remote))
    executor = RayExecutor(num_cpus=2)
    assert executor.submit(pow, 2, 5).result() == 32
    assert executor.submit(pow, 3, 2).result() == 9
    assert calls == [{"max_retries": 0, "num_cpus": 2}]  # one remote function per callable


def _output(**fields):
    record = HostRecord("h", **fields)
    return ShardedOutput({"h": ShardedHostOutput(record, 0)})


@pytest.mark.parametrize(
    ("fields", "cause"),
    [
        ({"exit_code": 0, "started": True}, None),
        ({"exit_code": 2, "started": True}, "exit"),
        ({"exit_code": None, "started": True}, "exit"),  # ended by a signal
        ({"exit_code": None, "started": True, "ended": False}, "timeout"),
        ({"exception": exceptions.Timeout("t", host="h"), "started": True}, "timeout"),
        ({"exception": exceptions.Timeout("t", host="h")}, "unreachable"),
        ({"exception": exceptions.AuthenticationException("a", host="h")}, "auth"),
        ({"exception": exceptions.ShardError("s", host="h")}, "error"),
    ],
)
def test_summary_reads_a_sharded_output_as_a_live_one(fields, cause):
    output = _output(**fields)
    summary = output.summary()
    assert summary == summarize(output)
    assert (summary.failed.get("h") if cause else summary.succeeded) == (cause or ["h"])


def test_sharded_host_output_looks_like_a_joined_host_output():
    record = HostRecord("h", ["a"], ["b"], 0, started=True, cut={"stdout": (3, 30)})
    out = ShardedHostOutput(record, 4)
    assert (out.host, out.stdout, out.stderr, out.exit_code, out.exception) == (
        "h", ["a"], ["b"], 0, None)  # fmt: skip
    assert out["stdout"] == ["a"] and out["exit_code"] == 0  # 1.8.0 dictionary access
    assert (out.shard, out.truncated, out.cut, out.output_files) == (4, True, {"stdout": (3, 30)},
                                                                     None)  # fmt: skip
    assert out.cmd is None and out.stdin is None
    assert [group.hosts for group in gather({"h": out})] == [["h"]]


def test_local_executor_runs_calls_and_reports_a_dead_process():
    with pytest.raises(ValueError, match="fork"):
        LocalShardExecutor("fork")
    executor = LocalShardExecutor("spawn")
    try:
        assert executor.submit(pow, 2, 10).result(timeout=60) == 1024
        with pytest.raises(ZeroDivisionError):
            executor.submit(divmod, 1, 0).result(timeout=60)
        dead = executor.submit(os._exit, 3)
        with pytest.raises(WorkerDied) as caught:
            dead.result(timeout=60)
        assert caught.value.args[1:] == (executor.pids[-1], 3)
    finally:
        executor.shutdown()
    with pytest.raises(RuntimeError, match="shutdown"):
        executor.submit(pow, 1, 1)


def test_keys_travel_as_given_and_secrets_stay_out_of_messages(tmp_path):
    from pssh.scale._run import _tasks

    hosts = ["a", "b"]
    for pkey in (str(tmp_path / "id_missing"), b"-----BEGIN OPENSSH PRIVATE KEY-----..."):
        given = {"pkey": pkey, "password": "s3cret"}
        options = {"max_output_bytes": None}
        (task, _) = _tasks("run", hosts, 2, given, {"command": "true"}, "host_args", options)
        copy = pickle.loads(pickle.dumps(task))
        assert copy.client_kwargs == {"pkey": pkey, "password": "s3cret"}  # never read, never
    assert os.listdir(tmp_path) == []  # ... written anywhere
    from pssh.scale import run_sharded

    unpicklable = {"password": "s3cret", "host_config": {"b": lambda: "s3cret"}}  # shard 1
    with pytest.raises(TypeError) as caught:
        run_sharded(hosts, "true", client_kwargs=unpicklable)
    assert "must pickle" in str(caught.value) and "s3cret" not in str(caught.value)
