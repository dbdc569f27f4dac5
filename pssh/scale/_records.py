"""What a worker sends back for one host, and the byte-capped line sinks
that build it.

A shard's result crosses a process (or machine) boundary, so it is plain
data: :class:`HostRecord` holds lists of lines, the exit code, the exception
and two flags saying whether the command started and ended. The driver turns
records into :class:`~pssh.scale.ShardedHostOutput` objects.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import IO

DEFAULT_MAX_OUTPUT_BYTES = 256 * 1024
"""Bytes of output (stdout and stderr together, newlines counted) a host's
result carries back by default: 20,000 hosts at the cap are about 5 GiB."""

CUT_MARKER = "[pssh.scale: output cut at %d bytes: %d more line(s), %d byte(s) not kept]"
"""The last line of a stream whose output was cut (``%`` the cap, the lines
and the bytes left out)."""


@dataclass
class HostRecord:
    """One host's result, as a worker returns it."""

    host: str
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    exit_code: int | None = None
    exception: BaseException | None = None
    started: bool = False
    """A channel was opened: the command was sent to the host."""
    ended: bool = True
    """The command was over when the shard returned (``False``: still
    running after ``join_timeout``)."""
    cut: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Stream name -> (lines, bytes) left out by the byte cap."""
    files: dict[str, str] | None = None
    """Stream name -> path of the full output on the worker's disk, with
    ``output_dir``."""


class Budget:
    """The bytes one host may still send back, shared by its two streams."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.left = limit

    def take(self, size: int) -> bool:
        """Whether ``size`` more bytes fit; if so they are spent."""
        if self.left is None:
            return True
        if size > self.left:
            self.left = 0  # nothing after the first cut line, to keep order
            return False
        self.left -= size
        return True


class LineSink:
    """Keeps the lines of one stream of one host within a :class:`Budget`,
    counting what it leaves out, and writes every line to ``file`` if given.

    :param budget: the host's shared budget.
    :param file: an open text file for the full output, or ``None``.
    """

    def __init__(self, budget: Budget, file: IO[str] | None = None) -> None:
        self.budget = budget
        self.file = file
        self.lines: list[str] = []
        self.cut_lines = 0
        self.cut_bytes = 0

    def add(self, line: str) -> None:
        size = len(line.encode("utf-8", "surrogateescape")) + 1
        if self.file is not None:
            self.file.write(line + "\n")
        if not self.cut_lines and self.budget.take(size):
            self.lines.append(line)
            return
        self.cut_lines += 1
        self.cut_bytes += size

    def result(self) -> list[str]:
        """The kept lines, ending with :data:`CUT_MARKER` if any were cut."""
        if not self.cut_lines:
            return self.lines
        marker = CUT_MARKER % (self.budget.limit or 0, self.cut_lines, self.cut_bytes)
        return self.lines + [marker]


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def output_paths(output_dir: str, index: int, host: str) -> dict[str, str]:
    """Where host number ``index`` (in the whole host list) writes its
    streams: ``<output_dir>/<index>-<host>.stdout`` (and ``.stderr``); the
    index keeps a host listed twice, or two names that clean up alike,
    apart."""
    base = os.path.join(output_dir, "%05d-%s" % (index, _UNSAFE.sub("_", host)[:200]))
    return {"stdout": base + ".stdout", "stderr": base + ".stderr"}


def open_private(path: str) -> IO[str]:
    """Open ``path`` for writing, readable by its owner only (command output
    may hold secrets)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape")
