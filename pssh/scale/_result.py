"""The result of a sharded run, as the caller sees it: one
:class:`ShardedHostOutput` per host in a :class:`ShardedOutput` keyed by
host, shaped like ``run_command``'s output after ``join``.

:func:`pssh.summary.summarize` and :func:`pssh.summary.gather` read these
objects as they read a client's: the host's ``exception``, ``exit_code``, and
whether a command was started (``channel``) and is over. A sharded output's
command ran on a worker, so ``channel`` is a :class:`RemoteChannel` record
of it (``None`` when no command was started) and nothing here touches the
network.
"""

from __future__ import annotations

from typing import Any

from ..output import HostOutput
from ..summary import Summary, summarize
from ._records import HostRecord


class RemoteChannel:
    """Stands for the channel a worker opened for a host's command: the
    channel itself stayed (and was closed) on the worker.

    :param ended: whether the command was over when the shard returned.
    """

    __slots__ = ("ended",)

    def __init__(self, ended: bool) -> None:
        self.ended = ended

    def __repr__(self) -> str:
        return "RemoteChannel(ended=%r)" % (self.ended,)


class _RecordedStatus:
    """Answers the two questions a host output asks its client, from what
    the worker recorded, so that code written for a live output (the fleet
    summary) reads a sharded one the same way."""

    @staticmethod
    def finished(channel: RemoteChannel) -> bool:
        return channel.ended

    @staticmethod
    def get_exit_status(channel: RemoteChannel) -> None:
        return None  # the worker's exit code is already set when there is one


class ShardedHostOutput(HostOutput):
    """One host's result of a sharded run: a
    :class:`~pssh.output.HostOutput` whose ``stdout`` and ``stderr`` are
    lists of lines (read on the worker; iterate them as usual), with
    ``exit_code`` and ``exception`` set. ``cmd`` and ``stdin`` are ``None``.

    Extra attributes: ``shard`` (the shard's number, 0 = first);
    ``truncated`` (``True`` when the byte cap cut the output: the cut stream
    ends with a :data:`~pssh.scale.CUT_MARKER` line) and ``cut`` (stream name
    -> ``(lines, bytes)`` left out); ``output_files`` (stream name -> path of
    the full output on the worker's disk, with ``output_dir``, else
    ``None``).
    """

    __slots__ = ("shard", "cut", "output_files")

    shard: int
    cut: dict[str, tuple[int, int]]
    output_files: dict[str, str] | None

    def __init__(self, record: HostRecord, shard: int) -> None:
        channel = RemoteChannel(record.ended) if record.started else None
        super().__init__(
            record.host, None, channel, list(record.stdout), list(record.stderr), None,
            exit_code=record.exit_code, exception=record.exception,
        )  # fmt: skip
        if channel is not None:
            object.__setattr__(self, "_client", _RecordedStatus())
        object.__setattr__(self, "shard", shard)
        object.__setattr__(self, "cut", dict(record.cut))
        object.__setattr__(self, "output_files", record.files)

    @property
    def truncated(self) -> bool:
        """Whether the byte cap cut this host's output."""
        return bool(self.cut)


class ShardedOutput(dict):
    """Host -> :class:`ShardedHostOutput`, in the order of the host list (a
    host listed again is keyed ``host_1``, ``host_2``..., as by ``run_command``).

    ``shards`` lists each shard's hosts; :meth:`summary` is the fleet
    summary (:func:`pssh.summary.summarize`).
    """

    shards: list[list[str]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shards = []

    def add(self, host_out: ShardedHostOutput) -> str:
        """Add ``host_out`` under its host name, or ``host_1``, ``host_2``...
        for a host listed again (the keys ``run_command`` gives); return the
        key."""
        from ..clients._tasks import dedupe_key  # the one rule; the clients load lazily

        key = dedupe_key(host_out.host, self)
        self[key] = host_out
        return key

    def summary(self) -> Summary:
        """Which hosts succeeded and why each other one failed.

        :rtype: :class:`pssh.summary.Summary`
        """
        return summarize(self)
