"""Sharded runs: one host list, several parallel clients on several workers.

One pssh process drives a few hundred new connections a second on one core.
Past that (tens of thousands of hosts, a file pushed to thousands), cut the
host list into shards and run each shard in its own
:class:`~pssh.clients.native.parallel.ParallelSSHClient` on a worker of an
existing engine: local processes (the default), a Dask cluster, a Ray
cluster, or any :class:`concurrent.futures.Executor`::

    from pssh.scale import run_sharded

    output = run_sharded(hosts, "uptime", client_kwargs={"user": "ops"},
                         stop_on_errors=False)
    print("\\n".join(output.summary().lines()))

See :doc:`/sharded` for executors, output caps and failures. Dask and Ray are
never imported by this package: only by the objects the caller passes.
"""

from ._executors import RayExecutor
from ._local import LocalShardExecutor, WorkerDied
from ._records import CUT_MARKER, DEFAULT_MAX_OUTPUT_BYTES
from ._result import RemoteChannel, ShardedHostOutput, ShardedOutput
from ._run import copy_file_sharded, run_sharded
from ._shards import default_shards

__all__ = [
    "CUT_MARKER",
    "DEFAULT_MAX_OUTPUT_BYTES",
    "LocalShardExecutor",
    "RayExecutor",
    "RemoteChannel",
    "ShardedHostOutput",
    "ShardedOutput",
    "WorkerDied",
    "copy_file_sharded",
    "default_shards",
    "run_sharded",
]
