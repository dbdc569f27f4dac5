"""The measured cases, each run by ``bench/run.py --worker JSON`` in a process of its own.

A worker gets a job (servers, sizes, what to run) and returns one dict of figures:
``wall``, ``cpu`` (the client's CPU seconds), ``sshd_cpu`` (the servers'), ``rss_mb`` (the
client's peak resident memory) and case-specific ones. pssh workers import pssh only here,
so nothing else in the process warms it up; OpenSSH workers measure their ``ssh`` children.
"""

from __future__ import annotations

import gc
import resource
import shutil
import tempfile
import time
from typing import Any

from _common import (
    MB,
    Meter,
    open_sockets,
    peak_rss_mb,
    raise_nofile,
    reset_peak_rss,
    rss_mb,
    run_procs,
    ssh_options,
)

LINE = "x" * 99  # 99 characters + newline = 100-byte lines


def stream_command(mib: int) -> str:
    """A command printing ``mib`` MiB of 100-byte lines."""
    return f"yes {LINE} | head -c {mib}M"


def _client(job: dict[str, Any], hosts: list[str], pool_size: int | None = None) -> Any:
    from pssh.clients.native import ParallelSSHClient

    key = None if job.get("agent_sock") else job["pkey"]
    # The servers' keys are in their own known_hosts file (as a fleet's would be in the
    # user's): nothing is written to ~/.ssh/known_hosts.
    return ParallelSSHClient(
        hosts,
        user=job["user"],
        port=job["port"],
        pkey=key,
        allow_agent=key is None,
        num_retries=1,
        timeout=120,
        pool_size=pool_size or len(hosts),
        known_hosts=job["known_hosts"],
        host_key_policy="strict",
    )


def _echo_round(client: Any, expect: int) -> tuple[int, int]:
    """Run ``echo hi``, join, read all output. Returns (hosts that succeeded, sockets open
    once every host is connected)."""
    output = client.run_command("echo hi", stop_on_errors=False)
    sockets = open_sockets()
    client.join(output)
    good = 0
    for host_out in output.values():
        if host_out.exception is None and list(host_out.stdout) == ["hi"]:
            good += host_out.exit_code == 0
    if len(output) != expect:
        raise RuntimeError(f"{len(output)} outputs for {expect} hosts")
    return good, sockets


# -- pssh -----------------------------------------------------------------------------


def pssh_connect(job: dict[str, Any]) -> dict[str, Any]:
    """A fresh client on ``n`` hosts: ``echo hi``, join, read (timed: ``connect``); then
    the same again on the open connections (timed: ``reuse``)."""
    import gevent  # noqa: F401  (imported before the baseline memory figure)

    import pssh.clients.native  # noqa: F401

    hosts = job["hosts"][: job["n"]]
    if job.get("low_nofile"):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, soft), hard))
    base_rss = warm_rss = rss_mb()
    if job.get("warm_up"):
        # Library set-up done once per process (lazy imports, OpenSSL and libssh2
        # initialisation, caches) is not per-host memory: one host first, then measure.
        warm = _client(job, hosts[:1])
        _echo_round(warm, 1)
        warm.disconnect()
        del warm
        gc.collect()
        time.sleep(0.5)  # its sshd processes finish before the servers are measured
        warm_rss = rss_mb()
        reset_peak_rss()
    with Meter(job["sshd"], job.get("sshd_cgroup")) as first:
        client = _client(job, hosts, job.get("pool_size"))
        good, sockets = _echo_round(client, len(hosts))
    connect_peak = peak_rss_mb()
    result: dict[str, Any] = {
        "wall": first.wall,
        "cpu": first.cpu,
        "sshd_cpu": first.sshd_cpu,
        "others": first.others,
        "ok": good,
        "hosts": len(hosts),
        "sockets": sockets,
        "rss_mb": connect_peak,
        "base_rss_mb": base_rss,
        "warm_rss_mb": warm_rss,
        "client_mb": connect_peak - warm_rss,
        "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
    }
    if job.get("reuse", True):
        with Meter(job["sshd"], job.get("sshd_cgroup")) as again:
            good2, _ = _echo_round(client, len(hosts))
        result["reuse"] = {
            "wall": again.wall,
            "cpu": again.cpu,
            "sshd_cpu": again.sshd_cpu,
            "others": again.others,
            "ok": good2,
            "rss_mb": peak_rss_mb(),
        }
    client.disconnect()
    return result


def pssh_stream(job: dict[str, Any]) -> dict[str, Any]:
    """``n`` hosts each print ``mib`` MiB of 100-byte lines; every host's stdout is read
    line by line in a greenlet of its own. Connecting is not timed."""
    import gevent

    hosts = job["hosts"][: job["n"]]
    client = _client(job, hosts)
    client.join(client.run_command("true"))  # connect first

    def read(host_out: Any) -> tuple[int, int]:
        lines = chars = 0
        for line in host_out.stdout:
            lines += 1
            chars += len(line)
        return lines, chars

    with Meter(job["sshd"], job.get("sshd_cgroup")) as meter:
        output = client.run_command(stream_command(job["mib"]))
        readers = [gevent.spawn(read, host_out) for host_out in output.values()]
        gevent.joinall(readers, raise_error=True)
        client.join(output)
    full, rest = divmod(job["mib"] * (1 << 20), 100)  # a last line without newline
    expect = (full + (rest > 0), full * 99 + rest)
    counts = [reader.value for reader in readers]
    if any(c != expect for c in counts):
        raise RuntimeError(f"expected (lines, characters) {expect} per host, got {counts}")
    nbytes = len(hosts) * job["mib"] * (1 << 20)
    client.disconnect()
    return {
        "wall": meter.wall,
        "cpu": meter.cpu,
        "sshd_cpu": meter.sshd_cpu,
        "others": meter.others,
        "rss_mb": peak_rss_mb(),
        "bytes": nbytes,
        "lines": sum(c[0] for c in counts),
    }


# -- OpenSSH --------------------------------------------------------------------------


def ssh_connect(job: dict[str, Any]) -> dict[str, Any]:
    """One ``ssh host 'echo hi'`` process per host, 100 at a time, output read."""
    hosts = job["hosts"][: job["n"]]
    raise_nofile(4 * len(hosts) + 64)
    argvs = [["ssh", *ssh_options(job), host, "echo hi"] for host in hosts]
    with Meter(job["sshd"], job.get("sshd_cgroup")) as meter:
        outputs, rss = run_procs(argvs)
    meter.settle_sshd()
    good = sum(out == b"hi\n" for out in outputs)
    return {
        "wall": meter.wall,
        "cpu": meter.children_cpu,
        "sshd_cpu": meter.sshd_cpu,
        "others": meter.others,
        "ok": good,
        "hosts": len(hosts),
        "rss_mb": rss,
    }


def ssh_reuse(job: dict[str, Any]) -> dict[str, Any]:
    """``echo hi`` on every host through an already open ``ssh`` master connection
    (``ControlMaster``): OpenSSH's way of reusing connections."""
    hosts = job["hosts"][: job["n"]]
    raise_nofile(4 * len(hosts) + 64)
    ctl = tempfile.mkdtemp(prefix="pb-")
    opts = ssh_options(job) + ["-o", f"ControlPath={ctl}/%h"]
    try:
        masters = [
            ["ssh", *opts, "-o", "ControlMaster=yes", "-o", "ControlPersist=600", "-f", "-N", host]
            for host in hosts
        ]
        run_procs(masters, sink=True)
        argvs = [["ssh", *opts, "-o", "ControlMaster=no", host, "echo hi"] for host in hosts]
        with Meter(job["sshd"], job.get("sshd_cgroup")) as meter:
            outputs, rss = run_procs(argvs)
        good = sum(out == b"hi\n" for out in outputs)
        run_procs([["ssh", *opts, "-O", "exit", host] for host in hosts], sink=True)
    finally:
        shutil.rmtree(ctl, ignore_errors=True)
    return {
        "wall": meter.wall,
        "cpu": meter.children_cpu,
        "sshd_cpu": meter.sshd_cpu,
        "others": meter.others,
        "ok": good,
        "hosts": len(hosts),
        "rss_mb": rss,
    }


def ssh_stream(job: dict[str, Any]) -> dict[str, Any]:
    """``ssh host 'cmd' >/dev/null`` per host, all at once."""
    hosts = job["hosts"][: job["n"]]
    argvs = [["ssh", *ssh_options(job), host, stream_command(job["mib"])] for host in hosts]
    with Meter(job["sshd"], job.get("sshd_cgroup")) as meter:
        _, rss = run_procs(argvs, sink=True)
    meter.settle_sshd()
    return {
        "wall": meter.wall,
        "cpu": meter.children_cpu,
        "sshd_cpu": meter.sshd_cpu,
        "others": meter.others,
        "rss_mb": rss,
        "bytes": len(hosts) * job["mib"] * (1 << 20),
    }


WORKERS = {
    "pssh_connect": pssh_connect,
    "pssh_stream": pssh_stream,
    "ssh_connect": ssh_connect,
    "ssh_reuse": ssh_reuse,
    "ssh_stream": ssh_stream,
    "pssh_sharded": lambda job: __import__("scale_bench").pssh_sharded(job),  # pssh.scale
}


def mb_s(result: dict[str, Any]) -> float:
    """Aggregate MB/s (10^6 bytes) of a result with ``bytes``."""
    return result["bytes"] / MB / result["wall"]


__all__ = ["WORKERS", "mb_s", "stream_command"]
