"""The ``scale`` case (on request: ``python bench/run.py --cases scale``): 1,000 hosts
run ``echo hi`` unsharded (one client in one process, as ``hosts1000``) versus
``pssh.scale.run_sharded`` with 1 and 2 shards on local processes.

Sharded workers are started with ``spawn`` so that they are this worker's own children:
their CPU time is then counted (reaped children) in ``cpu``. The servers run on the same
cores as the clients, so on a small machine the servers' CPU floor bounds every figure;
the rows say how far each run is from it.
"""

from __future__ import annotations

import resource
from typing import Any

from _common import Meter, peak_rss_mb, raise_nofile
from _table import Row, row


def pssh_sharded(job: dict[str, Any]) -> dict[str, Any]:
    """``run_sharded(hosts, 'echo hi', shards=job['shards'])`` on local ``spawn``
    processes, each shard's client connecting to all of its hosts at once."""
    from pssh.scale import LocalShardExecutor, run_sharded

    hosts = job["hosts"][: job["n"]]
    shards = job["shards"]
    raise_nofile(8 * len(hosts) + 256)  # the workers inherit it
    kwargs = {
        "user": job["user"], "port": job["port"], "pkey": job["pkey"], "num_retries": 1,
        "timeout": 120, "pool_size": -(-len(hosts) // shards),
        "known_hosts": job["known_hosts"], "host_key_policy": "strict",
    }  # fmt: skip
    with Meter(job["sshd"], job.get("sshd_cgroup")) as meter:
        output = run_sharded(
            hosts, "echo hi", shards=shards, executor=LocalShardExecutor("spawn"),
            client_kwargs=kwargs, stop_on_errors=False,
        )  # fmt: skip
    good = sum(out.exit_code == 0 and out.stdout == ["hi"] for out in output.values())
    return {
        "wall": meter.wall,
        "cpu": meter.cpu + meter.children_cpu,
        "driver_cpu": meter.cpu,
        "sshd_cpu": meter.sshd_cpu,
        "others": meter.others,
        "ok": good,
        "hosts": len(hosts),
        "rss_mb": peak_rss_mb(),
        "workers_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def rows(bench: Any) -> list[Row]:
    """The case's table rows; ``bench`` is run.py's ``Bench``."""
    n = bench.sizes["hosts1000"]
    plain = bench.work("pssh_connect", n=n, reuse=False)
    floor = plain["sshd_cpu"] / bench.cores
    out = [
        row(
            f"scale{n} unsharded",
            plain,
            f"sshd floor ({plain['sshd_cpu']:.1f} CPU s / {bench.cores} cores)",
            f"{floor:.2f} s",
            plain["wall"] / floor,
            note=f"{plain['ok']}/{n} ok; one client, one process",
        )
    ]
    for shards in (1, 2):
        ours = bench.work("pssh_sharded", n=n, shards=shards)
        floor = ours["sshd_cpu"] / bench.cores
        out.append(
            row(
                f"scale{n} shards={shards}",
                ours,
                "sshd floor",
                f"{floor:.2f} s",
                ours["wall"] / floor,
                note=f"{ours['ok']}/{n} ok; CPU = driver {ours['driver_cpu']:.2f} s + "
                f"workers; largest worker RSS {ours['workers_rss_mb']:.0f} MB; "
                f"x{ours['wall'] / plain['wall']:.2f} the unsharded wall",
            )
        )
    return out
