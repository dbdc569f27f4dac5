"""pssh demo: a command and a file copy on four SSH hosts in parallel.

Starts four throwaway OpenSSH servers on this machine (127.0.0.2 .. 127.0.0.5, one free port,
with the test-suite's ``embedded_server`` library), then with
``pssh.clients.ParallelSSHClient``:

1. runs a command on every host at once and prints each host's output and exit code;
2. copies a small generated file to every host (``copy_file`` + ``gevent.joinall``) and checks
   it with a remote ``sha256sum``.

Run it with ``bash ci/run-demo`` (sets up a virtualenv first) or ``python ci/demo.py``.
Exits non-zero if anything did not work.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests"))
sys.path.insert(0, REPO)

import gevent  # noqa: E402
from embedded_server.openssh import (  # noqa: E402
    ServerConfig,
    ensure_test_user,
    generate_keys,
    host_addresses,
    make_temp_dir,
    remove_temp_dir,
    start_servers,
)

from pssh.clients import ParallelSSHClient  # noqa: E402

COMMAND = 'set -- $SSH_CONNECTION; echo "hello from $(uname -n) as $(id -un), at $3 port $4"'


def run_command(client: ParallelSSHClient, cfg: ServerConfig) -> bool:
    print(f"\n$ {COMMAND}")
    output = client.run_command(COMMAND)
    lines = {}
    for host, host_out in output.items():
        lines[host] = list(host_out.stdout)
        for line in lines[host]:
            print(f"  [{host}] {line}")
    client.join(output)
    ok = True
    for host, host_out in output.items():
        print(f"  [{host}] exit code {host_out.exit_code}")
        # Each host must have answered from its own address.
        answered = len(lines[host]) == 1 and lines[host][0].endswith(f"at {host} port {cfg.port}")
        ok = ok and answered and host_out.exit_code == 0 and host_out.exception is None
    return ok


def copy_file(client: ParallelSSHClient, cfg: ServerConfig, workdir: str) -> bool:
    data = hashlib.sha256(b"pssh demo").digest() * 2048  # 64 KiB
    digest = hashlib.sha256(data).hexdigest()
    local = os.path.join(workdir, "payload.bin")
    with open(local, "wb") as fh:
        fh.write(data)
    remote_dir = f"pssh-demo-{os.getpid()}"  # relative: in the login user's home
    remote = remote_dir + "/payload-%(host)s.bin"  # copy_args format local and remote paths
    print(f"\ncopying {local} ({len(data)} bytes, sha256 {digest[:16]}...) to every host")
    greenlets = client.copy_file(local, remote, copy_args=[{"host": host} for host in cfg.hosts])
    gevent.joinall(greenlets, raise_error=True)
    output = client.run_command(
        "sha256sum %s", host_args=[remote % {"host": host} for host in cfg.hosts]
    )
    client.join(output)
    ok = True
    for host, host_out in output.items():
        lines = list(host_out.stdout)
        remote_digest = lines[0].split()[0] if lines else ""
        good = remote_digest == digest and host_out.exit_code == 0
        print(f"  [{host}] {'OK' if good else 'MISMATCH'} {' '.join(lines)}")
        ok = ok and good
    cleanup = client.run_command(f"rm -rf {remote_dir}")
    client.join(cleanup)
    return ok


def main() -> int:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    started = time.monotonic()
    workdir = make_temp_dir("pssh-demo-")
    group = None
    try:
        keys = generate_keys(workdir)
        group = start_servers(host_addresses(4), keys, user=ensure_test_user())
        cfg = group.config()
        print(f"started {len(cfg.hosts)} sshd hosts {', '.join(cfg.hosts)} on port {cfg.port}"
              f" (user {cfg.user}) in {time.monotonic() - started:.2f}s")  # fmt: skip
        # The throwaway servers' host keys are in their own known_hosts file, checked
        # strictly: nothing is written to ~/.ssh/known_hosts.
        client = ParallelSSHClient(
            list(cfg.hosts), user=cfg.user, port=cfg.port, pkey=cfg.pkey, num_retries=1,
            known_hosts=cfg.known_hosts, host_key_policy="strict", ssh_config="none",
        )  # fmt: skip
        ok = run_command(client, cfg)
        ok = copy_file(client, cfg, workdir) and ok
    finally:
        if group is not None:
            group.stop()
        remove_temp_dir(workdir)
    print(f"\ndemo {'passed' if ok else 'FAILED'} in {time.monotonic() - started:.2f}s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
