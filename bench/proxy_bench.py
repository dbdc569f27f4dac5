"""Throughput through a proxy (bastion) host next to direct connections.

Starts throwaway OpenSSH servers on this machine (targets on 127.0.0.2.., a proxy on
127.0.0.50, with the test-suite's ``embedded_server`` library) and measures, per mode:

``output``
    a command printing ``--output-mib`` MiB (1000-byte lines), read line by line from stdout;
``copy up`` / ``copy down``
    ``copy_file`` (SFTP) of a ``--copy-mib`` MiB file to the target, then
    ``copy_remote_file`` of it back (sizes checked).

Modes:

``direct``
    native :class:`pssh.clients.native.ParallelSSHClient` straight to the targets;
``proxy``
    the same client with ``proxy_host``: one SSH connection to the proxy carries every
    target's tunnel, forwarded in the client's own gevent hub over a socket pair;
``tunnel-thread``
    the 1.8.0-style :class:`pssh.clients.native.tunnel.Tunnel` thread (its own hub) with a
    127.0.0.1 listener per target, and per target a native ``SSHClient(host, port=<listen
    port>, proxy_host='127.0.0.1')`` in a greenlet -- to compare with ``proxy``.

With ``--hosts N`` every mode runs on N targets at once; figures are totals.

Figures on the 2-core development machine (OpenSSH 9.2, loopback, other sessions running;
medians of 3, A/B against main at da54c71, MB/s = 10^6 bytes/s, one host)::

                   direct      proxy before      proxy now
    output         159-197     112               132      (by lines, 100 MiB)
    copy up        155         33.6              100      (SFTP, 100 MiB)
    copy down      212-242     118               133

Each figure also has the client's CPU per MB. Through the proxy the client decrypts (or
encrypts) every byte twice, the target's session inside the proxy's, on the same core, and
the proxy's sshd shares the two cores too: the proxied figures stay at one half to two thirds
of the direct ones.
Uploads used to be much slower: libssh2's SFTP writes drained their requests at the end of
each 2 MiB chunk, and through the proxy each drain cost ~40 ms; they now keep a window of
requests in flight (``pssh/clients/native/_sftp_window.py``). See ``bench/README.md``.

Run: ``python bench/proxy_bench.py [--output-mib 200] [--copy-mib 100] [--hosts 1]``.
``run(...)`` returns the rows as dicts for other tools.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _path in (REPO, os.path.join(REPO, "tests")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

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

from pssh.clients.native import ParallelSSHClient, SSHClient  # noqa: E402
from pssh.clients.native.tunnel import Tunnel  # noqa: E402

MIB = 1024 * 1024
MODES = ("direct", "proxy", "tunnel-thread")
LINE = 1000  # bytes per output line, newline included


def _output_command(mib: int) -> str:
    return "yes %s | head -c %d" % ("x" * (LINE - 1), mib * MIB)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class _Timed:
    """Wall and client CPU seconds of a ``with`` block."""

    def __enter__(self) -> _Timed:
        self.wall, self.cpu = time.perf_counter(), _cpu()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, _cpu() - self.cpu


def _row(mode: str, test: str, hosts: int, nbytes: int, timed: _Timed) -> dict[str, Any]:
    return {
        "mode": mode, "test": test, "hosts": hosts, "bytes": nbytes,
        "seconds": round(timed.wall, 3), "mb_s": round(nbytes / 1e6 / timed.wall, 1),
        "cpu": round(timed.cpu, 3), "cpu_ms_mb": round(1000 * timed.cpu / (nbytes / 1e6), 2),
    }  # fmt: skip


def _parallel_client(mode: str, cfg: ServerConfig, proxy: ServerConfig, hosts: list[str]) -> Any:
    kwargs: dict[str, Any] = dict(
        user=cfg.user, port=cfg.port, pkey=cfg.pkey, num_retries=1, timeout=60,
        pool_size=max(10, len(hosts)), known_hosts=[cfg.known_hosts, proxy.known_hosts],
        host_key_policy="strict", ssh_config="none",
    )  # fmt: skip
    if mode == "proxy":
        kwargs.update(proxy_host=proxy.host, proxy_port=proxy.port, proxy_user=proxy.user,
                      proxy_pkey=proxy.pkey)  # fmt: skip
    return ParallelSSHClient(hosts, **kwargs)


def _measure_parallel(
    mode: str, cfg: ServerConfig, proxy: ServerConfig, hosts: list[str], output_mib: int,
    local_file: str, copy_mib: int,
) -> list[dict[str, Any]]:  # fmt: skip
    client = _parallel_client(mode, cfg, proxy, hosts)
    rows = []
    try:
        client.join(client.run_command("true"))  # connect outside the timing
        if output_mib:
            with _Timed() as timed:
                output = client.run_command(_output_command(output_mib))
                got = [gevent.spawn(lambda out=out: sum(len(ln) + 1 for ln in out.stdout))
                       for out in output.values()]  # fmt: skip
                gevent.joinall(got, raise_error=True)
                client.join(output)
            rows.append(_row(mode, "output", len(hosts), sum(g.value for g in got), timed))
        if copy_mib:
            remote = "pssh-bench-%d.bin" % os.getpid()
            nbytes = copy_mib * MIB * len(hosts)
            with _Timed() as timed:
                gevent.joinall(client.copy_file(local_file, remote), raise_error=True)
            rows.append(_row(mode, "copy up", len(hosts), nbytes, timed))
            down = local_file + ".down"
            with _Timed() as timed:
                gevent.joinall(client.copy_remote_file(remote, down), raise_error=True)
            rows.append(_row(mode, "copy down", len(hosts), nbytes, timed))
            for host in hosts:
                _check_and_remove(local_file, "%s_%s" % (down, host))
            client.join(client.run_command("rm -f " + remote))
    finally:
        client.disconnect()
    return rows


def _check_and_remove(original: str, copy: str) -> None:
    try:
        if os.path.getsize(copy) != os.path.getsize(original):
            raise RuntimeError("%s: wrong size after the copy" % copy)
    finally:
        if os.path.exists(copy):
            os.unlink(copy)


def _measure_thread(
    cfg: ServerConfig, proxy: ServerConfig, hosts: list[str], output_mib: int, local_file: str,
    copy_mib: int,
) -> list[dict[str, Any]]:  # fmt: skip
    tunnel = Tunnel(proxy.host, deque(), deque(), user=proxy.user, port=proxy.port,
                    pkey=proxy.pkey, num_retries=1, timeout=60)  # fmt: skip
    tunnel.start()
    rows = []
    clients: list[SSHClient] = []
    remote = "pssh-bench-%d.bin" % os.getpid()
    try:
        tunnel.wait_open(60)
        for host in hosts:
            port = tunnel.open_tunnel(host, cfg.port, timeout=60)
            clients.append(SSHClient(host, user=cfg.user, port=port, pkey=cfg.pkey, num_retries=1,
                                     timeout=60, proxy_host="127.0.0.1"))  # fmt: skip

        def output(client: SSHClient) -> int:
            channel, _host, stdout, _stderr, _stdin = client.run_command(
                _output_command(output_mib)
            )
            nbytes = sum(len(ln) + 1 for ln in stdout)
            client.wait_finished(channel)
            return nbytes

        def each(func: Any) -> None:
            gevent.joinall([gevent.spawn(func, i, c) for i, c in enumerate(clients)],
                           raise_error=True)  # fmt: skip

        if output_mib:
            with _Timed() as timed:
                got = [gevent.spawn(output, client) for client in clients]
                gevent.joinall(got, raise_error=True)
            rows.append(_row("tunnel-thread", "output", len(hosts), sum(g.value for g in got),
                             timed))  # fmt: skip
        if copy_mib:
            nbytes = copy_mib * MIB * len(hosts)
            with _Timed() as timed:
                each(lambda i, c: c.copy_file(local_file, remote))
            rows.append(_row("tunnel-thread", "copy up", len(hosts), nbytes, timed))
            with _Timed() as timed:
                each(lambda i, c: c.copy_remote_file(remote, "%s.down%d" % (local_file, i)))
            rows.append(_row("tunnel-thread", "copy down", len(hosts), nbytes, timed))
            for i, client in enumerate(clients):
                _check_and_remove(local_file, "%s.down%d" % (local_file, i))
                client.wait_finished(client.execute("rm -f " + remote))
    finally:
        for client in clients:
            client.disconnect()
        tunnel.shutdown(10)
    return rows


def run(
    output_mib: int = 200,
    copy_mib: int = 100,
    hosts: int = 1,
    modes: Sequence[str] = MODES,
    repeat: int = 1,
) -> list[dict[str, Any]]:
    """Start the servers, measure every mode ``repeat`` times, stop the servers.

    :returns: one dict per measurement: ``mode``, ``test`` (``output``, ``copy up``,
      ``copy down``), ``hosts``, ``bytes`` (total), ``seconds``, ``mb_s`` (MB/s, 10^6 bytes,
      total over the hosts), ``cpu`` (the client process's CPU seconds), ``cpu_ms_mb``.
    """
    workdir = make_temp_dir("pssh-proxy-bench-")
    groups = []
    rows: list[dict[str, Any]] = []
    try:
        keys, user = generate_keys(workdir), ensure_test_user()
        targets = start_servers(host_addresses(hosts), keys, user=user)
        groups.append(targets)
        proxy_group = start_servers(["127.0.0.50"], keys, user=user)
        groups.append(proxy_group)
        cfg, proxy = targets.config(), proxy_group.config()
        local_file = os.path.join(workdir, "payload.bin")
        with open(local_file, "wb") as fh:
            block = os.urandom(MIB)
            for _ in range(copy_mib):
                fh.write(block)
        for _ in range(repeat):
            for mode in modes:
                if mode == "tunnel-thread":
                    rows += _measure_thread(cfg, proxy, list(cfg.hosts), output_mib, local_file,
                                            copy_mib)  # fmt: skip
                    continue
                rows += _measure_parallel(mode, cfg, proxy, list(cfg.hosts), output_mib,
                                          local_file, copy_mib)  # fmt: skip
    finally:
        for group in groups:
            group.stop()
        remove_temp_dir(workdir)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output-mib", type=int, default=200)
    parser.add_argument("--copy-mib", type=int, default=100)
    parser.add_argument("--hosts", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--modes", default=",".join(MODES))
    args = parser.parse_args(argv)
    tempfile.tempdir = tempfile.gettempdir()
    rows = run(args.output_mib, args.copy_mib, args.hosts, args.modes.split(","), args.repeat)
    print("%-14s %-9s %5s %12s %9s %9s %9s" % ("mode", "test", "hosts", "bytes", "seconds",
                                                 "MB/s", "CPU ms/MB"))  # fmt: skip
    for row in rows:
        print("%-14s %-9s %5d %12d %9.3f %9.1f %9.2f" % (
            row["mode"], row["test"], row["hosts"], row["bytes"], row["seconds"], row["mb_s"],
            row["cpu_ms_mb"],
        ))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
