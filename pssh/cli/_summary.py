"""Per-host results, what each failure is counted as, the closing summary and the exit status.

Causes are :mod:`pssh.summary`'s (one classification for the library and the
command line), in the order the summary lists them:

``unreachable``  the host could not be connected to: unknown name, refused, no
                 answer within the connect timeout, proxy failure, SSH handshake error
``auth``         every authentication method was refused
``host_key``     the host's key is unknown or does not match known_hosts
``timeout``      the command (or copy) ran longer than ``--timeout``
``exit``         the command exited non-zero (or was killed by a signal)
``error``        anything else after connecting (connection lost, a copy error...)
``not_started``  never started: ``--max-failures`` stopped a ``--batches`` rollout

The first three mean the host never ran anything and give exit status
:data:`EXIT_UNREACHABLE`; the others give :data:`EXIT_FAILED`.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from typing import Any

from ..hostlist import fold
from ..summary import CAUSES, CONNECT_CAUSES, exception_cause
from ._hosts import HostSpec

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_UNREACHABLE = 2
EXIT_USAGE = 3
EXIT_INTERRUPTED = 130

CAUSE_LABELS = {
    "unreachable": "unreachable",
    "auth": "authentication failed",
    "host_key": "host key rejected",
    "timeout": "timed out",
    "exit": "non-zero exit",
    "error": "error",
    "not_started": "not started",
}
"""How the summary names each cause of :data:`pssh.summary.CAUSES`."""

EXIT_STATUS_HELP = """\
exit status:
  0    every host succeeded
  1    every host was reached, but on some the command exited non-zero, timed out
       or failed (copy: some copies failed), or --max-failures left hosts
       not started
  2    some hosts could not be reached: unreachable, authentication or host key
       failure (takes precedence over 1)
  3    usage error: bad option, no hosts, unreadable hosts file or key
  -S   with -S (--largest-exit): the largest exit code of the remote commands,
       255 for a host that ran none to its end (usage errors still 3)
  130  interrupted (Ctrl-C)"""


class CommandTimedOut(Exception):
    """A host's command or copy outlived ``-t``; the message says what became
    of the remote command.

    :param fate: ``None`` (left running), ``'ended'`` (it ended on the
      signal), ``'closed'``/``'hung up'`` (its channel was closed after
      ``grace`` seconds, without/with a PTY) or ``'stopped'`` (a copy, which
      pssh itself carries out)
    """

    def __init__(self, seconds: float, fate: str | None = None, grace: float = 0) -> None:
        head = f"still running after {seconds:g}s"
        if fate is None:
            text = (f"{head}; pssh stopped waiting and left the remote command running "
                    "(--cancel-on-timeout stops it)")  # fmt: skip
        elif fate == "ended":
            text = f"{head}; sent SIGTERM (--cancel-on-timeout): the remote command ended"
        elif fate == "stopped":
            text = f"{head}; the copy was stopped"
        else:
            text = (f"{head}; sent SIGTERM (--cancel-on-timeout), the remote command had not "
                    f"ended {grace:g}s later: its channel was closed")  # fmt: skip
            if fate == "hung up":
                text += ", which hangs up its terminal"
            else:
                text += " (without --pty the command may still be running)"
        super().__init__(text)
        self.seconds = seconds
        self.fate = fate


def connect_cause(exc: BaseException) -> str:
    """The cause for an error met while connecting (before anything ran).

    :rtype: str
    """
    cause = exception_cause(exc, started=False)
    return "unreachable" if cause in ("error", "timeout") else cause


_KEY_BLOCK = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)", re.S
)


def describe_error(exc: BaseException) -> str:
    """A one-line description of an exception for people (and ``--json``).

    pssh's own exceptions never hold a key's text; one from elsewhere might,
    so any private key block is cut out before the text is shown or written.
    """
    from ._wording import cli_words

    text = _KEY_BLOCK.sub("[private key removed]", str(exc))
    text = cli_words(" ".join(text.split()))
    return text or type(exc).__name__


@dataclass
class HostResult:
    """What happened on one host."""

    spec: HostSpec
    cause: str | None = None  # None = success; else one of CAUSES
    exit_code: int | None = None
    error: BaseException | None = None
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    started_at: float = field(default_factory=time.time)
    t_start: float = field(default_factory=time.monotonic)
    t_end: float | None = None
    t_started: float | None = None  # when the command started (connected and logged in)
    connected: bool = False
    done: bool = False

    @property
    def label(self) -> str:
        return self.spec.label

    @property
    def ok(self) -> bool:
        return self.done and self.cause is None

    def reset_clock(self) -> None:
        """The host's job starts now (it may have waited for a pool slot)."""
        self.started_at = time.time()
        self.t_start = time.monotonic()

    def command_started(self) -> None:
        """The host's command has started: connecting and logging in are over."""
        self.t_started = time.monotonic()
        self.connected = True

    def fail(self, cause: str, error: BaseException | None = None) -> None:
        self.cause = cause
        self.error = error

    def finish(self) -> None:
        self.t_end = time.monotonic()
        self.done = True

    @property
    def elapsed(self) -> float:
        end = self.t_end if self.t_end is not None else time.monotonic()
        return end - self.t_start

    def status_text(self) -> str:
        """``ok``, ``exit 3``, ``unreachable: <message>`` ..."""
        if self.cause is None:
            return "ok"
        if self.cause == "exit":
            return "exit %s" % ("signal" if self.exit_code is None else self.exit_code)
        text = CAUSE_LABELS[self.cause]
        if self.error is not None:
            text = f"{text}: {describe_error(self.error)}"
        return text

    def failure_text(self) -> str:
        """The failure in words, for a message line (``exited with code 3`` ...)."""
        if self.cause == "exit":
            if self.exit_code is None:
                return "command ended without an exit code (killed by a signal?)"
            return f"command exited with code {self.exit_code}"
        return self.status_text()

    def record(self) -> dict[str, Any]:
        """The JSON record for ``--json``."""
        error = None
        if self.error is not None or self.cause not in (None, "exit"):
            error = {
                "cause": self.cause,
                "type": type(self.error).__name__ if self.error is not None else None,
                "message": describe_error(self.error) if self.error is not None else None,
            }
        started, end = self.t_started, self.t_end
        return {
            "host": self.spec.host,
            "label": self.label,
            "user": self.spec.user,
            "port": self.spec.port,
            "ok": self.ok,
            "exit_code": self.exit_code,
            "stdout": "".join(line + "\n" for line in self.stdout),
            "stderr": "".join(line + "\n" for line in self.stderr),
            "error": error,
            "timings": {
                "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started_at)),
                # connecting and logging in, then the command (null: it never started)
                "connect": _round(None if started is None else started - self.t_start),
                "command": _round(None if started is None or end is None else end - started),
                "total": _round(self.elapsed),
            },
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def exit_status(results: list[HostResult], largest: bool = False) -> int:
    """The process exit status for a finished run (see :data:`EXIT_STATUS_HELP`).

    :param largest: ``-S``: the largest remote exit code instead, a host that
      ran no command to its end counting as 255 (what ``ssh`` exits with when
      it cannot run one); a command killed by a signal counts as 255 too
    :rtype: int
    """
    if largest:
        codes = [0]
        for r in results:
            if r.cause is None:
                continue
            code = r.exit_code if r.cause == "exit" else None
            codes.append(255 if code is None or not 0 <= code <= 255 else code)
        return max(codes)
    causes = {r.cause for r in results if not r.ok}
    if causes & set(CONNECT_CAUSES):
        return EXIT_UNREACHABLE
    if causes:
        return EXIT_FAILED
    return EXIT_OK


def summary_lines(
    results: list[HostResult], interrupted: bool = False, stopped: tuple[int, int] | None = None
) -> list[str]:
    """The closing summary: a count line, then one line per cause naming the
    failed hosts (folded into ranges).

    :rtype: list[str]
    """
    total = len(results)
    ok = sum(1 for r in results if r.ok)
    by_cause: dict[str, list[str]] = {}
    for r in results:
        if r.done and r.cause is not None:
            by_cause.setdefault(r.cause, []).append(r.label)
    failed = sum(len(v) for v in by_cause.values())
    pending = total - ok - failed
    head = f"{total} host{'' if total == 1 else 's'}: {ok} ok"
    if failed:
        counts = ", ".join(_count(len(by_cause[c]), c) for c in CAUSES if c in by_cause)
        head += f", {failed} failed ({counts})"
    if pending:
        head += f", {pending} not finished"
    if stopped is not None:
        head += " - rollout stopped after batch {} of {} (--max-failures)".format(*stopped)
    if interrupted:
        head += " - interrupted"
    lines = [head]
    width = max((len(CAUSE_LABELS[c]) for c in by_cause), default=0)
    for cause in CAUSES:
        if cause in by_cause:
            label = (CAUSE_LABELS[cause] + ":").ljust(width + 1)
            lines.append(f"  {label} {fold(by_cause[cause])}")
    return lines


def _count(number: int, cause: str) -> str:
    plural = "s" if cause == "error" and number > 1 else ""
    return f"{number} {CAUSE_LABELS[cause]}{plural}"


def write_failed_hosts(path: str, results: list[HostResult]) -> None:
    """Write the failed (and unfinished) hosts' specs to ``path``, one per line,
    ready for ``-h path``. An empty file means nothing failed.

    :raises: :py:class:`OSError` when the file cannot be written.
    """
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        for r in results:
            if not r.ok:
                fh.write(r.label + "\n")
    os.replace(tmp, path)
