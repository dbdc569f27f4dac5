"""What happened on a fleet: per-host causes of failure, and identical outputs gathered.

:func:`summarize` answers "which hosts failed, and why" for an output
dictionary (from ``run_command``, ``run_in_batches`` or ``rerun``);
:func:`gather` answers "what did the hosts say", showing hosts with the same
output once, as a folded name like ``web[01-20,33]``, and how the others
differ from the majority. The ``pssh`` command line tool prints its closing
summary and its ``-g`` blocks with the same code.

Causes
------

=================  ====================================================================
``'unreachable'``  never connected: the name does not resolve, the port refuses, no
                   answer within the connect timeout, the proxy is down, the SSH
                   handshake fails
``'auth'``         every authentication method was refused
``'host_key'``     the host key is unknown (strict policy), changed or revoked
``'timeout'``      the command had not ended: ``join`` timed out, or a read timed out
``'exit'``         the command ended with a non-zero exit code (``.exit_code``; ``None``
                   when it was killed by a signal)
``'error'``        anything else (connection lost while running, channel refused...)
``'not_started'``  never tried: a batch rollout stopped before the host's batch
                   (:class:`~pssh.exceptions.NotStartedError`)
=================  ====================================================================

Causes are decided by the exception's class (see :mod:`pssh.exceptions` and the
failure table ``pssh.clients._failures.TABLE``) and by whether the command
had started: a :class:`~pssh.exceptions.Timeout` or a
:class:`~pssh.exceptions.ConnectionErrorException` met before any command ran
means the host was unreachable; met after, a timeout or an error.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .exceptions import (
    AuthenticationException,
    ConnectionErrorException,
    HostKeyError,
    NotStartedError,
    ProxyError,
    PSSHError,
    SSHProtocolError,
    Timeout,
    UnknownHostException,
)
from .hostlist import fold

CAUSES = ("unreachable", "auth", "host_key", "timeout", "exit", "error", "not_started")
"""Every cause, in the order summaries list them."""
CONNECT_CAUSES = ("unreachable", "auth", "host_key")
"""Causes that mean the host never ran anything."""


class Cause(str):
    """A failure cause: a string from :data:`CAUSES` (``failed[host] == 'exit'``)
    that also carries ``exit_code`` (for ``'exit'``) and ``exception``."""

    exit_code: int | None
    exception: BaseException | None

    def __new__(
        cls, kind: str, exit_code: int | None = None, exception: BaseException | None = None
    ) -> Cause:
        if kind not in CAUSES:
            raise ValueError("Unknown cause %r" % (kind,))
        self = super().__new__(cls, kind)
        self.exit_code = exit_code
        self.exception = exception
        return self

    def __repr__(self) -> str:
        if self == "exit":
            return "Cause('exit', exit_code=%r)" % (self.exit_code,)
        return "Cause(%r)" % (str(self),)


def exception_cause(exc: BaseException, started: bool) -> str:
    """The cause for exception ``exc``; ``started`` tells whether the host's
    command had started (a channel was open) when it was raised.

    :rtype: str
    """
    if isinstance(exc, NotStartedError):
        return "not_started"
    if isinstance(exc, HostKeyError):
        return "host_key"
    if isinstance(exc, AuthenticationException):
        return "auth"
    if isinstance(exc, (UnknownHostException, ProxyError)):
        return "unreachable"
    if isinstance(exc, (Timeout, TimeoutError)):
        return "timeout" if started else "unreachable"
    if isinstance(exc, SSHProtocolError) and not started:
        return "unreachable"  # the SSH handshake failed (no common algorithm...)
    if isinstance(exc, ConnectionErrorException) or (
        isinstance(exc, OSError) and not isinstance(exc, PSSHError)
    ):
        return "error" if started else "unreachable"
    return "error"


def host_cause(host_out: Any) -> Cause | None:
    """The failure cause of one :class:`~pssh.output.HostOutput`, ``None`` for
    a success. Never waits: a command still running counts as ``'timeout'``
    (summaries are meant for after ``join``).

    :rtype: Cause or None
    """
    exc = getattr(host_out, "exception", None)
    channel = getattr(host_out, "channel", None)
    if exc is not None:
        return Cause(exception_cause(exc, channel is not None), exception=exc)
    code = host_out.exit_code
    if code == 0:
        return None
    if code is None and not _ended(host_out):
        return Cause("timeout")
    return Cause("exit", exit_code=code)


def _ended(host_out: Any) -> bool:
    client = getattr(host_out, "_client", None)
    channel = getattr(host_out, "channel", None)
    if client is None or channel is None:
        return channel is None
    try:
        return bool(client.finished(channel))
    except Exception:  # noqa: BLE001 - a lost connection: the command is over for us
        return True


@dataclass
class Summary:
    """What :func:`summarize` returns."""

    succeeded: list[str] = field(default_factory=list)
    """Output keys (host names) whose command exited 0, in output order."""
    failed: dict[str, Cause] = field(default_factory=dict)
    """Output key -> :class:`Cause`, in output order."""
    counts: dict[str, int] = field(default_factory=dict)
    """Cause -> number of hosts, only causes that occurred, in :data:`CAUSES` order."""
    stopped_batch: int | None = None
    """For a ``run_in_batches`` output: the batch (1 = first) after which the
    failure budget was spent and the rollout stopped; else ``None``."""
    batches: int | None = None
    """For a ``run_in_batches`` output: how many batches were planned."""

    @property
    def total(self) -> int:
        return len(self.succeeded) + len(self.failed)

    @property
    def ok(self) -> bool:
        """Whether every host succeeded."""
        return not self.failed

    def hosts(self, cause: str) -> list[str]:
        """The hosts that failed with ``cause``."""
        return [host for host, why in self.failed.items() if why == cause]

    def lines(self) -> list[str]:
        """The summary for people: a count line, then one line per cause with
        its hosts folded (``exit: web[03,07]``)."""
        head = f"{self.total} host{'' if self.total == 1 else 's'}: {len(self.succeeded)} ok"
        if self.failed:
            counts = ", ".join(f"{n} {cause}" for cause, n in self.counts.items())
            head += f", {len(self.failed)} failed ({counts})"
        if self.stopped_batch is not None:
            head += f"; rollout stopped after batch {self.stopped_batch} of {self.batches}"
        return [head] + [f"  {cause}: {fold(self.hosts(cause))}" for cause in self.counts]


def summarize(output: Mapping[str, Any]) -> Summary:
    """Which hosts of ``output`` succeeded and why each other one failed.

    Call it after ``join`` (or after reading every host's output): it does not
    wait, and a command that has not ended counts as ``'timeout'``.

    :param output: host -> :class:`~pssh.output.HostOutput`, as
      ``run_command``, ``run_in_batches`` and ``rerun`` return
    :rtype: :class:`Summary`
    """
    summary = Summary()
    for key, host_out in output.items():
        cause = host_cause(host_out)
        if cause is None:
            summary.succeeded.append(key)
        else:
            summary.failed[key] = cause
    for kind in CAUSES:
        number = sum(1 for why in summary.failed.values() if why == kind)
        if number:
            summary.counts[kind] = number
    summary.stopped_batch = getattr(output, "stopped_batch", None)
    batches = getattr(output, "batches", None)
    summary.batches = len(batches) if batches is not None else None
    return summary


# -- gathering -----------------------------------------------------------------------


@dataclass
class Record:
    """One host's result as :func:`group` compares it."""

    host: str
    stdout: list[str]
    stderr: list[str]
    exit_code: int | None
    cause: str | None = None
    """``None`` for a success, else a cause from :data:`CAUSES`."""
    message: str = ""
    """The error's text with the host's name replaced by ``<host>``, so that
    the same failure on several hosts groups together."""


@dataclass
class Group:
    """Hosts whose stdout, stderr, exit code (and failure, if any) are identical."""

    hosts: list[str]
    label: str
    """The hosts folded: ``web[01-20,33]``."""
    stdout: list[str]
    stderr: list[str]
    exit_code: int | None
    cause: str | None
    message: str
    diff: list[str] | None = None
    """For every group but the largest: a unified diff (lines without
    newlines) from the largest group's output to this one's, see
    :func:`render`. ``None`` for the largest group."""


def render(item: Record | Group) -> list[str]:
    """The lines a diff compares: stdout lines as they are, stderr lines after
    ``[stderr]``, and last the outcome (``[exit 3]``, ``[auth: message]``)."""
    lines = list(item.stdout)
    lines += [f"[stderr] {line}" for line in item.stderr]
    if item.cause is None or item.cause == "exit":
        lines.append(f"[exit {item.exit_code}]")
    else:
        lines.append(f"[{item.cause}: {item.message}]" if item.message else f"[{item.cause}]")
    return lines


def group(records: Iterable[Record]) -> list[Group]:
    """Group identical records, largest group first (ties in order of first
    appearance), each with its hosts folded and a diff against the largest.

    :rtype: list[Group]
    """
    buckets: dict[tuple, list[Record]] = {}
    for rec in records:
        key = (tuple(rec.stdout), tuple(rec.stderr), rec.exit_code, rec.cause, rec.message)
        buckets.setdefault(key, []).append(rec)
    ordered = sorted(buckets.values(), key=len, reverse=True)  # stable
    groups = []
    for members in ordered:
        first = members[0]
        hosts = [rec.host for rec in members]
        groups.append(Group(hosts, fold(hosts), first.stdout, first.stderr, first.exit_code,
                            first.cause, first.message))  # fmt: skip
    if groups:
        base = render(groups[0])
        for grp in groups[1:]:
            grp.diff = list(
                difflib.unified_diff(base, render(grp), groups[0].label, grp.label, lineterm="")
            )
    return groups


def _message(exc: BaseException | None, host: str) -> str:
    if exc is None:
        return ""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text.replace(host, "<host>") if host else text


def _is_iterator(lines: Any) -> bool:
    return lines is not None and iter(lines) is lines


def gather(output: Mapping[str, Any], timeout: float | None = None) -> list[Group]:
    """Group the hosts of ``output`` whose stdout, stderr and exit code (and
    failure) are identical, largest group first.

    Output lines not yet read are read here, to the end of each command (both
    streams of a host at once, all hosts at once). Afterwards each host's
    ``stdout`` and ``stderr`` are fresh iterators over the lines read, so the
    output can still be read once as usual (or gathered again). Lines already
    read before the call are not seen: gather before reading, or read yourself
    and build :class:`Record` objects for :func:`group`. All lines are held in
    memory while grouping.

    :param output: host -> :class:`~pssh.output.HostOutput`
    :param timeout: seconds to wait for all commands to end; on expiry
      :class:`~pssh.exceptions.Timeout` names the hosts still running. Their
      streams then hold the lines read so far; the rest of their output is
      given up (as with ``join(timeout=...)``, the command keeps running)
    :rtype: list of :class:`Group`
    """
    lines = _read_all(output, timeout)
    records = []
    for key, host_out in output.items():
        stdout, stderr = lines[key]
        cause = host_cause(host_out)
        exc = getattr(host_out, "exception", None)
        records.append(
            Record(key, stdout, stderr, None if exc is not None else host_out.exit_code,
                   None if cause is None else str(cause), _message(exc, host_out.host))
        )  # fmt: skip
    return group(records)


def _read_all(output: Mapping[str, Any], timeout: float | None) -> dict[str, tuple]:
    read: dict[str, tuple[list[str], list[str]]] = {key: ([], []) for key in output}
    readers = []
    for key, host_out in output.items():
        for index, name in enumerate(("stdout", "stderr")):
            stream = getattr(host_out, name, None)
            if stream is None:
                continue
            if not _is_iterator(stream):
                read[key][index].extend(stream)
                continue
            readers.append((key, host_out, name, stream, read[key][index]))
    if readers:
        import gevent  # only when there is something to wait for

        tasks = [gevent.spawn(_drain, stream, sink) for _, _, _, stream, sink in readers]
        done = gevent.joinall(tasks, timeout=timeout)
        late = sorted({readers[i][0] for i, task in enumerate(tasks) if task not in done})
        gevent.killall([task for task in tasks if task not in done])
        for _key, host_out, name, _, sink in readers:
            setattr(host_out, name, iter(list(sink)))
        for task in tasks:
            if task.ready() and task.exception is not None:
                raise task.exception
        if late:
            raise Timeout(
                "Commands on %s host(s) still running after %s seconds: %s",
                len(late), timeout, ", ".join(late[:10]),
                host=late[0] if len(late) == 1 else None,
            )  # fmt: skip
    return read


def _drain(stream: Any, sink: list[str]) -> None:
    for line in stream:
        sink.append(line)


__all__ = [
    "CAUSES",
    "CONNECT_CAUSES",
    "Cause",
    "Group",
    "Record",
    "Summary",
    "exception_cause",
    "gather",
    "group",
    "host_cause",
    "render",
    "summarize",
]
