"""Client CPU time to read big outputs line by line through one client.

    python bench/lines_bench.py [native|miko] [--repeat N] [--only CASE]

Starts a private OpenSSH server (``tests/embedded_server``), then, in a fresh
Python process per run, runs each case's command with ``run_command`` (no
PTY) and reads ``stdout`` with ``for line in stdout``, printing that
process's CPU time. Compare two checkouts by putting each first on
``PYTHONPATH``. Cases: ``seq_100MB`` (13 million short lines),
``nonl_32MB`` and ``nonl_64MB`` (no newline at all: quadratic before the
splitter kept partial lines as pieces).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, os.pardir, "tests"))

CASES = {
    "seq_100MB": "seq 1 13000000",
    "nonl_32MB": "head -c 33554432 /dev/zero | tr '\\0' x",
    "nonl_64MB": "head -c 67108864 /dev/zero | tr '\\0' x",
}
CHILD = r"""
import json, resource, sys
job = json.loads(sys.argv[1])
if job["family"] == "miko":
    from pssh.clients.miko.single import SSHClient
else:
    from pssh.clients.native.single import SSHClient
client = SSHClient(job["host"], port=job["port"], user=job["user"], pkey=job["pkey"],
                   num_retries=1)
before = resource.getrusage(resource.RUSAGE_SELF)
_channel, _host, stdout, _stderr, _stdin = client.run_command(job["cmd"], use_pty=False)
lines = chars = 0
for line in stdout:
    lines += 1
    chars += len(line)
after = resource.getrusage(resource.RUSAGE_SELF)
cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
print(json.dumps({"pssh": __import__("pssh").__file__, "lines": lines, "chars": chars,
                  "cpu_s": round(cpu, 3), "maxrss_mib": round(after.ru_maxrss / 1024)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("family", nargs="?", default="native", choices=("native", "miko"))
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--only", choices=sorted(CASES))
    args = parser.parse_args()
    from embedded_server.openssh import (
        ensure_test_user,
        generate_keys,
        host_addresses,
        make_temp_dir,
        remove_temp_dir,
        start_servers,
    )

    work = make_temp_dir("pssh-lines-bench-")
    keys = generate_keys(work)
    os.mkdir(os.path.join(work, "sshd"))
    group = start_servers(
        host_addresses(1, "127.0.0.90"), keys, user=ensure_test_user(),
        workdir=os.path.join(work, "sshd"),
    )  # fmt: skip
    try:
        cfg = group.config()
        env = dict(os.environ, HOME=work)
        for name, command in CASES.items():
            if args.only and name != args.only:
                continue
            for _ in range(args.repeat):
                job = dict(family=args.family, host=cfg.host, port=cfg.port, user=cfg.user,
                           pkey=cfg.pkey, cmd=command)  # fmt: skip
                run = subprocess.run(
                    [sys.executable, "-c", CHILD, json.dumps(job)],
                    capture_output=True, text=True, env=env, timeout=900, cwd=work,
                )  # fmt: skip
                print(name, run.stdout.strip() or run.stderr[-400:], flush=True)
    finally:
        group.stop()
        remove_temp_dir(work)


if __name__ == "__main__":
    main()
