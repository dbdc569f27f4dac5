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
from typing import Any

import gevent

from ._engine import Body, Runner
from ._output import HostFiles
from ._summary import HostResult


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


def copy_body(runner: Runner, plan: CopyPlan) -> Body:
    """The job body for ``plan`` (see :class:`pssh.cli._engine.Runner`)."""

    def body(client: Any, result: HostResult) -> None:
        timer = runner.deadline()
        try:
            if plan.direction == "up":
                greenlets = client.copy_file(plan.local, plan.remote, recurse=plan.recurse)
            else:
                target = local_target(plan, result.label)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                greenlets = client.copy_remote_file(
                    plan.remote.replace("%", "%%"), target.replace("%", "%%"),
                    recurse=plan.recurse, copy_args=[{}],
                )  # fmt: skip
            try:
                gevent.joinall(greenlets, raise_error=True)
            finally:
                gevent.killall(greenlets)
                if getattr(client, "host_clients", None):
                    result.connected = True  # the failure, if any, came after connecting
        finally:
            timer.close()

    return body
