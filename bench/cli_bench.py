"""Start-up of the ``pssh`` command line tool, next to the library doing the same work.

    python bench/run.py --cases cli

Every measurement is a fresh Python process (start-up is what is measured), run
``REPEATS`` times in turn with the others (so that a busy moment of the machine hits
all alike); the median wall time is reported, and the CPU time of those processes:

- ``pssh --help``: target under 0.3 s;
- ``pssh -H host true`` (connect to one host, run ``true``, summary);
- the library alone doing the same: a script importing
  ``pssh.clients.ParallelSSHClient`` with the same settings, ``run_command('true')``,
  ``join``. Target: the tool at most 0.1 s over it.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

REPEATS = 9

LIBRARY = r"""
import json, sys
job = json.loads(sys.argv[1])
from pssh.clients import ParallelSSHClient
client = ParallelSSHClient(
    [job["host"]], user=job["user"], port=job["port"], pkey=job["pkey"], allow_agent=False,
    num_retries=1, timeout=10.0, pool_size=32, known_hosts=job["known_hosts"],
    host_key_policy="strict",
)
output = client.run_command("true", stop_on_errors=False)
client.join(output)
assert all(out.exit_code == 0 for out in output.values()), output
"""


def _argv(kind: str, job: dict[str, Any]) -> list[str]:
    if kind == "help":
        return [sys.executable, "-m", "pssh", "--help"]
    if kind == "cli":
        return [
            sys.executable, "-m", "pssh", "-H", job["host"], "-l", job["user"],
            "--port", str(job["port"]), "-k", job["pkey"], "--no-agent",
            "--known-hosts", job["known_hosts"], "--host-key-policy", "strict",
            "--no-progress", "--", "true",
        ]  # fmt: skip
    return [sys.executable, "-c", LIBRARY, json.dumps(job)]


def _once(argv: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one process run to its end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{argv[:4]}... failed ({done.returncode}): {done.stderr[-2000:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu


def run(job: dict[str, Any], repeats: int = REPEATS) -> dict[str, dict[str, float]]:
    """Median wall and CPU seconds of each kind (``help``, ``cli``, ``library``)."""
    kinds = ("help", "cli", "library")
    walls: dict[str, list[float]] = {kind: [] for kind in kinds}
    cpus: dict[str, list[float]] = {kind: [] for kind in kinds}
    for kind in kinds:  # one warm-up each: files in the page cache, host keys loaded
        _once(_argv(kind, job))
    for _ in range(repeats):
        for kind in kinds:
            wall, cpu = _once(_argv(kind, job))
            walls[kind].append(wall)
            cpus[kind].append(cpu)
    return {
        kind: {
            "wall": statistics.median(walls[kind]),
            "cpu": statistics.median(cpus[kind]),
            "min": min(walls[kind]),
            "max": max(walls[kind]),
        }  # fmt: skip
        for kind in kinds
    }


def rows(servers: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The table rows of the ``cli`` case, and the raw figures."""
    from _table import row

    base = servers.job()
    job = {key: base[key] for key in ("port", "user", "pkey", "known_hosts")}
    job["host"] = base["hosts"][0]
    found = run(job)
    helped, cli, lib = found["help"], found["cli"], found["library"]
    over = cli["wall"] - lib["wall"]
    spread = "; ".join(f"{kind} {f['min']:.3f}-{f['max']:.3f} s" for kind, f in found.items())
    return [
        row("cli pssh --help", helped, "target", "0.300 s", helped["wall"] / 0.3,
            "< 0.3 s", helped["wall"] < 0.3, note=f"median of {REPEATS}; {spread}"),
        row("cli pssh -H host true", cli, "library, same work", f"{lib['wall']:.3f} s",
            cli["wall"] / lib["wall"], "<= library + 0.1 s", over <= 0.1,
            note=f"the tool adds {over * 1000:.0f} ms"),
    ], found  # fmt: skip


__all__ = ["LIBRARY", "REPEATS", "rows", "run"]
