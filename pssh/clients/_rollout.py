"""Fleet operations on one parallel client: rolling a command out in
batches under a failure budget, and running again what failed. What each
command task ran is recorded here, so that a rerun repeats it exactly."""

from __future__ import annotations

import inspect
import logging
import weakref
from collections.abc import Sequence
from typing import Any, Protocol

import gevent

from .._batches import BatchOutput, budget_spent, parse_budget, plan_batches
from ..exceptions import NotStartedError, Timeout
from ..output import HostOutput
from ._tasks import check_per_host, dedupe_key, format_per_host

logger = logging.getLogger("pssh.clients")


class Runner(Protocol):
    """What a rollout uses of its parallel client: its public interface."""

    hosts: list[str]

    def run_command(self, command: str, *args: Any, **kwargs: Any) -> Any: ...

    def join(self, output: Any = None, consume_output: bool = False,
             timeout: float | None = None) -> None: ...  # fmt: skip


class Rollout:
    """Batches and reruns for ``client``."""

    def __init__(self, client: Runner) -> None:
        self._client = client
        self._ran: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        """Per command task: the command (host arguments applied) and the
        options it ran with."""
        self._not_started: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        """Per :class:`NotStartedError`: what its host would have run."""

    def record(self, command: str, args: tuple, kwargs: dict[str, Any]) -> None:
        """Called in a command task before it connects: what it runs (so that
        a host that cannot be reached can be rerun too)."""
        self._ran[gevent.getcurrent()] = (command, args, kwargs)

    def run_on(
        self, hosts: list[str], command: str, host_args: Any, kwargs: dict[str, Any]
    ) -> dict[str, HostOutput]:
        """``run_command`` on ``hosts`` only: the client's hosts are swapped for
        the call (so not safe while another call runs on this client)."""
        saved = self._client.hosts
        self._client.hosts = hosts
        try:
            return self._client.run_command(command, host_args=host_args, **kwargs)  # type: ignore[no-any-return]
        finally:
            self._client.hosts = saved

    def run_in_batches(
        self,
        command: str,
        batches: Sequence[int | str],
        max_failures: int | str,
        host_args: Any,
        join_timeout: float | None,
        run_command_kwargs: dict[str, Any],
    ) -> BatchOutput:
        """``run_in_batches`` of the parallel clients (see theirs)."""
        from ..summary import summarize  # summary imports nothing from the clients

        hosts = list(self._client.hosts)
        check_per_host(host_args, hosts, "host arguments")
        ends = plan_batches(len(hosts), batches)
        parse_budget(max_failures)  # bad budgets fail before anything runs
        run_command_kwargs.setdefault("stop_on_errors", False)
        outs: list[HostOutput] = []
        stopped: int | None = None
        start = 0
        for number, end in enumerate(ends, 1):
            part = list(range(start, end))
            part_args = None if host_args is None else [host_args[i] for i in part]
            output = self.run_on([hosts[i] for i in part], command, part_args, run_command_kwargs)
            try:
                self._client.join(output, timeout=join_timeout)
            except Timeout:
                logger.debug("Batch %s still running after %s seconds", number, join_timeout)
            outs.extend(output.values())
            start = end
            failures = len(summarize({str(i): out for i, out in enumerate(outs)}).failed)
            if end < len(hosts) and budget_spent(failures, end, max_failures):
                stopped = number
                break
        for index in range(start, len(hosts)):
            number = next(n for n, end in enumerate(ends, 1) if index < end)
            text = format_per_host(command, host_args[index]) if host_args is not None else command
            exc = NotStartedError(
                "Not started on host %s (batch %s): the failure budget was spent before",
                hosts[index], number, host=hosts[index],
            )  # fmt: skip
            exc.batch = number
            self._not_started[exc] = (text, (), {})
            outs.append(HostOutput(hosts[index], None, None, None, None, None, exception=exc))
        result = BatchOutput()
        keys: list[str] = []
        for out in outs:
            key = dedupe_key(out.host, result)
            result[key] = out
            keys.append(key)
        result.batches = [keys[a:b] for a, b in zip([0, *ends[:-1]], ends)]
        result.stopped_batch = stopped
        result.max_failures = max_failures
        return result

    def rerun(
        self, output: dict, failed_only: bool, run_command_kwargs: dict[str, Any]
    ) -> dict[str, HostOutput]:
        """``rerun`` of the parallel clients (see theirs)."""
        from ..summary import summarize

        if "host_args" in run_command_kwargs:
            raise TypeError("rerun() runs the commands that ran: host_args is not allowed")
        keys = list(summarize(output).failed) if failed_only else list(output)
        hosts: list[str] = []
        commands: list[tuple[str]] = []
        options: dict[str, Any] = {}
        for key in keys:
            host_out = output[key]
            ran = self._ran.get(host_out.cmd) if host_out.cmd is not None else None
            if ran is None and host_out.exception is not None:
                ran = self._not_started.get(host_out.exception)
            if ran is None:
                raise ValueError(
                    "No command run by this client is recorded for host %s" % (host_out.host,)
                )
            hosts.append(host_out.host)
            commands.append((ran[0],))
            options = options or dict(ran[2])
        if not hosts:
            return {}
        accepted = inspect.signature(self._client.run_command).parameters
        kwargs = {name: value for name, value in options.items() if name in accepted}
        kwargs["stop_on_errors"] = False
        kwargs.update(run_command_kwargs)
        return self.run_on(hosts, "%s", commands, kwargs)
