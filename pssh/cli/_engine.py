"""Running a job on every host through one parallel client, and reporting hosts as they finish.

A run is one :class:`pssh.clients.ParallelSSHClient` for all its hosts (see
:mod:`pssh.cli._client`). For a command, ``run_command(on_line=...,
on_finished=...)`` has the client read every host's output itself: each line
reaches the display as it arrives, with its host, and each host is reported as
soon as its command ends, in completion order. ``-t`` is ``join(timeout=...)``:
it counts from the moment every host's command has started, and the commands
still running then are reported as timed out - left running, or with
``--cancel-on-timeout`` stopped with :meth:`cancel` (SSH signal ``TERM``, then
the channel closed after :data:`GRACE` seconds). A copy is the client's
``copy_file``/``copy_remote_file`` greenlets, each host reported as its copy ends.

``--batches`` runs the job on each batch in turn (:mod:`pssh._batches` plans
them and keeps the failure budget), on the same client with ``hosts`` set to
the batch. The client's ``run_in_batches`` is not used: it joins each batch
inside, with no point at which the tool could send the commands their standard
input (``-I``, or the end of input that lets ``cat`` finish) nor cancel a
batch's commands on timeout.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from typing import Any

import gevent

from .._batches import budget_spent, plan_batches
from ..exceptions import Timeout
from ..summary import exception_cause
from ._client import close_client
from ._console import Console
from ._hosts import HostSpec
from ._output import Display
from ._summary import CommandTimedOut, HostResult

GRACE = 5.0
"""Seconds ``--cancel-on-timeout`` gives a signalled command to end before
closing its channel (the library's ``cancel`` default)."""

Job = Callable[["Runner", list[HostResult]], None]
"""Runs on the client's current hosts (their results given, in host order) and
returns once every one of them is reported."""


class Runner:
    """One run: the client, the display, the console and every host's result.

    :param client: the parallel client of every host (built by
      :func:`pssh.cli._client.make_client`)
    :param specs: the hosts, in the client's order
    :param timeout: ``-t`` seconds (``None``: no limit)
    :param cancel_on_timeout: stop commands still running at ``-t``
    :param verbose: ``-v`` count: from 1, each failure's traceback follows its message
    """

    def __init__(
        self, client: Any, specs: list[HostSpec], display: Display, console: Console,
        timeout: float | None = None, cancel_on_timeout: bool = False, use_pty: bool = False,
        verbose: int = 0,
    ) -> None:  # fmt: skip
        self.client = client
        self.display = display
        self.console = console
        self.timeout = timeout
        self.cancel_on_timeout = cancel_on_timeout
        self.use_pty = use_pty
        self.verbose = verbose
        self.results = [HostResult(spec) for spec in specs]
        self.by_host = {result.spec.host: result for result in self.results}
        self.stopped: tuple[int, int] | None = None
        self.interrupted = False
        self._ending: dict[str, float] = {}  # host -> when its end was seen during a cancel
        self._write_errors: dict[str, OSError] = {}  # host -> why its output was not written

    # -- driving ------------------------------------------------------------------

    def run(self, job: Job, batches: list[int | str] | None, max_failures: str | None) -> None:
        """Run ``job`` on every host (in batches if asked); returns when all are
        reported, or Ctrl-C/closed stdout ended the run (``interrupted``)."""
        worker = gevent.spawn(self._batches, job, batches, max_failures or 0)
        self.console.on_broken = lambda: gevent.spawn(worker.kill)
        self.console.start_progress(len(self.results))
        try:
            worker.get()  # a GreenletExit (stdout closed) is returned, not raised
        except KeyboardInterrupt:
            worker.kill(block=False)
            self.interrupted = True
        finally:
            self.console.stop_progress()
        if self.console.broken:
            self.interrupted = True
        try:
            self.display.finish(self.results)
        finally:
            if not self.interrupted:
                close_client(self.client)

    def _batches(self, job: Job, batches: list[int | str] | None, budget: int | str) -> None:
        hosts = [result.spec.host for result in self.results]
        ends = plan_batches(len(hosts), batches or ["100%"])
        start = 0
        for number, end in enumerate(ends, 1):
            self.client.hosts = hosts[start:end]
            job(self, self.results[start:end])
            start = end
            failures = sum(1 for result in self.results[:end] if not result.ok)
            if end < len(hosts) and budget_spent(failures, end, budget):
                self.stopped = (number, len(ends))
                break
        for result in self.results[start:]:  # never started: reported, and in --failed-hosts
            result.fail("not_started")
            result.finish()

    # -- what the client reports --------------------------------------------------

    def on_started(self, host_out: Any) -> None:
        """``run_command(on_started=...)``: the host's command has started (or
        could not start)."""
        result = self.by_host[host_out.host]
        if host_out.channel is not None:
            result.command_started()

    def on_line(self, host: str, stream: str, line: str) -> None:
        """``run_command(on_line=...)``: a line of ``stream`` (``stdout``/``stderr``)."""
        result = self.by_host[host]
        if result.done:  # a timed-out host left running: the run is over for it
            return
        result.connected = True
        kind = "out" if stream == "stdout" else "err"
        if self.display.wants_buffers:
            (result.stdout if kind == "out" else result.stderr).append(line)
        try:
            self.display.line(result, kind, line)
        except OSError as exc:  # an --outdir/--errdir file: said once, and the host fails
            if host not in self._write_errors:
                self._write_errors[host] = exc
                self.console.message(f"{result.label}: cannot write output: {exc}")

    def on_finished(self, host_out: Any) -> None:
        """``run_command(on_finished=...)``: the host's command has ended (or failed)."""
        result = self.by_host[host_out.host]
        if result.done:
            return
        if host_out.host in self._ending:  # ending after --cancel-on-timeout's signal
            self._ending[host_out.host] = time.monotonic()
            result.exit_code = host_out.exit_code
            return
        exc = host_out.exception
        started = host_out.channel is not None
        result.connected = result.connected or started
        if exc is not None:
            result.fail(exception_cause(exc, started), exc)
        else:
            result.exit_code = host_out.exit_code
            if host_out.exit_code != 0:
                result.fail("exit")
        if result.cause is None and host_out.host in self._write_errors:
            result.fail("error", self._write_errors[host_out.host])  # its output was lost
        self.report(result)

    def report(self, result: HostResult) -> None:
        """``result`` is complete: count it and show it."""
        result.finish()
        self.console.host_done(not result.ok)
        try:
            self.display.host_done(result)
        except OSError as exc:  # e.g. an --outdir file could not be written
            if result.spec.host not in self._write_errors:
                self.console.message(f"{result.label}: cannot write output: {exc}")
        error = result.error
        if self.verbose and error is not None and error.__traceback__ is not None:
            lines = traceback.format_exception(type(error), error, error.__traceback__)
            self.console.write_err(f"pssh: {result.label}: " + "".join(lines))

    # -- timeouts -----------------------------------------------------------------

    def join(self, output: Any) -> None:
        """Wait for the commands of ``output`` (at most ``-t``), then deal with
        those still running."""
        try:
            self.client.join(output, timeout=self.timeout)
        except Timeout as exc:
            running = list(exc.args[3]) if len(exc.args) > 3 else []
            self.timed_out(running)

    def timed_out(self, running: list[Any]) -> None:
        """The commands of ``running`` outlived ``-t``: stop them (with
        ``--cancel-on-timeout``) or leave them running, and say which."""
        running = [out for out in running if not self.by_host[out.host].done]
        seconds = self.timeout or 0
        if not self.cancel_on_timeout:
            for out in running:
                self._timed_out(out.host, CommandTimedOut(seconds))
            return
        for out in running:
            self._ending[out.host] = 0.0
        began = time.monotonic()
        self.client.cancel(running, signal="TERM", grace=GRACE)
        try:  # the readers see the end of output once the channels are closed
            self.client.join(running, timeout=GRACE)
        except Timeout:
            pass
        for out in running:
            seen = self._ending.pop(out.host, 0.0)
            ended = bool(seen) and seen - began < GRACE
            fate = "ended" if ended else ("hung up" if self.use_pty else "closed")
            self._timed_out(out.host, CommandTimedOut(seconds, fate, GRACE))

    def _timed_out(self, host: str, error: CommandTimedOut) -> None:
        result = self.by_host[host]
        result.connected = True
        result.fail("timeout", error)
        self.report(result)


# -- jobs ---------------------------------------------------------------------------


def command_job(command: str, stdin_data: bytes | None = None) -> Job:
    """The job that runs ``command`` (its input: ``stdin_data``, then end of input)."""

    def job(runner: Runner, results: list[HostResult]) -> None:
        for result in results:
            result.reset_clock()

        def started(host_out: Any) -> None:
            # as soon as this host runs: note when, and send its input (then its end)
            runner.on_started(host_out)
            if host_out.stdin is not None:
                gevent.spawn(_feed_stdin, host_out.stdin, stdin_data)

        output = runner.client.run_command(
            command, stop_on_errors=False, use_pty=runner.use_pty, on_started=started,
            on_line=runner.on_line, on_finished=runner.on_finished,
        )  # fmt: skip
        runner.join(output)

    return job


def _feed_stdin(stdin: Any, data: bytes | None) -> None:
    """Send ``data`` (if any) to the command's stdin, then end it so that
    commands reading stdin do not wait forever."""
    try:
        if data:
            stdin.write(data)
        stdin.close()
    except Exception:  # noqa: BLE001, S110 - the command may have exited already
        pass


__all__ = ["GRACE", "Job", "Runner", "command_job"]
