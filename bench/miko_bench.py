"""The cost of choosing the paramiko (miko) client: its rows next to the native client's.

Starts throwaway OpenSSH servers on this machine (``--hosts`` addresses from 127.0.0.2, with
the test-suite's ``embedded_server`` library) and measures each client on them:

``connect+run``
    a new ``ParallelSSHClient`` runs ``echo`` on every host and joins: connection,
    authentication and the command (what the first ``run_command`` costs);
``run``
    the same command again on the connections now open;
``output``
    one host prints ``--output-mib`` MiB in 1000-byte lines, read line by line from stdout.

Each client runs in its own Python process, one after the other, so the native client runs
as users run it - without the gevent monkey patching that importing the paramiko client
brings - and neither warms the other's caches.

Figures seen on the 2-core development machine, shared with other work (OpenSSH 9.2,
loopback, pool_size 100, 200 MiB output; median of 3 runs; ``cpu s`` is the CPU time of the
client's own process)::

    client  test          hosts  seconds   cpu s   per host ms / MiB/s
    native  connect+run     100     1.76    0.18   17.6 ms
    miko    connect+run     100     1.79    0.41   17.9 ms
    native  run             100     0.25    0.06   2.5 ms
    miko    run             100     0.33    0.13   3.3 ms
    native  output            1     2.55    2.17   78.4 MiB/s
    miko    output            1     1.47    1.28   136.5 MiB/s

On loopback the wall-clock times are dominated by sshd, which shares the two cores; the
client's CPU time shows paramiko's cost: about twice the native client's for connecting and
running commands. For output the native row is the slower one here because libssh2
negotiates ``chacha20-poly1305@openssh.com`` (its own portable C code) with this server,
while paramiko gets ``aes128-ctr`` from OpenSSL (AES-NI).

Run: ``python bench/miko_bench.py [--hosts 100] [--output-mib 50] [--repeat 1]``.
``run(...)`` returns the rows as dicts for other tools.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLIENTS = ("native", "miko")
MIB = 1024 * 1024
LINE = 1000  # bytes per output line, newline included


def _client_class(name: str) -> Any:
    """Import a client; for miko this is the process's first networking import (it patches)."""
    if REPO not in sys.path:
        sys.path.insert(0, REPO)
    if name == "miko":
        from pssh.clients.miko import ParallelSSHClient as MikoClient

        return MikoClient
    from pssh.clients.native import ParallelSSHClient as NativeClient

    return NativeClient


class _Clock:
    """Wall-clock and CPU time (of this, the client's, process) since creation."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def elapsed(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def _row(client: str, test: str, hosts: int, clock: _Clock, nbytes: int = 0) -> dict[str, Any]:
    seconds, cpu = clock.elapsed()
    row: dict[str, Any] = {"client": client, "test": test, "hosts": hosts,
                           "seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3)}  # fmt: skip
    if nbytes:
        row["bytes"] = nbytes
        row["mib_s"] = round(nbytes / MIB / seconds, 1)
    else:
        row["ms_per_host"] = round(seconds * 1000 / hosts, 1)
    return row


def _measure(name: str, cfg: dict[str, Any], output_mib: int, pool_size: int) -> list[dict]:
    """Runs in the worker process: every test for one client."""
    cls = _client_class(name)
    import gevent

    hosts = cfg["hosts"]
    options = dict(user=cfg["user"], port=cfg["port"], pkey=cfg["pkey"], num_retries=3,
                   retry_delay=1, timeout=60, pool_size=pool_size,
                   known_hosts=cfg["known_hosts"], host_key_policy="strict",
                   ssh_config="none")  # fmt: skip
    rows = []
    clock = _Clock()
    client = cls(hosts, **options)
    output = client.run_command("echo hello")
    client.join(output, consume_output=True)
    rows.append(_row(name, "connect+run", len(hosts), clock))
    _check(output)

    clock = _Clock()
    output = client.run_command("echo hello")
    client.join(output, consume_output=True)
    rows.append(_row(name, "run", len(hosts), clock))
    _check(output)

    if output_mib:
        client.hosts = hosts[:1]
        command = f"yes {'x' * (LINE - 1)} | head -c {output_mib * MIB}"
        clock = _Clock()
        output = client.run_command(command, use_pty=False)
        got = [gevent.spawn(lambda out=out: sum(len(line) + 1 for line in out.stdout))
               for out in output.values()]  # fmt: skip
        gevent.joinall(got, raise_error=True)
        client.join(output)
        rows.append(_row(name, "output", 1, clock, got[0].value))
        _check(output)
    for host_client in client.host_clients.values():
        host_client.disconnect()
    return rows


def _check(output: dict) -> None:
    for host, host_out in output.items():
        if host_out.exception is not None or host_out.exit_code != 0:
            raise RuntimeError(f"{host}: exit code {host_out.exit_code}, {host_out.exception!r}")


def _worker(name: str, cfg: dict[str, Any], output_mib: int, pool_size: int) -> list[dict]:
    argv = [sys.executable, os.path.abspath(__file__), "--worker", name, "--config",
            json.dumps(cfg), "--output-mib", str(output_mib),
            "--pool-size", str(pool_size)]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "SSH_AUTH_SOCK"}
    res = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=1800)
    if res.returncode != 0:
        raise RuntimeError(f"{name} worker failed:\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def run(
    hosts: int = 100,
    output_mib: int = 50,
    repeat: int = 1,
    clients: Sequence[str] = CLIENTS,
    pool_size: int = 100,
) -> list[dict[str, Any]]:
    """Start the servers, measure every client ``repeat`` times, stop the servers.

    :returns: one dict per measurement: ``client`` (``native``/``miko``), ``test``
      (``connect+run``, ``run``, ``output``), ``hosts``, ``seconds`` (wall clock),
      ``cpu_seconds`` (CPU time of the client's process), and ``ms_per_host``
      (command tests) or ``bytes`` and ``mib_s`` (output test).
    """
    tests_dir = os.path.join(REPO, "tests")
    if tests_dir not in sys.path:
        sys.path.insert(0, tests_dir)
    from embedded_server.openssh import (
        ensure_test_user,
        generate_keys,
        host_addresses,
        make_temp_dir,
        remove_temp_dir,
        start_servers,
    )

    workdir = make_temp_dir("pssh-miko-bench-")
    group = None
    rows: list[dict[str, Any]] = []
    try:
        group = start_servers(
            host_addresses(hosts), generate_keys(workdir), user=ensure_test_user()
        )
        cfg = group.config()
        config = {"hosts": list(cfg.hosts), "user": cfg.user, "port": cfg.port, "pkey": cfg.pkey,
                  "known_hosts": cfg.known_hosts}  # fmt: skip
        for _ in range(repeat):
            for name in clients:
                rows += _worker(name, config, output_mib, pool_size)
    finally:
        if group is not None:
            group.stop()
        remove_temp_dir(workdir)
    return rows


def format_rows(rows: list[dict[str, Any]]) -> str:
    """The rows as the table in this module's docstring."""
    lines = [f"{'client':7} {'test':12} {'hosts':>6} {'seconds':>8} {'cpu s':>7}   "
             "per host ms / MiB/s"]  # fmt: skip
    for row in rows:
        figure = (f"{row['ms_per_host']} ms" if "ms_per_host" in row
                  else f"{row['mib_s']} MiB/s")  # fmt: skip
        lines.append(f"{row['client']:7} {row['test']:12} {row['hosts']:>6} "
                     f"{row['seconds']:>8.2f} {row['cpu_seconds']:>7.2f}   {figure}")  # fmt: skip
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--output-mib", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--pool-size", type=int, default=100)
    parser.add_argument("--clients", default=",".join(CLIENTS))
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument("--worker", choices=CLIENTS, help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        rows = _measure(args.worker, json.loads(args.config), args.output_mib, args.pool_size)
        print(json.dumps(rows))
        return 0
    rows = run(hosts=args.hosts, output_mib=args.output_mib, repeat=args.repeat,
               clients=args.clients.split(","), pool_size=args.pool_size)  # fmt: skip
    print(json.dumps(rows, indent=1) if args.json else format_rows(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
