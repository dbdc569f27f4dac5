"""``pssh copy``: files to every host, or from every host, with the library's parallel copy.

The remote side of a copy is written with a leading colon, as with ``scp``:

``pssh copy -H "web[01-20]" app.conf :/etc/app/app.conf``
    uploads ``app.conf`` to each host (a remote path ending in ``/`` keeps
    the local file name);
``pssh copy -H "web[01-20]" :/var/log/syslog logs/``
    downloads each host's ``/var/log/syslog`` to ``logs/<host>/syslog``.

Uploads use ``ParallelSSHClient.copy_file``, downloads
``ParallelSSHClient.copy_remote_file`` (with per-host ``copy_args`` so each
host's copy lands in its own folder).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import gevent

from ..summary import exception_cause
from ._engine import Job, Runner
from ._output import HostFiles
from ._summary import CommandTimedOut, HostResult


class CopyUsageError(ValueError):
    """SRC/DEST that do not name exactly one remote side."""


@dataclass(frozen=True)
class CopyPlan:
    """What to copy: ``direction`` is ``up`` (local to hosts) or ``down``."""

    direction: str
    local: str
    remote: str
    recurse: bool = False

    def describe(self) -> str:
        if self.direction == "up":
            return f"copy {self.local} to :{self.remote}"
        return f"copy :{self.remote} to {self.local}"


def plan_copy(src: str, dest: str, recurse: bool) -> CopyPlan:
    """Work out the direction from which side has the leading colon.

    :raises: :class:`CopyUsageError` when neither or both sides are remote,
      or the local source does not exist (or is a folder without ``-r``).
    :rtype: CopyPlan
    """
    src_remote, dest_remote = src.startswith(":"), dest.startswith(":")
    if src_remote == dest_remote:
        raise CopyUsageError(
            "mark the remote side with a leading colon: 'pssh copy LOCAL :REMOTE' "
            "(upload) or 'pssh copy :REMOTE LOCALDIR' (download)"
        )
    if dest_remote:
        remote = dest[1:]
        if not os.path.exists(src):
            raise CopyUsageError(f"no such local file or folder: {src}")
        if os.path.isdir(src) and not recurse:
            raise CopyUsageError(f"{src} is a folder: use -r to copy folders")
        if not remote or remote.endswith("/"):
            remote += os.path.basename(os.path.normpath(src))
        return CopyPlan("up", src, remote, recurse)
    remote = src[1:]
    if not remote:
        raise CopyUsageError("empty remote path")
    if os.path.exists(dest) and not os.path.isdir(dest):
        raise CopyUsageError(f"{dest} exists and is not a folder")
    return CopyPlan("down", dest, remote, recurse)


def local_target(plan: CopyPlan, label: str) -> str:
    """Where a download from host ``label`` lands: ``LOCALDIR/<host>/<name>``."""
    name = os.path.basename(os.path.normpath(plan.remote)) or "download"
    return os.path.join(plan.local, HostFiles.filename(label), name)


def copy_job(plan: CopyPlan) -> Job:
    """The job that carries out ``plan`` on the client's current hosts: one
    ``copy_file``/``copy_remote_file`` call, each host reported as its copy
    ends; copies still going at ``-t`` are stopped (pssh itself carries them out)."""

    def job(runner: Runner, results: list[HostResult]) -> None:
        client = runner.client
        for result in results:
            result.reset_clock()
        if plan.direction == "up":
            greenlets = client.copy_file(plan.local, plan.remote, recurse=plan.recurse)
        else:
            targets = [local_target(plan, result.label) for result in results]
            for target in targets:
                os.makedirs(os.path.dirname(target), exist_ok=True)
            greenlets = client.copy_remote_file(
                plan.remote.replace("%", "%%"), "%(target)s", recurse=plan.recurse,
                copy_args=[{"target": target} for target in targets],
            )  # fmt: skip
        waiters = [
            gevent.spawn(_wait_copy, runner, result, copy)
            for result, copy in zip(results, greenlets)
        ]
        try:
            gevent.joinall(waiters, timeout=runner.timeout)
        finally:
            gevent.killall(waiters)  # first: a killed copy must not read as a success
            gevent.killall(greenlets)
        for result in results:
            if not result.done:
                result.connected = result.spec.host in client.host_clients
                result.fail("timeout", CommandTimedOut(runner.timeout or 0, "stopped"))
                runner.report(result)

    return job


def _wait_copy(runner: Runner, result: HostResult, copy: gevent.Greenlet) -> None:
    copy.join()
    if not copy.ready():
        return
    error = copy.exception
    if error is None:
        result.connected = True
    else:
        result.connected = result.spec.host in runner.client.host_clients
        result.fail(exception_cause(error, result.connected), error)
    runner.report(result)
