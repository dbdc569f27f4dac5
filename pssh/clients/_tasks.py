"""Per-host tasks of the parallel clients: how a host's failure leaves its
greenlet, and the small rules every fan-out shares (per-host arguments,
output keys for a host named twice)."""

from __future__ import annotations

from typing import Any

from ..exceptions import HostArgumentException
from ..output import HostOutput


class Failed:
    """What a per-host command task returns when it failed (so that gevent
    does not print a traceback for every unreachable host)."""

    __slots__ = ("exception", "host")

    def __init__(self, exception: BaseException, host: str) -> None:
        self.exception = exception
        self.host = host
        """The host as the user named it: the output key, even when the
        error names another (the ``HostName`` or a ``ProxyJump`` hop)."""


def tag_host(exc: BaseException, host: str) -> None:
    """The one place a foreign exception leaving a per-host task is given
    its host (pssh's own exceptions carry it from construction)."""
    if getattr(exc, "host", None) is None:
        try:
            exc.host = host  # type: ignore[attr-defined]
        except AttributeError:
            pass


def run_for_host(host: str, func: Any, *args: Any, **kwargs: Any) -> Any:
    """``func(*args, **kwargs)``; an exception leaves it naming ``host``."""
    try:
        return func(*args, **kwargs)
    except Exception as exc:
        tag_host(exc, host)
        raise


def command_task(host: str, func: Any, *args: Any, **kwargs: Any) -> Any:
    """``func(*args, **kwargs)``; an exception is returned as :class:`Failed`
    (naming ``host``) rather than raised."""
    try:
        return func(*args, **kwargs)
    except Exception as exc:
        tag_host(exc, host)
        return Failed(exc, host)


def consume(lines: Any) -> None:
    """Read ``lines`` to the end, keeping nothing."""
    if lines is not None:
        for _ in lines:
            pass


def format_per_host(template: str, args: Any) -> str:
    """``template % args``: a tuple fills positional, a dict named, anything
    else a single ``%s``. Raises TypeError/KeyError as ``%`` does."""
    return template % args


def dedupe_key(host: str, output: dict) -> str:
    """An output key for ``host`` not yet in ``output``: the host name, or
    ``host_1``, ``host_2``... for repeats of the same host."""
    if host not in output:
        return host
    n = 1
    while "%s_%d" % (host, n) in output:
        n += 1
    return "%s_%d" % (host, n)


def check_per_host(args: Any, hosts: list[str], what: str) -> None:
    """Raise :class:`~pssh.exceptions.HostArgumentException` when ``args``
    (per-host arguments, or ``None``) has fewer entries than ``hosts``."""
    if args is not None and len(args) < len(hosts):
        raise HostArgumentException(
            "Number of %s (%s) is less than the number of hosts (%s)", what, len(args), len(hosts)
        )


def host_output(cmd: Any, result: Any, host_clients: dict[Any, Any]) -> HostOutput:
    """The :class:`~pssh.output.HostOutput` of a command task's ``result``:
    the ``(channel, host, stdout, stderr, stdin)`` it started, or :class:`Failed`.

    :param cmd: the task (the output's ``cmd``); the client that ran the
      command is on it as ``_pssh_client`` (a host may have several clients)
    :param host_clients: the parallel client's clients, for a task without one
    """
    if isinstance(result, Failed):
        alias = getattr(host_clients.get(result.host), "alias", None)
        return HostOutput(
            result.host, cmd, None, None, None, None, exception=result.exception, alias=alias
        )
    channel, host, stdout, stderr, stdin = result
    client = getattr(cmd, "_pssh_client", None) or host_clients.get(host)
    command_info = getattr(client, "command_info", None)
    sent, read_timeout = command_info(channel) if command_info else (None, None)
    out = HostOutput(
        host, cmd, channel, stdout, stderr, stdin,
        alias=getattr(client, "alias", None), read_timeout=read_timeout,
        fully_qualified_command=sent,
    )  # fmt: skip
    # The exit code is asked of the host's client when it is read.
    out._client = client
    return out
