"""File copy speed: pssh's SFTP and SCP next to OpenSSH's own ``sftp`` and ``scp``.

Starts throwaway OpenSSH servers on this machine (4 hosts, 127.0.0.2.., with the test-suite's
``embedded_server`` library), makes one random file of ``--size-mb`` MiB and copies it to and
from every host at once:

``pssh sftp up/down``
    native ``ParallelSSHClient.copy_file`` / ``copy_remote_file``;
``pssh scp up/down``
    native ``ParallelSSHClient.scp_send`` / ``scp_recv``;
``openssh sftp up/down``
    one ``sftp -b`` process per host (``put`` / ``get``), all at once;
``openssh scp -O up/down``
    one ``scp -O`` process per host: the legacy SCP protocol, which pssh's SCP speaks;
``openssh scp up/down``
    one plain ``scp`` process per host (OpenSSH 9 runs SFTP underneath).

Every case runs in its own process, connections included in its time, so that CPU time and
peak memory are the case's own. Columns: aggregate MB/s (all hosts' bytes / wall time),
client CPU seconds (user + system, summed over processes), peak RSS in MiB (summed over the
OpenSSH processes, which run side by side; pssh is one process) and ``vs OpenSSH``, the speed
ratio to OpenSSH's tool for the same protocol and direction. Each arrived file is checked by
SHA-256 unless ``--no-verify``. Client and servers share this machine's cores, so the figures
are for comparing rows of one run, not absolute.

Figures seen on the 2-core development machine (OpenSSH 9.2, loopback, other jobs running;
runs vary by +-30 %), MB/s, 100 MiB to 4 hosts, each tool with its default cipher (pssh
prefers AES-GCM, OpenSSH chacha20-poly1305)::

    pssh sftp up 292 / down 280     openssh sftp up 260 / down 233
    pssh scp  up 270 / down 303     openssh scp -O up 276 / down 260

With the same cipher on both sides pssh moves 0.75-0.9x OpenSSH's MB/s for 1.2-1.6x its
client CPU (the time is spent inside libssh2: packet building and crypto); with
chacha20-poly1305 (``--cipher chacha20-poly1305@openssh.com``) libssh2's portable C
implementation costs about three times OpenSSH's CPU and pssh drops to 0.4-0.7x. Memory
stays flat: about 40-60 MiB for the whole pssh process at 100 MiB and 1 GiB alike.

Run: ``python bench/copy_bench.py [--size-mb 100] [--hosts 4] [--cipher NAME]``.
``run(hosts_cfg, size_mb)`` returns the rows as dicts for other tools.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pwd
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import Any

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _path in (REPO, os.path.join(REPO, "tests")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

MIB = 1 << 20
PSSH_CASES = ("pssh sftp up", "pssh scp up", "pssh sftp down", "pssh scp down")
OPENSSH_CASES = (
    "openssh sftp up", "openssh scp -O up", "openssh scp up",
    "openssh sftp down", "openssh scp -O down", "openssh scp down",
)  # fmt: skip
BASELINE = {
    "pssh sftp up": "openssh sftp up",
    "pssh scp up": "openssh scp -O up",
    "pssh sftp down": "openssh sftp down",
    "pssh scp down": "openssh scp -O down",
}
"""The OpenSSH case each pssh case is compared with (same protocol, same direction)."""


# -- files ---------------------------------------------------------------------------


def make_source(path: str, size_mb: int) -> str:
    """Write ``size_mb`` MiB of random bytes to ``path``; return the SHA-256."""
    sha = hashlib.sha256()
    with open(path, "wb") as handle:
        for _ in range(size_mb):
            block = os.urandom(MIB)
            sha.update(block)
            handle.write(block)
    return sha.hexdigest()


def digest(path: str) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(4 * MIB), b""):
            sha.update(block)
    return sha.hexdigest()


def _targets(case: str, remote_dir: str, local_dir: str, hosts: Sequence[str]) -> list[str]:
    """Where ``case`` puts each host's copy (remote files are on this machine too)."""
    slug = case.replace(" ", "_").replace("-", "")
    if case.endswith(" up"):
        return [os.path.join(remote_dir, f"{slug}_{host}") for host in hosts]
    return [os.path.join(local_dir, f"{slug}_{host}") for host in hosts]


# -- one case per process -----------------------------------------------------------


def _prefer_cipher(cipher: str) -> None:
    """Make new native sessions offer only ``cipher`` (bench option ``--cipher``)."""
    import pssh.clients.native._connection as connection
    import pssh.clients.native.single as single

    for module in (connection, single):
        if hasattr(module, "_CIPHERS"):  # the client's own preference list
            module._CIPHERS = cipher  # type: ignore[attr-defined]
            return
    from ssh2.session import LIBSSH2_METHOD_CRYPT_CS, LIBSSH2_METHOD_CRYPT_SC, Session

    class PreferringSession(Session):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.method_pref(LIBSSH2_METHOD_CRYPT_CS, cipher)
            self.method_pref(LIBSSH2_METHOD_CRYPT_SC, cipher)

    single.Session = PreferringSession  # type: ignore[misc]


def _pssh_worker(job: dict[str, Any]) -> dict[str, Any]:
    import gevent

    from pssh.clients.native import ParallelSSHClient

    if job["cipher"]:
        _prefer_cipher(job["cipher"])
    hosts, case = job["hosts"], job["case"]
    start_usage = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    client = ParallelSSHClient(hosts, port=job["port"], user=job["user"], pkey=job["pkey"],
                               allow_agent=False, num_retries=1, timeout=600,
                               known_hosts=job["known_hosts"], host_key_policy="strict",
                               ssh_config="none")  # fmt: skip
    args = [{"target": target} for target in job["targets"]]
    if case == "pssh sftp up":
        greenlets = client.copy_file(job["source"], "%(target)s", copy_args=args)
    elif case == "pssh scp up":
        greenlets = client.scp_send(job["source"], "%(target)s", copy_args=args)
    elif case == "pssh sftp down":
        greenlets = client.copy_remote_file(job["remote_source"], "%(target)s", copy_args=args)
    else:
        greenlets = client.scp_recv(job["remote_source"], "%(target)s", copy_args=args)
    gevent.joinall(greenlets, raise_error=True)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (usage.ru_utime - start_usage.ru_utime) + (usage.ru_stime - start_usage.ru_stime)
    return {"seconds": seconds, "cpu": cpu, "rss_kib": usage.ru_maxrss}


def _openssh_argv(job: dict[str, Any], host: str, target: str, workdir: str) -> list[str]:
    case, user = job["case"], job["user"]
    options = [
        "-q", "-i", job["pkey"], "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
        "-o", "UserKnownHostsFile=" + job["known_hosts"], "-o", "StrictHostKeyChecking=yes",
        "-P", str(job["port"]),
    ]  # fmt: skip
    if job["cipher"]:
        options += ["-c", job["cipher"]]
    up = case.endswith(" up")
    if " sftp " in case:
        batch = os.path.join(workdir, f"batch_{host}")
        with open(batch, "w") as handle:
            if up:
                handle.write(f'put "{job["source"]}" "{target}"\n')
            else:
                handle.write(f'get "{job["remote_source"]}" "{target}"\n')
        return ["sftp", *options, "-b", batch, f"{user}@{host}"]
    legacy = ["-O"] if " -O " in case else []
    if up:
        return ["scp", *legacy, *options, job["source"], f"{user}@{host}:{target}"]
    return ["scp", *legacy, *options, f"{user}@{host}:{job['remote_source']}", target]


def _openssh_worker(job: dict[str, Any]) -> dict[str, Any]:
    workdir = tempfile.mkdtemp(prefix="copy-bench-")
    try:
        argvs = [
            _openssh_argv(job, host, target, workdir)
            for host, target in zip(job["hosts"], job["targets"])
        ]
        start = time.perf_counter()
        procs = [subprocess.Popen(argv, stdout=subprocess.DEVNULL) for argv in argvs]
        cpu, rss = 0.0, 0
        for proc in procs:
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            cpu += usage.ru_utime + usage.ru_stime
            rss += usage.ru_maxrss
        seconds = time.perf_counter() - start
        failed = [argv for argv, proc in zip(argvs, procs) if proc.returncode != 0]
        if failed:
            raise RuntimeError(f"{job['case']}: failed: {' '.join(failed[0])}")
        return {"seconds": seconds, "cpu": cpu, "rss_kib": rss}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run_case(job: dict[str, Any]) -> dict[str, Any]:
    """Run one case in a fresh Python process; its measurements come back as JSON."""
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--worker", json.dumps(job)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"{job['case']} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- the benchmark --------------------------------------------------------------------


def run(
    hosts_cfg: Any,
    size_mb: int,
    cases: Sequence[str] | None = None,
    verify: bool = True,
    cipher: str | None = None,
) -> list[dict[str, Any]]:
    """Copy a ``size_mb`` MiB file to and from every host of ``hosts_cfg`` (an
    ``embedded_server`` ``ServerConfig``) with each case; one row (dict) per case.

    Row keys: ``case``, ``hosts``, ``size_mb``, ``mb_s``, ``seconds``, ``cpu_s``,
    ``peak_rss_mb``, ``vs_openssh`` (speed ratio to the matching OpenSSH case, pssh rows only).
    """
    cases = list(cases or (PSSH_CASES + OPENSSH_CASES))
    hosts = list(hosts_cfg.hosts)
    owner = pwd.getpwnam(hosts_cfg.user)
    local_dir = tempfile.mkdtemp(prefix="copy-bench-local-")
    remote_dir = tempfile.mkdtemp(prefix="copy-bench-remote-", dir=hosts_cfg.home)
    os.chown(remote_dir, owner.pw_uid, owner.pw_gid)
    rows: list[dict[str, Any]] = []
    try:
        os.chmod(local_dir, 0o755)
        source = os.path.join(local_dir, "source")
        expected = make_source(source, size_mb)
        remote_source = os.path.join(remote_dir, "source")
        shutil.copyfile(source, remote_source)
        os.chown(remote_source, owner.pw_uid, owner.pw_gid)
        base = {
            "hosts": hosts, "port": hosts_cfg.port, "user": hosts_cfg.user,
            "pkey": hosts_cfg.pkey, "known_hosts": hosts_cfg.known_hosts, "source": source,
            "remote_source": remote_source, "cipher": cipher,
        }  # fmt: skip
        for case in cases:
            targets = _targets(case, remote_dir, local_dir, hosts)
            result = _run_case({**base, "case": case, "targets": targets})
            if verify:
                bad = [t for t in targets if digest(t) != expected]
                if bad:
                    raise RuntimeError(f"{case}: {bad[0]} differs from the source")
            for target in targets:
                os.unlink(target)
            total = size_mb * len(hosts)
            rows.append({
                "case": case, "hosts": len(hosts), "size_mb": size_mb,
                "seconds": round(result["seconds"], 3),
                "mb_s": round(total * MIB / 1e6 / result["seconds"], 1),
                "cpu_s": round(result["cpu"], 2),
                "peak_rss_mb": round(result["rss_kib"] / 1024, 1),
            })  # fmt: skip
    finally:
        shutil.rmtree(local_dir, ignore_errors=True)
        shutil.rmtree(remote_dir, ignore_errors=True)
    speed = {row["case"]: row["mb_s"] for row in rows}
    for row in rows:
        baseline = speed.get(BASELINE.get(row["case"], ""))
        row["vs_openssh"] = round(row["mb_s"] / baseline, 2) if baseline else None
    return rows


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    head = f"{'case':<22}{'MB/s':>9}{'CPU s':>9}{'peak RSS MiB':>14}{'vs OpenSSH':>12}"
    lines = [head, "-" * len(head)]
    for row in rows:
        ratio = "" if row["vs_openssh"] is None else f"{row['vs_openssh']:.2f}x"
        lines.append(
            f"{row['case']:<22}{row['mb_s']:>9.1f}{row['cpu_s']:>9.2f}"
            f"{row['peak_rss_mb']:>14.1f}{ratio:>12}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=100, help="file size in MiB (100)")
    parser.add_argument("--hosts", type=int, default=4, help="number of hosts (4)")
    parser.add_argument("--cases", nargs="*", help="cases to run (all)")
    parser.add_argument("--cipher", help="cipher for pssh and OpenSSH alike, e.g. aes128-ctr")
    parser.add_argument("--no-verify", action="store_true", help="skip the SHA-256 checks")
    parser.add_argument("--json", action="store_true", help="print rows as JSON too")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        job = json.loads(args.worker)
        worker = _pssh_worker if job["case"].startswith("pssh") else _openssh_worker
        print(json.dumps(worker(job)))
        return 0

    from embedded_server.openssh import (
        ensure_test_user,
        generate_keys,
        host_addresses,
        make_temp_dir,
        remove_temp_dir,
        start_servers,
    )

    keys_dir = make_temp_dir("copy-bench-keys-")
    group = None
    try:
        user = ensure_test_user()
        group = start_servers(host_addresses(args.hosts), generate_keys(keys_dir), user=user)
        cfg = group.config(user)
        print(f"{args.size_mb} MiB to and from {args.hosts} hosts "
              f"(this machine: {os.cpu_count()} cores shared by client and servers)")  # fmt: skip
        rows = run(cfg, args.size_mb, args.cases, not args.no_verify, args.cipher)
        print(format_table(rows))
        if args.json:
            print(json.dumps(rows, indent=1))
    finally:
        if group is not None:
            group.stop()
        remove_temp_dir(keys_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
