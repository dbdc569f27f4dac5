"""What runs on a worker: one shard in its own parallel client.

:func:`run_shard` is a module-level function so that every executor can
pickle it by name. It imports the native client only when it runs, makes a
:class:`~pssh.clients.native.parallel.ParallelSSHClient` for the shard's
hosts, runs the command (or copy), reads every host's output within the
byte cap, and returns plain :class:`~pssh.scale._records.HostRecord` objects.
It never raises for a host's failure: that becomes the host's record, and a
failure of the whole shard (the client cannot be made) a
:class:`~pssh.scale._task.ShardFailed`.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from ._once import first_attempt
from ._records import Budget, HostRecord, LineSink, open_private, output_paths
from ._task import ShardFailed, ShardTask, portable, shard_error


def run_shard(task: ShardTask) -> list[HostRecord] | ShardFailed:
    """Run ``task`` and return one record per host, in the shard's order.

    :rtype: list of :class:`~pssh.scale._records.HostRecord` or
      :class:`~pssh.scale._task.ShardFailed`
    """
    from ..clients.native.parallel import ParallelSSHClient

    if not first_attempt(task):
        cause = "its worker died after the shard started; not run again (Dask retried it)"
        return ShardFailed(shard_error(None, task.number, cause))
    try:
        client = ParallelSSHClient(task.hosts, **task.client_kwargs)
    except Exception as exc:  # noqa: BLE001 - reported for every host of the shard
        return ShardFailed(portable(exc, None, task.number) or exc)
    try:
        if task.kind == "copy":
            return _copy(client, task)
        return _run(client, task)
    except Exception as exc:  # noqa: BLE001
        return ShardFailed(portable(exc, None, task.number) or exc)
    finally:
        client.disconnect()


def _run(client: Any, task: ShardTask) -> list[HostRecord]:
    import gevent

    from ..summary import host_cause

    if task.output_dir is not None:
        os.makedirs(task.output_dir, mode=0o700, exist_ok=True)
    outputs = client.run_command(return_list=True, stop_on_errors=False, **task.call_kwargs)
    sinks, files = [], []
    readers: list[list[Any]] = []
    for position, host_out in enumerate(outputs):
        budget = Budget(task.max_output_bytes)
        paths = None
        if task.output_dir is not None:
            paths = output_paths(task.output_dir, task.indexes[position], host_out.host)
        pair = {}
        for name in ("stdout", "stderr"):
            handle = open_private(paths[name]) if paths is not None else None
            if handle is not None:
                files.append(handle)
            pair[name] = LineSink(budget, handle)
        sinks.append((pair, paths))
        # both streams at once: a host filling one while the other is read never stalls
        readers.append([gevent.spawn(_drain, getattr(host_out, name), pair[name])
                        for name in ("stdout", "stderr")])  # fmt: skip
    flat = [reader for pair_readers in readers for reader in pair_readers]
    try:
        gevent.joinall(flat, timeout=task.join_timeout)
        late = {id(reader) for reader in flat if not reader.ready()}
        gevent.killall([reader for reader in flat if id(reader) in late], block=True)
    finally:
        for handle in files:
            with contextlib.suppress(OSError):
                handle.close()
    records = []
    for host_out, (pair, paths), host_readers in zip(outputs, sinks, readers):
        done = not any(id(reader) in late for reader in host_readers)
        exc = host_out.exception
        for reader in host_readers:  # an error while reading: read timeout, lost connection
            if exc is None and done and reader.value is not None:
                exc = reader.value
        exit_code = None if exc is not None or not done else host_out.exit_code
        ended = done and not (
            exc is None and exit_code is None and host_cause(host_out) == "timeout"
        )
        record = HostRecord(
            host_out.host, pair["stdout"].result(), pair["stderr"].result(), exit_code,
            portable(exc, host_out.host, task.number), started=host_out.channel is not None,
            ended=ended, files=paths,
        )  # fmt: skip
        for name, sink in pair.items():
            if sink.cut_lines:
                record.cut[name] = (sink.cut_lines, sink.cut_bytes)
        records.append(record)
    return records


def _drain(stream: Any, sink: LineSink) -> BaseException | None:
    """Read one stream to its end; return (not raise) an error met while
    reading, so that it becomes the host's exception."""
    if stream is None:
        return None
    try:
        for line in stream:
            sink.add(line)
    except Exception as exc:  # noqa: BLE001 - the host's failure, kept in its record
        return exc
    return None


def _copy(client: Any, task: ShardTask) -> list[HostRecord]:
    import gevent

    greenlets = client.copy_file(**task.call_kwargs)
    gevent.joinall(greenlets, timeout=task.join_timeout, raise_error=False)
    records = []
    for host, greenlet in zip(task.hosts, greenlets):
        if not greenlet.ready():
            greenlet.kill(block=True)
            records.append(HostRecord(host, started=True, ended=False))
            continue
        exc = greenlet.exception
        # a failed copy counts as not started: its cause is then read from the
        # exception's class alone (a refused connection is 'unreachable')
        records.append(
            HostRecord(host, exit_code=None if exc is not None else 0,
                       exception=portable(exc, host, task.number), started=exc is None)
        )  # fmt: skip
    return records


def worker_pid() -> int:
    """The worker's process id (for tests and diagnostics)."""
    return os.getpid()
