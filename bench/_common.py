"""Shared pieces of the benchmark suite: servers, measuring CPU, memory and sockets.

CPU is measured three ways:

* the client's own: ``resource.getrusage(RUSAGE_SELF)`` (user + system, every thread);
* OpenSSH client processes: ``resource.getrusage(RUSAGE_CHILDREN)`` once they are reaped;
* the SSH servers': the ``sshd`` listeners are put in a CPU-accounting cgroup of their own
  (cgroup v1 ``cpuacct`` or v2 ``cpu.stat``), which every process they fork is born into;
  its counter is exact and includes processes that have exited. Where cgroups cannot be
  used, the listeners and their descendants are read from ``/proc`` instead (a live
  process's ``schedstat``, plus ``cutime + cstime`` of reaped ones): that undercounts,
  since a child that ran for less than a clock tick - the shell of a short command - may
  add nothing to its parent's ``cutime``.

The servers' CPU divided by the number of cores is the *sshd floor*: the wall time the servers
need for the section even if the client cost nothing. On one machine shared by client and
servers no client can be faster than that.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from typing import Any

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
for _path in (REPO, os.path.join(REPO, "tests"), BENCH):
    if _path not in sys.path:
        sys.path.insert(0, _path)

MB = 1_000_000
MIB = 1 << 20
_TICK = os.sysconf("SC_CLK_TCK")


def cores() -> int:
    """Cores this process may run on (client and servers share them)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


# -- servers -------------------------------------------------------------------------


class Servers:
    """Throwaway OpenSSH servers on ``count`` loopback addresses (127.0.0.2..), one port,
    16 addresses per ``sshd`` process (see ``tests/embedded_server``)."""

    def __init__(self, count: int) -> None:
        from embedded_server.openssh import (
            ensure_test_user,
            generate_keys,
            host_addresses,
            make_temp_dir,
            start_servers,
        )

        self.workdir = make_temp_dir("pssh-bench-")
        self.group = None
        try:
            keys = generate_keys(self.workdir)
            sshd_dir = os.path.join(self.workdir, "sshd")
            os.mkdir(sshd_dir)
            self.group = start_servers(
                host_addresses(count), keys, user=ensure_test_user(), workdir=sshd_dir
            )
        except BaseException:
            self.stop()
            raise
        self.config = self.group.config()
        self.cgroup = _cpu_cgroup(self.listener_pids())

    def listener_pids(self) -> list[int]:
        """The ``sshd -D`` processes (each the root of its connections' processes)."""
        assert self.group is not None
        return [s.proc.pid for s in self.group.servers if s.proc is not None]

    def job(self) -> dict[str, Any]:
        """What a worker process needs to reach the servers (JSON-able)."""
        cfg = self.config
        return {
            "hosts": list(cfg.hosts),
            "port": cfg.port,
            "user": cfg.user,
            "pkey": cfg.pkey,
            "known_hosts": cfg.known_hosts,
            "home": cfg.home,
            "sshd": self.listener_pids(),
            "sshd_cgroup": self.cgroup,
        }

    def stop(self) -> None:
        from embedded_server.openssh import remove_temp_dir

        if self.group is not None:
            self.group.stop()
            self.group = None
        if getattr(self, "cgroup", None):
            _remove_cgroup(self.cgroup)
        remove_temp_dir(self.workdir)


# -- CPU -----------------------------------------------------------------------------

_CGROUP_ROOTS = (
    ("/sys/fs/cgroup/cpuacct", "cpuacct.usage"),  # cgroup v1 CPU accounting
    ("/sys/fs/cgroup", "cgroup.controllers"),  # cgroup v2
    ("/sys/fs/cgroup/unified", "cgroup.controllers"),  # v2 beside v1
)


def _cpu_cgroup(pids: Sequence[int]) -> str | None:
    """A new CPU-accounting cgroup holding ``pids`` (their children are born in it), or
    None where cgroups cannot be used. Its counter includes processes that have exited,
    to the nanosecond; ``/proc`` only has their ``cutime``, in which a process that ran
    less than a clock tick (a command's shell: ~3 ms) may count as nothing."""
    for root, marker in _CGROUP_ROOTS:
        if not os.path.exists(os.path.join(root, marker)):
            continue
        path = os.path.join(root, f"pssh-bench-{os.getpid()}")
        try:
            os.mkdir(path)
        except OSError:
            continue
        try:
            for pid in pids:
                with open(os.path.join(path, "cgroup.procs"), "w") as handle:
                    handle.write(str(pid))
            cgroup_cpu(path)
            return path
        except (OSError, ValueError):
            _remove_cgroup(path, pids)
    return None


def _remove_cgroup(path: str, pids: Sequence[int] = ()) -> None:
    """Move ``pids`` back to the parent cgroup and remove ``path`` (best effort)."""
    parent = os.path.dirname(path)
    for pid in pids:
        try:
            with open(os.path.join(parent, "cgroup.procs"), "w") as handle:
                handle.write(str(pid))
        except OSError:
            pass
    deadline = time.monotonic() + 5
    while True:  # the servers' last processes may take a moment to be reaped
        try:
            os.rmdir(path)
            return
        except OSError:
            if time.monotonic() > deadline:
                return
            time.sleep(0.05)


def cgroup_cpu(path: str) -> float:
    """CPU seconds used by every process that ever was in the cgroup ``path``."""
    usage = os.path.join(path, "cpuacct.usage")
    if os.path.exists(usage):
        with open(usage) as handle:
            return int(handle.read()) / 1e9
    with open(os.path.join(path, "cpu.stat")) as handle:
        for line in handle:
            if line.startswith("usage_usec "):
                return int(line.split()[1]) / 1e6
    raise ValueError(f"no CPU usage in {path}")


def _stat(pid: str) -> tuple[int, float] | None:
    """(parent pid, own + reaped children's CPU seconds) of one process, or None.

    A live process's own CPU comes from ``schedstat`` (nanoseconds run): ``stat``'s
    ``utime``/``stime`` are tick samples that read 0 for a short-lived ``sshd`` that did
    25 ms of work. Reaped children only exist as ``cutime``/``cstime`` (ticks)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            data = handle.read()
        with open(f"/proc/{pid}/schedstat", "rb") as handle:
            ran = int(handle.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return None
    fields = data[data.rindex(b")") + 2 :].split()
    # fields[0] is state (field 3 of proc(5)); cutime, cstime are fields 16, 17.
    return int(fields[1]), ran + (int(fields[13]) + int(fields[14])) / _TICK


def tree_cpu(roots: Iterable[int]) -> float:
    """CPU seconds used so far by ``roots`` and all their descendants (see module doc)."""
    parent: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            stat = _stat(name)
            if stat is not None:
                parent[int(name)], cpu[int(name)] = stat
    wanted = set(roots)
    total = 0.0
    for pid, seconds in cpu.items():
        hop, seen = pid, 0
        while hop > 1 and seen < 64:
            if hop in wanted:
                total += seconds
                break
            hop, seen = parent.get(hop, 0), seen + 1
    return total


def machine_busy() -> float:
    """CPU seconds the whole machine has spent busy (every core, every process)."""
    with open("/proc/stat") as handle:
        ticks = [int(x) for x in handle.readline().split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / _TICK  # less idle and iowait


class Meter:
    """Wall time, this process's CPU, its reaped children's CPU and the servers' CPU over
    a section: ``with Meter(sshd_pids) as m: ...``; then ``m.wall``, ``m.cpu``,
    ``m.children_cpu``, ``m.sshd_cpu`` and ``m.others``: what everything else on the
    machine (other users' processes) took of it meanwhile, as a fraction of all cores."""

    def __init__(self, sshd_pids: Sequence[int] = (), cgroup: str | None = None) -> None:
        self.sshd_pids = list(sshd_pids)
        self.cgroup = cgroup
        self.wall = self.cpu = self.children_cpu = self.sshd_cpu = self.others = 0.0

    def _sshd_now(self) -> float:
        if self.cgroup:
            return cgroup_cpu(self.cgroup)
        return tree_cpu(self.sshd_pids) if self.sshd_pids else 0.0

    @staticmethod
    def _cpu(who: int) -> float:
        usage = resource.getrusage(who)
        return usage.ru_utime + usage.ru_stime

    def __enter__(self) -> Meter:
        self._sshd = self._sshd_now()
        self._children = self._cpu(resource.RUSAGE_CHILDREN)
        self._cpu0 = self._cpu(resource.RUSAGE_SELF)
        self._busy = machine_busy()
        self._wall = time.perf_counter()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.wall = time.perf_counter() - self._wall
        busy = machine_busy() - self._busy
        self.cpu = self._cpu(resource.RUSAGE_SELF) - self._cpu0
        self.children_cpu = self._cpu(resource.RUSAGE_CHILDREN) - self._children
        self.sshd_cpu = self._sshd_now() - self._sshd
        mine = self.cpu + self.children_cpu + self.sshd_cpu
        self.others = max(0.0, busy - mine) / (self.wall * cores())

    def settle_sshd(self, quiet: float = 0.3, limit: float = 10.0) -> None:
        """Add the servers' CPU for work still going on after the section (connections
        being torn down): wait until their counter stops moving, at most ``limit`` s."""
        if not self.sshd_pids and not self.cgroup:
            return
        last = self._sshd_now()
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            time.sleep(quiet)
            now = self._sshd_now()
            if abs(now - last) < 0.005:
                break
            last = now
        self.sshd_cpu = last - self._sshd


# -- memory, files -------------------------------------------------------------------


def _status_kib(key: str) -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(key):
                return int(line.split()[1])
    return 0


def rss_mb() -> float:
    """Resident memory of this process now, MiB."""
    return _status_kib("VmRSS:") / 1024


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (VmHWM), MiB."""
    return _status_kib("VmHWM:") / 1024


def reset_peak_rss() -> bool:
    """Start VmHWM again from the current RSS (Linux: write 5 to clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def open_sockets() -> int:
    """Sockets this process has open."""
    count = 0
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                count += 1
        except OSError:
            pass
    return count


# -- OpenSSH client ------------------------------------------------------------------


def ssh_options(job: dict[str, Any]) -> list[str]:
    """``ssh`` options for the bench servers: the bench key only, no user config."""
    return [
        "-F",
        "/dev/null",
        "-q",
        "-i",
        job["pkey"],
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "BatchMode=yes",
        "-o",
        "UserKnownHostsFile=" + job["known_hosts"],
        "-o",
        "StrictHostKeyChecking=yes",
        "-p",
        str(job["port"]),
        "-l",
        job["user"],
    ]


MAX_PROCS = 100
"""OpenSSH client processes running at once (like ``xargs -P 100``): a thousand ``ssh`` at
once would take 18 GB of memory and thrash the machine."""


def run_procs(
    argvs: Sequence[Sequence[str]], sink: bool = False, limit: int = MAX_PROCS
) -> tuple[list[bytes], float]:
    """Run the commands, ``limit`` at a time, reading each one's stdout (small) or sending
    it to /dev/null with ``sink``. Returns (outputs, peak RSS MiB of the processes running
    at once: their mean peak times how many ran together). Raises if one failed."""
    stdout = subprocess.DEVNULL if sink else subprocess.PIPE
    outputs: list[bytes] = [b""] * len(argvs)
    running: dict[int, tuple[int, subprocess.Popen]] = {}
    rss_kib, failed, todo = 0, [], list(enumerate(argvs))
    todo.reverse()
    while todo or running:
        while todo and len(running) < limit:
            index, argv = todo.pop()
            proc = subprocess.Popen(argv, stdout=stdout, stdin=subprocess.DEVNULL)
            running[proc.pid] = (index, proc)
        pid, status, usage = os.wait4(-1, 0)
        if pid not in running:
            continue
        index, proc = running.pop(pid)
        proc.returncode = os.waitstatus_to_exitcode(status)
        rss_kib += usage.ru_maxrss
        if proc.stdout is not None:
            outputs[index] = proc.stdout.read()
            proc.stdout.close()
        if proc.returncode != 0:
            failed.append(argvs[index])
    if failed:
        raise RuntimeError(f"{len(failed)} command(s) failed, e.g. {' '.join(failed[0])}")
    together = min(len(argvs), limit)
    return outputs, rss_kib / 1024 / max(1, len(argvs)) * together


# -- worker processes ----------------------------------------------------------------


def run_worker(script: str, job: dict[str, Any], timeout: float = 1800) -> dict[str, Any]:
    """Run ``python script --worker JSON`` (one case, a fresh process) and return the dict
    it prints last. ``SSH_AUTH_SOCK`` is removed unless the job names an agent."""
    env = {k: v for k, v in os.environ.items() if k != "SSH_AUTH_SOCK"}
    if job.get("agent_sock"):
        env["SSH_AUTH_SOCK"] = job["agent_sock"]
    proc = subprocess.run(
        [sys.executable, script, "--worker", json.dumps(job)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"worker {job.get('kind')} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def raise_nofile(want: int) -> int:
    """Raise this process's soft open-files limit to ``want`` (at most the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
