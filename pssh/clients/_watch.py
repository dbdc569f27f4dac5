"""Reading a host's output for the caller: ``run_command(on_line=...,
on_finished=...)`` starts one watcher greenlet per host, which hands each
line to ``on_line`` as it arrives, waits for the command's end and calls
``on_finished`` once, whether the host succeeded or failed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gevent

from ..output import HostOutput
from ._tasks import tag_host

ClientOf = Callable[[HostOutput], Any]


class CallbackError(Exception):
    """Wraps an exception raised by a user's callback, so that it is told
    apart from the host's own errors and re-raised as it was."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(error)
        self.error = error


def check_callbacks(**callbacks: Any) -> None:
    """Raise :py:class:`TypeError` naming the first of ``callbacks`` given
    that is not callable."""
    for name, func in callbacks.items():
        if func is not None and not callable(func):
            raise TypeError("%s must be callable, got %r" % (name, func))


def set_exit_code(host_out: HostOutput, client_of: ClientOf) -> None:
    """Wait for ``host_out``'s command to end and set its exit code (output
    not read is kept for its generators)."""
    client = client_of(host_out)
    client.wait_finished(host_out.channel)
    host_out.exit_code = client.get_exit_status(host_out.channel)


def watch(
    host_out: HostOutput,
    client_of: ClientOf,
    on_line: Callable[[str, str, str], Any] | None,
    keep_output: bool,
    on_finished: Callable[[HostOutput], Any] | None,
) -> None:
    """Read both streams (each line to ``on_line``, kept only with
    ``keep_output``), wait for the command's end, then call ``on_finished``.
    A read timeout or a lost connection becomes the output's ``exception``
    (the host has ended as far as the client can tell); an exception raised by
    a callback is re-raised (``join`` raises it). Run in the output's own
    greenlet (its ``_watcher``), which ``join`` and ``as_completed`` wait for
    instead of the command."""
    if host_out.exception is None and host_out.channel is not None:
        try:
            if on_line is not None:
                read_lines(host_out, on_line, keep_output)
            set_exit_code(host_out, client_of)
        except CallbackError as exc:
            raise exc.error from None
        except Exception as exc:
            tag_host(exc, host_out.host)
            host_out.exception = exc
    if on_finished is not None:
        on_finished(host_out)


def read_lines(
    host_out: HostOutput, on_line: Callable[[str, str, str], Any], keep_output: bool
) -> None:
    """Hand every line of both streams to ``on_line(host, stream, line)``."""
    host = host_out.host
    kept: dict[str, list[str]] = {"stdout": [], "stderr": []}

    def pump(name: str, lines: Any) -> None:
        keep = kept[name].append if keep_output else None
        for line in lines:
            try:
                on_line(host, name, line)
            except Exception as exc:
                raise CallbackError(exc) from exc
            if keep is not None:
                keep(line)

    # Both streams at once: a command blocked writing one never finishes the other.
    reader = gevent.spawn(pump, "stderr", host_out.stderr)
    try:
        pump("stdout", host_out.stdout)
        reader.get()
    finally:
        reader.kill()
    if keep_output:
        host_out.stdout = iter(kept["stdout"])
        host_out.stderr = iter(kept["stderr"])
