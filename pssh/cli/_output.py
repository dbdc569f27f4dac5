"""Output modes: how each host's lines and result reach the person (or program) at the other end.

A display gets three calls from the runner: :meth:`Display.line` for every line
as it arrives (from the host's stdout or stderr reader greenlet),
:meth:`Display.host_done` when a host has finished, and :meth:`Display.finish`
once all have. Modes that print whole blocks set ``wants_buffers`` so the
runner keeps each host's lines in its :class:`~pssh.cli._summary.HostResult`.

============== ===============================================================
live           ``host: line`` as lines arrive (stderr lines to stderr); default
inline         each host's output as one block when it finishes (``-i``)
gather         hosts with identical output and status as one block (``-g``/``-B``)
gather_stdout  the same for stdout only; stderr lines live (``-b``)
diff           gathered, minority groups as diffs against the largest (``--diff``)
json           one JSON object per host per line when it finishes (``--json``)
status         one status line per host (default when only writing files)
============== ===============================================================

Standard error lines carry their host (or their group's hosts) in every mode
but ``json``, unless ``-N`` turns every prefix and block header off.
:class:`HostFiles` (``--outdir``/``--errdir``) works alongside any of them.
"""

from __future__ import annotations

import json
import os
from typing import IO

from ..summary import Record, group
from ._console import BOLD, GREEN, RED, Console
from ._summary import HostResult, describe_error


class Display:
    """Base output mode: prints nothing."""

    wants_buffers = False

    def __init__(self, console: Console, prefix: bool = True) -> None:
        self.console = console
        self.prefix = prefix

    def tagged(self, label: str, text: str, err: bool) -> str:
        """``label: text`` (the label coloured), or ``text`` alone with ``-N``."""
        if not self.prefix:
            return text + "\n"
        return f"{self.console.host(label, err=err)}: {text}\n"

    def line(self, result: HostResult, stream: str, text: str) -> None:
        """A line (without its newline) from ``stream`` (``out`` or ``err``)."""

    def host_done(self, result: HostResult) -> None:
        """``result`` is complete."""

    def finish(self, results: list[HostResult]) -> None:
        """Every host is complete (or the run was interrupted)."""

    def report_failure(self, result: HostResult) -> None:
        if not result.ok:
            self.console.message(f"{result.label}: {result.failure_text()}", RED)


class LiveDisplay(Display):
    """``host: line`` as each line arrives; failures reported as they happen."""

    def line(self, result: HostResult, stream: str, text: str) -> None:
        if stream == "out":
            self.console.write_out(self.tagged(result.label, text, False))
        else:
            self.console.write_err(self.tagged(result.label, text, True))

    def host_done(self, result: HostResult) -> None:
        self.report_failure(result)


class StatusDisplay(Display):
    """One line per host when it finishes (used when output goes to files)."""

    def host_done(self, result: HostResult) -> None:
        c = self.console
        status = c.paint(result.status_text(), GREEN if result.ok else RED)
        c.write_out(f"{c.host(result.label)}: {status} ({result.elapsed:.2f}s)\n")


class _BlockDisplay(Display):
    wants_buffers = True

    def __init__(self, console: Console, prefix: bool = True) -> None:
        super().__init__(console, prefix)
        self._blocks = 0

    def block(
        self, title: str, status: str, ok: bool, stdout: list[str], stderr: list[str],
        label: str = "",
    ) -> None:  # fmt: skip
        """A block on stdout (``==> title <== status`` then the lines), its
        stderr lines on stderr, each with ``label`` (the host or hosts)."""
        c = self.console
        text = ""
        if self.prefix:
            head = "{} {} {} {}".format(
                c.paint("==>", BOLD), c.host(title), c.paint("<==", BOLD),
                c.paint(status, GREEN if ok else RED),
            )  # fmt: skip
            text = ("\n" if self._blocks else "") + head + "\n"
        self._blocks += 1
        c.write_out(text + "".join(line + "\n" for line in stdout))
        if stderr:
            c.write_err("".join(self.tagged(label or title, line, True) for line in stderr))


class InlineDisplay(_BlockDisplay):
    """Each host's output as one block, in the order hosts finish."""

    def host_done(self, result: HostResult) -> None:
        status = result.status_text()
        if result.connected:
            status += f", {result.elapsed:.2f}s"
        self.block(result.label, status, result.ok, result.stdout, result.stderr)


class GatherDisplay(_BlockDisplay):
    """Hosts with identical output and status grouped, largest group first
    (the grouping is :func:`pssh.summary.group`, as for the library's
    :func:`pssh.summary.gather`).

    :param with_stderr: stderr is part of what is compared (``-g``/``-B``);
      else (``-b``) stderr lines are shown as they arrive, with their host
    :param diff: ``--diff``: each group after the largest as a unified diff
      against it
    """

    def __init__(
        self, console: Console, prefix: bool = True, with_stderr: bool = True, diff: bool = False
    ) -> None:
        super().__init__(console, prefix)
        self.with_stderr = with_stderr
        self.diff = diff

    def line(self, result: HostResult, stream: str, text: str) -> None:
        if stream == "err" and not self.with_stderr:
            self.console.write_err(self.tagged(result.label, text, True))

    def finish(self, results: list[HostResult]) -> None:
        done = [result for result in results if result.done]
        by_label = {result.label: result for result in done}
        for number, grp in enumerate(group(self._record(result) for result in done)):
            first = by_label[grp.hosts[0]]
            title = f"{grp.label} ({len(grp.hosts)})"
            status = first.status_text()
            if first.error is not None and len(grp.hosts) > 1:
                status = "{}: {}".format(status.split(":", 1)[0], grp.message)
            if self.diff and number and grp.diff is not None:
                self.block(title, status, first.ok, grp.diff, [])
            else:
                self.block(title, status, first.ok, grp.stdout, grp.stderr, grp.label)

    def _record(self, result: HostResult) -> Record:
        """What :func:`pssh.summary.group` compares: a host that never
        connected has no output or exit code, only its failure."""
        message = _generic_message(result)
        if result.error is not None and not result.connected:
            return Record(result.label, [], [], None, result.cause, message)
        stderr = result.stderr if self.with_stderr else []
        return Record(result.label, result.stdout, stderr, result.exit_code, result.cause,
                      message)  # fmt: skip


def _generic_message(result: HostResult) -> str:
    message = describe_error(result.error) if result.error is not None else ""
    return message.replace(result.spec.host, "<host>")


class JsonDisplay(Display):
    """One JSON object per host, on its own line, as each host finishes."""

    wants_buffers = True

    def host_done(self, result: HostResult) -> None:
        self.console.write_out(json.dumps(result.record(), ensure_ascii=False) + "\n")


class HostFiles(Display):
    """``--outdir``/``--errdir``: each host's stdout/stderr in a file named
    after it, written as lines arrive. Hosts that ran get a file even when
    they printed nothing."""

    def __init__(self, console: Console, outdir: str | None, errdir: str | None) -> None:
        super().__init__(console, False)
        self.dirs = {"out": outdir, "err": errdir}
        self._open: dict[tuple[str, str], IO[str]] = {}

    @staticmethod
    def filename(label: str) -> str:
        return label.replace(os.sep, "_")

    def _file(self, result: HostResult, stream: str) -> IO[str] | None:
        directory = self.dirs[stream]
        if directory is None:
            return None
        key = (result.label, stream)
        fh = self._open.get(key)
        if fh is None:
            path = os.path.join(directory, self.filename(result.label))
            fh = self._open[key] = open(path, "w", encoding="utf-8")  # noqa: SIM115
        return fh

    def line(self, result: HostResult, stream: str, text: str) -> None:
        fh = self._file(result, stream)
        if fh is not None:
            fh.write(text + "\n")

    def host_done(self, result: HostResult) -> None:
        if result.connected:
            for stream in ("out", "err"):
                self._file(result, stream)
        for stream in ("out", "err"):
            fh = self._open.pop((result.label, stream), None)
            if fh is not None:
                fh.close()

    def finish(self, results: list[HostResult]) -> None:
        for fh in self._open.values():
            fh.close()
        self._open.clear()


class Displays(Display):
    """Several displays fed the same events."""

    def __init__(self, console: Console, displays: list[Display]) -> None:
        super().__init__(console, False)
        self.displays = displays
        self.wants_buffers = any(d.wants_buffers for d in displays)

    def line(self, result: HostResult, stream: str, text: str) -> None:
        for d in self.displays:
            d.line(result, stream, text)

    def host_done(self, result: HostResult) -> None:
        for d in self.displays:
            d.host_done(result)

    def finish(self, results: list[HostResult]) -> None:
        for d in self.displays:
            d.finish(results)


MODES = ("live", "inline", "gather", "gather_stdout", "diff", "json", "status")


def _mode(console: Console, mode: str, prefix: bool) -> Display:
    if mode == "gather_stdout":
        return GatherDisplay(console, prefix, with_stderr=False)
    if mode == "diff":
        return GatherDisplay(console, prefix, diff=True)
    kinds: dict[str, type[Display]] = {
        "live": LiveDisplay, "inline": InlineDisplay, "gather": GatherDisplay,
        "json": JsonDisplay, "status": StatusDisplay,
    }  # fmt: skip
    return kinds[mode](console, prefix)


def make_display(
    console: Console, mode: str, outdir: str | None = None, errdir: str | None = None,
    prefix: bool = True,
) -> Display:  # fmt: skip
    """The display for ``mode`` (one of :data:`MODES`), plus host files.

    :param prefix: ``False`` (``-N``): no ``host:`` prefixes, no block headers
    """
    displays: list[Display] = [_mode(console, mode, prefix)]
    if outdir or errdir:
        displays.append(HostFiles(console, outdir, errdir))
    return Displays(console, displays)
