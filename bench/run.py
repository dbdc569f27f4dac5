"""pssh benchmark suite: ``python bench/run.py`` runs every case and prints one table.

It starts its own OpenSSH servers on loopback addresses (127.0.0.2.., one port, 16
addresses per ``sshd``), runs each case in a fresh Python process (so CPU time and peak
memory are the case's own) and puts every figure next to a reference measured in the same
run: the servers' CPU floor, OpenSSH's own ``ssh``/``sftp``/``scp``, the paramiko client.
See ``bench/README.md`` for what each case measures and the last table.

Options: ``--quick`` (small sizes: a smoke check of the suite, targets are not judged),
``--cases connect100 stream4 ...`` (default: every case of the issues; ``pool``, ``agent``
and ``scale`` on request), ``--json FILE`` (raw figures too).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

from _common import MB, Servers, cores, raise_nofile, run_worker
from _table import Row, at_once, environment, format_table, row, share_note

SCRIPT = os.path.abspath(__file__)
LATENCY = 0.020
"""Round trip the ``latency`` case's relay adds (10 ms each way)."""
DEFAULT_CASES = (
    "connect10", "connect100", "connect300", "stream4", "copy4", "hosts1000", "hosts2000",
    "miko", "proxy", "latency", "cli",
)  # fmt: skip
EXTRA_CASES = ("pool", "agent", "scale")
SIZES = {
    "full": {
        "connect10": 10,
        "connect100": 100,
        "connect300": 300,
        "stream_hosts": 4,
        "stream_mib": 200,
        "copy_hosts": 4,
        "copy_mib": 100,
        "hosts1000": 1000,
        "hosts2000": 2000,
        "miko_hosts": 100,
        "miko_mib": 50,
        "proxy_mib": 200,
        "latency_hosts": 100,
        "latency_mib": 50,
    },
    "quick": {
        "connect10": 10,
        "connect100": 20,
        "connect300": 30,
        "stream_hosts": 4,
        "stream_mib": 10,
        "copy_hosts": 4,
        "copy_mib": 10,
        "hosts1000": 50,
        "hosts2000": 100,
        "miko_hosts": 20,
        "miko_mib": 5,
        "proxy_mib": 10,
        "latency_hosts": 20,
        "latency_mib": 5,
    },
}


class Bench:
    """Runs the selected cases against one set of servers; collects table rows."""

    def __init__(self, servers: Servers, sizes: dict[str, int], quick: bool) -> None:
        self.servers = servers
        self.sizes = sizes
        self.quick = quick
        self.cores = cores()
        self.raw: dict[str, Any] = {}

    def work(self, kind: str, **job: Any) -> dict[str, Any]:
        result = run_worker(SCRIPT, {**self.servers.job(), "kind": kind, **job})
        self.raw.setdefault(kind, []).append({"job": job, "result": result})
        return result

    def judge(self, ok: bool) -> bool | None:
        return None if self.quick else ok

    # -- command cases ----------------------------------------------------------------

    def connect(self, name: str) -> list[Row]:
        n = self.sizes[name]
        ours = self.work("pssh_connect", n=n, reuse=name == "connect100")
        ssh = self.work("ssh_connect", n=n)
        floor = ours["sshd_cpu"] / self.cores
        label = name if n == int(name[7:]) else f"{name} ({n} hosts)"
        failed = n - ours["ok"]
        note = "; ".join(
            x for x in (f"{failed} host(s) failed" if failed else "", share_note(ours, floor)) if x
        )
        ratio = ours["wall"] / floor
        if name == "connect100":
            target = "wall <= 1.15x floor; CPU <= 0.2 s"
            met = self.judge(not failed and ratio <= 1.15 and ours["cpu"] <= 0.2)
        else:
            target, met = "", None
        rows = [
            row(
                label,
                ours,
                f"sshd floor ({ours['sshd_cpu']:.2f} CPU s / {self.cores} cores, "
                f"{1000 * ours['sshd_cpu'] / n:.1f} ms/conn)",
                f"{floor:.3f} s",
                ratio,
                target,
                met,
                note=note,
            ),
            row(
                "",
                None,
                f"ssh x{n}{at_once(n)} (CPU {ssh['cpu']:.2f} s, RSS {ssh['rss_mb']:.0f} MB, "
                f"sshd {1000 * ssh['sshd_cpu'] / n:.1f} ms/conn)",
                f"{ssh['wall']:.3f} s",
                ours["wall"] / ssh["wall"],
            ),
        ]
        if "reuse" in ours:
            again = ours["reuse"]
            ref = self.work("ssh_reuse", n=n)
            floor = again["sshd_cpu"] / self.cores
            rows.append(
                row(
                    f"reuse{n}",
                    again,
                    f"sshd floor ({again['sshd_cpu']:.2f} CPU s / {self.cores} cores, "
                    f"{1000 * again['sshd_cpu'] / n:.1f} ms/command)",
                    f"{floor:.3f} s",
                    again["wall"] / floor,
                    "wall <= 0.1 s",
                    self.judge(again["ok"] == n and again["wall"] <= 0.1),
                    note=share_note(again, floor),
                )
            )
            rows.append(
                row(
                    "",
                    None,
                    f"ssh x{n} via ControlMaster (CPU {ref['cpu']:.2f} s, "
                    f"sshd {1000 * ref['sshd_cpu'] / n:.1f} ms/command)",
                    f"{ref['wall']:.3f} s",
                    again["wall"] / ref["wall"],
                )
            )
        return rows

    def hosts1000(self) -> list[Row]:
        n = self.sizes["hosts1000"]
        ours = self.work("pssh_connect", n=n, reuse=False, low_nofile=True, warm_up=True)
        ssh = self.work("ssh_connect", n=n)
        floor = ours["sshd_cpu"] / self.cores
        ratio = ours["wall"] / floor
        ok = ours["ok"] == n and ours["client_mb"] <= 100 and ratio <= 1.2
        note = (
            f"{ours['ok']}/{n} ok; client memory {ours['client_mb']:.0f} MB "
            f"({1024 * ours['client_mb'] / n:.0f} KiB/host) over {ours['warm_rss_mb']:.0f} MB "
            f"(interpreter and libraries, after one host's warm-up; after imports only: "
            f"{ours['base_rss_mb']:.0f} MB); {ours['sockets']} sockets; open-files limit "
            f"1024 at start, then {ours['nofile']}"
        )
        note = "; ".join(x for x in (note, share_note(ours, floor)) if x)
        label = "hosts1000" if n == 1000 else f"hosts1000 ({n} hosts)"
        pool = max(1, n // 4)
        small = self.work(
            "pssh_connect", n=n, reuse=False, low_nofile=True, warm_up=True, pool_size=pool
        )
        small_floor = small["sshd_cpu"] / self.cores
        return [
            row(
                label,
                ours,
                f"sshd floor ({ours['sshd_cpu']:.1f} CPU s / {self.cores} cores)",
                f"{floor:.2f} s",
                ratio,
                "all ok; memory <= 100 MB; wall <= 1.2x floor",
                self.judge(ok),
                note=note,
            ),
            row(
                "",
                None,
                f"ssh x{n}{at_once(n)} (CPU {ssh['cpu']:.1f} s, RSS {ssh['rss_mb']:.0f} MB, "
                f"{ssh['ok']}/{n} ok)",
                f"{ssh['wall']:.2f} s",
                ours["wall"] / ssh["wall"],
            ),
            row(
                f"{label} pool_size={pool}",
                small,
                "sshd floor",
                f"{small_floor:.2f} s",
                small["wall"] / small_floor,
                note=f"{small['ok']}/{n} ok; client memory {small['client_mb']:.0f} MB "
                f"({1024 * small['client_mb'] / n:.0f} KiB/host); open-files limit 1024 at "
                f"start, then {small['nofile']}",
            ),
        ]

    def hosts2000(self) -> list[Row]:
        """2,000 hosts (125 ``sshd``): as ``hosts1000`` without the OpenSSH reference (2,000
        ``ssh`` processes take minutes), at ``pool_size`` 2000 and 500."""
        n = self.sizes["hosts2000"]
        label = "hosts2000" if n == 2000 else f"hosts2000 ({n} hosts)"
        rows = []
        for pool in (n, max(1, n // 4)):
            ours = self.work(
                "pssh_connect", n=n, reuse=False, low_nofile=True, warm_up=True, pool_size=pool
            )
            floor = ours["sshd_cpu"] / self.cores
            ratio = ours["wall"] / floor
            note = (
                f"{ours['ok']}/{n} ok; client memory {ours['client_mb']:.0f} MB "
                f"({1024 * ours['client_mb'] / n:.0f} KiB/host) over {ours['warm_rss_mb']:.0f} MB; "
                f"{ours['sockets']} sockets; open-files limit 1024 at start, then {ours['nofile']}"
            )
            full = pool == n
            rows.append(
                row(
                    label if full else f"{label} pool_size={pool}",
                    ours,
                    f"sshd floor ({ours['sshd_cpu']:.1f} CPU s / {self.cores} cores)",
                    f"{floor:.2f} s",
                    ratio,
                    "all ok; memory <= 190 MB; wall <= 1.15x floor" if full else "",
                    self.judge(ours["ok"] == n and ours["client_mb"] <= 190 and ratio <= 1.15)
                    if full
                    else None,
                    note="; ".join(x for x in (note, share_note(ours, floor)) if x),
                )
            )
        return rows

    # -- output stream ------------------------------------------------------------------

    def stream4(self) -> list[Row]:
        hosts, mib = self.sizes["stream_hosts"], self.sizes["stream_mib"]
        ours = self.work("pssh_stream", n=hosts, mib=mib)
        ssh = self.work("ssh_stream", n=hosts, mib=mib)
        mbs, ssh_mbs = ours["bytes"] / MB / ours["wall"], ssh["bytes"] / MB / ssh["wall"]
        ms_per_mb = 1000 * ours["cpu"] / (ours["bytes"] / MB)
        ok = mbs >= 200 and ms_per_mb <= 5 and ours["rss_mb"] <= 100
        return [
            row(
                f"stream{hosts} ({mib} MiB/host, by lines)",
                ours,
                f"ssh >/dev/null (CPU {ssh['cpu']:.2f} s)",
                f"{ssh_mbs:.0f} MB/s",
                mbs / ssh_mbs,
                ">= 200 MB/s; <= 5 ms CPU/MB; RSS <= 100 MB",
                self.judge(ok),
                note=f"client {ms_per_mb:.2f} ms CPU/MB; sshd {ours['sshd_cpu']:.1f} CPU s",
            ),
        ]

    # -- copies -------------------------------------------------------------------------

    def copy4(self) -> list[Row]:
        import copy_bench

        hosts, mib = self.sizes["copy_hosts"], self.sizes["copy_mib"]
        cfg = self.servers.config._replace(hosts=tuple(self.servers.config.hosts[:hosts]))
        found = {row["case"]: row for row in copy_bench.run(cfg, mib)}
        self.raw["copy_bench"] = found
        rows = []
        for case in copy_bench.PSSH_CASES:
            mine, ref = found[case], found[copy_bench.BASELINE[case]]
            ours = {
                "wall": mine["seconds"],
                "cpu": mine["cpu_s"],
                "rss_mb": mine["peak_rss_mb"],
                "bytes": hosts * mib * (1 << 20),
            }
            rows.append(
                row(
                    f"copy{hosts} {case[5:]} ({mib} MiB)",
                    ours,
                    f"{ref['case']} (CPU {ref['cpu_s']:.2f} s)",
                    f"{ref['mb_s']:.0f} MB/s",
                    mine["mb_s"] / ref["mb_s"],
                    ">= OpenSSH MB/s",
                    self.judge(mine["mb_s"] >= ref["mb_s"]),
                )
            )
            if " scp " in case:
                plain = found[case.replace("pssh scp", "openssh scp")]
                rows.append(
                    row(
                        "",
                        None,
                        f"{plain['case']} (SFTP inside)",
                        f"{plain['mb_s']:.0f} MB/s",
                        mine["mb_s"] / plain["mb_s"],
                    )
                )
        return rows

    # -- other clients, extras ------------------------------------------------------------

    def miko(self) -> list[Row]:
        import miko_bench

        hosts, mib = self.sizes["miko_hosts"], self.sizes["miko_mib"]
        found = miko_bench.run(hosts=hosts, output_mib=mib, pool_size=hosts)
        self.raw["miko_bench"] = found
        by = {(r["client"], r["test"]): r for r in found}
        rows = []
        for test in ("connect+run", "run", "output"):
            nat, mik = by[("native", test)], by[("miko", test)]
            ours = {"wall": nat["seconds"], "cpu": nat["cpu_seconds"]}
            if "bytes" in nat:
                ours["bytes"] = nat["bytes"]
                figure = f"{mik['bytes'] / MB / mik['seconds']:.0f} MB/s"
            else:
                figure = f"{mik['seconds']:.3f} s"
            what = f"{mib} MiB, 1 host" if test == "output" else f"{hosts} hosts"
            rows.append(
                row(
                    f"miko_bench {test} ({what})",
                    ours,
                    f"miko client (CPU {mik['cpu_seconds']:.2f} s)",
                    figure,
                    (mik["seconds"] / nat["seconds"])
                    if "bytes" in nat
                    else (nat["seconds"] / mik["seconds"]),
                )
            )
        return rows

    def pool(self) -> list[Row]:
        n = self.sizes["connect100"]
        rows = []
        for size in (10, 25, 50, 100, 200):
            ours = self.work("pssh_connect", n=n, reuse=False, pool_size=size)
            floor = ours["sshd_cpu"] / self.cores
            rows.append(
                row(
                    f"connect{n} pool_size={size}",
                    ours,
                    "sshd floor",
                    f"{floor:.3f} s",
                    ours["wall"] / floor,
                )
            )
        return rows

    def agent(self) -> list[Row]:
        from embedded_server.openssh import start_agent

        n = self.sizes["connect100"]
        agent = start_agent([self.servers.config.pkey])
        try:
            ours = self.work("pssh_connect", n=n, reuse=False, agent_sock=agent.sock)
        finally:
            agent.stop()
        floor = ours["sshd_cpu"] / self.cores
        return [
            row(
                f"connect{n} via ssh-agent",
                ours,
                "sshd floor",
                f"{floor:.3f} s",
                ours["wall"] / floor,
                note=f"{ours['ok']}/{n} ok",
            )
        ]

    def cli(self) -> list[Row]:
        import cli_bench  # the command line tool's start-up (bench/cli_bench.py)

        found, self.raw["cli_bench"] = cli_bench.rows(self.servers)
        return found

    def proxy(self) -> list[Row]:
        import proxy_bench

        mib = self.sizes["proxy_mib"]
        found = proxy_bench.run(output_mib=mib, copy_mib=self.sizes["copy_mib"], hosts=1,
                                modes=("direct", "proxy"))  # fmt: skip
        self.raw["proxy_bench"] = found
        by = {(r["mode"], r["test"]): r for r in found}
        rows = []
        for test in ("output", "copy up", "copy down"):
            direct, via = by[("direct", test)], by[("proxy", test)]
            ours = {"wall": via["seconds"], "cpu": via["cpu"], "bytes": via["bytes"]}
            ratio = via["mb_s"] / direct["mb_s"]
            rows.append(
                row(
                    f"proxy {test} (1 host)",
                    ours,
                    f"direct (CPU {direct['cpu_ms_mb']:.1f} ms/MB)",
                    f"{direct['mb_s']:.0f} MB/s",
                    ratio,
                    ">= 0.5x direct MB/s",
                    self.judge(ratio >= 0.5),
                    note=f"client {via['cpu_ms_mb']:.1f} ms CPU/MB through the proxy",
                )
            )
        return rows

    def latency(self) -> list[Row]:
        """The servers behind a relay adding 10 ms each way (``bench/_relay.py``)."""
        import copy_bench
        from _relay import Relay

        n, mib = self.sizes["latency_hosts"], self.sizes["latency_mib"]
        cfg = self.servers.config
        relay = Relay(cfg.hosts[:n], cfg.port, LATENCY / 2, self.servers.workdir)
        try:
            known = relay.known_hosts(
                cfg.known_hosts, cfg.port, os.path.join(self.servers.workdir, "known_relay")
            )
            relay.reset()
            relay_cpu = relay.cpu()
            ours = self.work("pssh_connect", n=n, reuse=False, port=relay.port,
                             known_hosts=known)  # fmt: skip
            relay_cpu = relay.cpu() - relay_cpu  # the "network": counted with the servers
            turns = sorted(c["turns"] for c in relay.connections())
            relay.reset()
            self.work("ssh_connect", n=1, port=relay.port, known_hosts=known)
            ssh_turns = [c["turns"] for c in relay.connections()]
            one = cfg._replace(hosts=(cfg.hosts[0],), port=relay.port, known_hosts=known)
            cases = ["pssh sftp up", "openssh sftp up", "pssh sftp down", "openssh sftp down"]
            copies = {r["case"]: r for r in copy_bench.run(one, mib, cases)}
        finally:
            relay.stop()
        self.raw["latency"] = {"connect": ours, "turns": turns, "ssh_turns": ssh_turns,
                               "copies": copies}  # fmt: skip
        middle = turns[len(turns) // 2] if turns else 0
        floor = middle * LATENCY + (ours["sshd_cpu"] + relay_cpu) / self.cores
        ratio = ours["wall"] / floor
        rows = [
            row(
                f"latency connect{n} (+{1000 * LATENCY:.0f} ms RTT)",
                ours,
                f"{middle} round trips x {1000 * LATENCY:.0f} ms + floor (sshd "
                f"{ours['sshd_cpu']:.2f} + relay {relay_cpu:.2f} CPU s / {self.cores} cores)",
                f"{floor:.3f} s",
                ratio,
                "wall <= 1.2x",
                self.judge(ours["ok"] == n and ratio <= 1.2),
                note=f"{ours['ok']}/{n} ok; round trips per connection (pssh) "
                f"{turns[0] if turns else '?'}-{turns[-1] if turns else '?'}; "
                f"OpenSSH ssh for the same command: {ssh_turns}",
            )
        ]
        for direction in ("up", "down"):
            mine, ref = copies[f"pssh sftp {direction}"], copies[f"openssh sftp {direction}"]
            rows.append(
                row(
                    f"latency sftp {direction} ({mib} MiB, 1 host)",
                    {
                        "wall": mine["seconds"],
                        "cpu": mine["cpu_s"],
                        "rss_mb": mine["peak_rss_mb"],
                        "bytes": mib * (1 << 20),
                    },  # fmt: skip
                    f"openssh sftp {direction} via the relay (CPU {ref['cpu_s']:.2f} s)",
                    f"{ref['mb_s']:.0f} MB/s",
                    mine["mb_s"] / ref["mb_s"],
                    ">= OpenSSH MB/s",
                    self.judge(mine["mb_s"] >= ref["mb_s"]),
                )
            )
        return rows

    def scale(self) -> list[Row]:
        import scale_bench

        return scale_bench.rows(self)


CASE_HOSTS: dict[str, Callable[[dict[str, int]], int]] = {
    "connect10": lambda s: s["connect10"],
    "connect100": lambda s: s["connect100"],
    "connect300": lambda s: s["connect300"],
    "stream4": lambda s: s["stream_hosts"],
    "copy4": lambda s: s["copy_hosts"],
    "hosts1000": lambda s: s["hosts1000"],
    "hosts2000": lambda s: s["hosts2000"],
    "pool": lambda s: s["connect100"],
    "agent": lambda s: s["connect100"],
    "scale": lambda s: s["hosts1000"],
    "latency": lambda s: s["latency_hosts"],
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke check)")
    parser.add_argument(
        "--cases",
        nargs="+",
        choices=DEFAULT_CASES + EXTRA_CASES,
        default=list(DEFAULT_CASES),
        metavar="CASE",
        help=f"cases to run: {' '.join(DEFAULT_CASES + EXTRA_CASES)}",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the raw figures here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        from _cases import WORKERS

        job = json.loads(args.worker)
        print(json.dumps(WORKERS[job["kind"]](job)))
        return 0

    sizes = SIZES["quick" if args.quick else "full"]
    hosts = max([CASE_HOSTS[c](sizes) for c in args.cases if c in CASE_HOSTS] or [1])
    raise_nofile(8 * hosts + 256)
    print(f"pssh bench{' (quick)' if args.quick else ''}: {environment()}", flush=True)
    started = time.perf_counter()
    servers = Servers(hosts)
    # Every pssh client of the suite (copy_bench's and miko_bench's too, which record new
    # host keys) sees an empty home: nothing is read from or written to the user's ~/.ssh.
    home, os.environ["HOME"] = os.environ.get("HOME"), tempfile.mkdtemp(prefix="pssh-bench-home-")
    rows: list[Row] = []
    try:
        bench = Bench(servers, sizes, args.quick)
        for case in args.cases:
            print(f"... {case}", file=sys.stderr, flush=True)
            method = getattr(bench, case[:7] if case.startswith("connect") else case)
            rows += method(case) if case.startswith("connect") else method()
    finally:
        servers.stop()
        shutil.rmtree(os.environ["HOME"], ignore_errors=True)
        if home is not None:
            os.environ["HOME"] = home
    print(format_table(rows))
    print(
        f"\n{time.perf_counter() - started:.0f} s in all; load at the end "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"rows": rows, "raw": bench.raw}, handle, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
