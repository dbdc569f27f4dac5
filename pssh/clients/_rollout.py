"""Fleet operations on one parallel client: rolling a command out in
batches under a failure budget, and running again what failed. What each
command task ran is recorded here, so that a rerun repeats it exactly."""

from __future__ import annotations

import inspect
import logging
import weakref
from collections.abc import Callable, Sequence
from typing import Any, Optional, Protocol

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

    def join(
        self,
        output: Any = None,
        consume_output: bool = False,
        timeout: float | None = None,
        *,
        cancel_on_timeout: bool = False,
    ) -> None: ...


Target = tuple[Optional[int], str, str]
"""What one host runs: its position in the client's hosts (``None``: not
there), the host, the command (host arguments applied)."""


class Rollout:
    """Batches and reruns for ``client``.

    :param run_targets: ``run_targets(targets, command, run_command_kwargs)``:
      the client's ``run_command`` on those targets only (each host keeps its
      position in the hosts, so a list ``host_config`` is read at the right entry)
    """

    def __init__(
        self, client: Runner, run_targets: Callable[[list[Target], str, dict[str, Any]], Any]
    ) -> None:
        self._client = client
        self._run_targets = run_targets
        self._ran: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        """Per command task: its target and the options it ran with."""
        self._not_started: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        """Per :class:`NotStartedError`: what its host would have run."""

    def record(
        self, host: str, index: int | None, command: str, args: tuple, kwargs: dict[str, Any]
    ) -> None:
        """Called in a command task before it connects: what it runs (so that
        a host that cannot be reached can be rerun too)."""
        self._ran[gevent.getcurrent()] = ((index, host, command), args, kwargs)

    def run_in_batches(
        self,
        command: str,
        batches: Sequence[int | str],
        max_failures: int | str,
        host_args: Any,
        join_timeout: float | None,
        cancel_on_timeout: bool,
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
            targets: list[Target] = []
            for i in range(start, end):
                text = command if host_args is None else format_per_host(command, host_args[i])
                targets.append((i, hosts[i], text))
            output = self._run_targets(targets, command, run_command_kwargs)
            try:
                self._client.join(output, timeout=join_timeout, cancel_on_timeout=cancel_on_timeout)
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
            self._not_started[exc] = ((index, hosts[index], text), (), {})
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
        hosts = self._client.hosts
        targets: list[Target] = []
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
            index, host, text = ran[0]
            if index is not None and (index >= len(hosts) or hosts[index] != host):
                # the client's hosts changed since: the host's first position, if any
                index = hosts.index(host) if host in hosts else None
            targets.append((index, host, text))
            options = options or dict(ran[2])
        if not targets:
            return {}
        accepted = inspect.signature(self._client.run_command).parameters
        kwargs = {name: value for name, value in options.items() if name in accepted}
        kwargs["stop_on_errors"] = False
        kwargs.update(run_command_kwargs)
        return self._run_targets(targets, "%s", kwargs)  # type: ignore[no-any-return]
