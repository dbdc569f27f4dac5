"""A user-space TCP relay that delays every chunk by a fixed time each way: real latency in
front of the bench servers, where ``netem`` cannot be used (no root ``tc`` in containers).

For every host address ``A`` the relay listens on ``A:relay_port`` and forwards each
connection to ``A:server_port``. Each direction is a reader and a writer greenlet: the reader
stamps each chunk it receives and queues it, the writer sends it once ``delay`` seconds have
passed since then, in order. Throughput is not limited (chunks overlap in the queue, up to
:data:`QUEUE_LIMIT` bytes per direction); every byte just arrives ``delay`` later, so a
round trip through the relay takes ``2 * delay`` more than without it.

The relay also counts, per connection, the client's *turns*: how often the client sent
something after the server had sent something and after being silent for most of a round
trip (0.9 x 2 x ``delay``): the round trips the client waited for. ``turns x 2 x delay`` is
then the connection's latency floor.

It runs in a process of its own (its CPU is not the client's):
``python bench/_relay.py --delay 0.01 --port P --to-port S --stats FILE HOST...``;
:class:`Relay` starts and stops one from the bench.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

CHUNK = 256 * 1024
QUEUE_LIMIT = 16 << 20
"""Bytes queued per direction before the relay stops reading (more than delay x bandwidth)."""


class _Conn:
    """One relayed connection's counters."""

    def __init__(self, delay: float) -> None:
        self.quiet = 0.9 * 2 * delay  # a client silent this long was waiting for an answer
        self.last = ""  # direction of the last chunk: "c2s" or "s2c"
        self.last_c2s = time.monotonic()
        self.turns = 0
        self.bytes = {"c2s": 0, "s2c": 0}

    def saw(self, direction: str, size: int) -> None:
        if direction == "c2s":
            now = time.monotonic()
            if self.last == "s2c" and now - self.last_c2s >= self.quiet:
                self.turns += 1
            self.last_c2s = now
        self.last = direction
        self.bytes[direction] += size


def _pipe(src: Any, dst: Any, delay: float, conn: _Conn, direction: str) -> None:
    import gevent
    from gevent.event import Event
    from gevent.queue import Queue

    queue: Queue = Queue()
    room = Event()
    room.set()
    queued = [0]

    def writer() -> None:
        try:
            while True:
                due, data = queue.get()
                wait = due - time.monotonic()
                if wait > 0:
                    gevent.sleep(wait)
                if data is None:
                    dst.shutdown(socket.SHUT_WR)
                    return
                dst.sendall(data)
                queued[0] -= len(data)
                if queued[0] < QUEUE_LIMIT:
                    room.set()
        except OSError:
            pass

    sender = gevent.spawn(writer)
    try:
        while True:
            data = src.recv(CHUNK)
            conn.saw(direction, len(data))
            queue.put((time.monotonic() + delay, data or None))
            if not data:
                break
            queued[0] += len(data)
            if queued[0] >= QUEUE_LIMIT:
                room.clear()
                room.wait()
    except OSError:
        queue.put((0.0, None))
    sender.join()


def serve(hosts: Sequence[str], port: int, to_port: int, delay: float, stats: str) -> None:
    """Relay ``host:port`` to ``host:to_port`` for every host until SIGTERM."""
    import gevent
    from gevent.server import StreamServer

    def handle(client: Any, _address: Any) -> None:
        host = client.getsockname()[0]
        conn = _Conn(delay)
        try:
            upstream = socket.create_connection((host, to_port))
        except OSError:
            client.close()
            return
        for sock in (client, upstream):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            gevent.joinall([
                gevent.spawn(_pipe, client, upstream, delay, conn, "c2s"),
                gevent.spawn(_pipe, upstream, client, delay, conn, "s2c"),
            ])  # fmt: skip
        finally:
            client.close()
            upstream.close()
            line = json.dumps({"host": host, "turns": conn.turns, **conn.bytes}) + "\n"
            with open(stats, "a") as out:  # one small append: whole lines, never mixed
                out.write(line)

    servers = [StreamServer((host, port), handle, backlog=1024) for host in hosts]
    for server in servers:
        server.start()
    with open(stats, "a") as out:
        out.write(json.dumps({"ready": True}) + "\n")
    from gevent.event import Event

    stopped = Event()
    gevent.signal_handler(signal.SIGTERM, stopped.set)
    stopped.wait()
    for server in servers:
        server.stop(timeout=0)


def free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class Relay:
    """A relay process in front of ``hosts`` (servers on ``to_port``), delaying each way by
    ``delay`` seconds. ``port`` is where clients connect; :meth:`turns` reads the counts."""

    def __init__(self, hosts: Sequence[str], to_port: int, delay: float, workdir: str) -> None:
        self.hosts, self.delay = list(hosts), delay
        self.stats = os.path.join(workdir, "relay-%d.jsonl" % os.getpid())
        self.port = free_port(self.hosts[0])
        self._mark = 0
        open(self.stats, "w").close()
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--delay", str(delay), "--port",
             str(self.port), "--to-port", str(to_port), "--stats", self.stats, *self.hosts],
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while not self._records():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the relay did not start")
            time.sleep(0.05)

    def cpu(self) -> float:
        """CPU seconds the relay process has used so far."""
        with open("/proc/%d/stat" % self.proc.pid) as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _records(self) -> list[dict[str, Any]]:
        records = []
        with open(self.stats) as handle:
            for line in handle:
                try:
                    records.append(json.loads(line))
                except ValueError:  # a line being written right now
                    break
        return records

    def connections(self, settle: float = 0.3) -> list[dict[str, Any]]:
        """Per connection finished since :meth:`reset`: ``host``, ``turns``, ``c2s`` and
        ``s2c`` bytes (after ``settle`` seconds, for the last ones to be recorded)."""
        time.sleep(settle)
        return [r for r in self._records()[self._mark :] if "turns" in r]

    def reset(self, settle: float = 0.3) -> None:
        """Count only the connections that finish from now on."""
        time.sleep(settle)
        self._mark = len(self._records())

    def known_hosts(self, source: str, port: int, path: str) -> str:
        """``source`` (a known_hosts file for the servers on ``port``) with every
        ``[host]:port`` entry repeated for the relay's port."""
        with open(source) as handle:
            lines = handle.read().splitlines()
        mark = "]:%d " % port
        extra = [ln.replace(mark, "]:%d " % self.port, 1) for ln in lines if mark in ln]
        with open(path, "w") as handle:
            handle.write("\n".join(lines + extra) + "\n")
        return path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delay", type=float, default=0.010, help="seconds, each way")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--to-port", type=int, required=True)
    parser.add_argument("--stats", required=True)
    parser.add_argument("hosts", nargs="+")
    args = parser.parse_args(argv)
    from gevent import monkey

    monkey.patch_all()  # this process only: the relay's sockets are gevent's
    serve(args.hosts, args.port, args.to_port, args.delay, args.stats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
