"""Running a job on every host: connecting, commands, timeouts, and reporting as hosts finish.

Each host gets its own :class:`pssh.clients.ParallelSSHClient` (a one-host
client), and a gevent pool runs ``--par`` host jobs at a time. That is a
deliberate choice over one client for all hosts: the parallel client's
``run_command`` returns only once *every* host has connected, so one host
stuck in its connect timeout would hold back every other host's live output
and the progress count. With a client per host, each host connects, runs,
streams its lines and finishes on its own; a per-host ``--timeout`` is a plain
deadline around that host's job; and the same host may appear with different
users or ports (``host_config`` is keyed by host name alone). The clients are
cheap (a pool object and one connection each).

Reading: one greenlet per stream (stdout and stderr), so a host's stderr
never waits behind its stdout and no host waits behind another.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gevent
import gevent.pool

from ..clients import ParallelSSHClient
from ._console import Console
from ._hosts import HostSpec
from ._output import Display
from ._summary import CommandTimedOut, HostResult, connect_cause


@dataclass(frozen=True)
class ConnectOptions:
    """How to reach hosts (from the command line); per-host specs override
    ``user`` and ``port``. The password is kept out of ``repr``."""

    user: str | None = None
    port: int | None = None
    pkey: str | None = None
    password: str | None = None
    allow_agent: bool = True
    forward_agent: bool = False
    connect_timeout: float | None = 10.0
    attempts: int = 1
    retry_delay: float = 1.0
    proxy: HostSpec | None = None
    host_key_policy: str | None = None
    known_hosts: str | None = None

    def __repr__(self) -> str:
        return "ConnectOptions(user={!r}, port={!r}, pkey={!r}, password={}, proxy={!r})".format(
            self.user, self.port, self.pkey, "<hidden>" if self.password else None, self.proxy,
        )  # fmt: skip


def client_supports(name: str) -> bool:
    """Whether :class:`ParallelSSHClient` takes keyword ``name``."""
    return name in inspect.signature(ParallelSSHClient.__init__).parameters


def client_class(opts: ConnectOptions) -> Any:
    """The parallel client class for ``opts``: the native one, or with
    ``--forward-agent`` the paramiko one - libssh2, under the native client,
    cannot carry agent forwarding (see doc/security.rst). :func:`load_paramiko_client`
    must have imported it before any host job starts."""
    if opts.forward_agent:
        from ..clients.miko import ParallelSSHClient as ParamikoParallelSSHClient

        return ParamikoParallelSSHClient
    return ParallelSSHClient


def load_paramiko_client() -> None:
    """Import the paramiko client (it gevent-monkey-patches the process), while
    no host job runs yet."""
    import pssh.clients.miko  # noqa: F401


def make_client(spec: HostSpec, opts: ConnectOptions) -> ParallelSSHClient:
    """A one-host parallel client for ``spec``."""
    kwargs: dict[str, Any] = {
        "user": spec.user or opts.user,
        "port": spec.port or opts.port or 22,
        "pkey": opts.pkey,
        "password": opts.password,
        "allow_agent": opts.allow_agent,
        "forward_ssh_agent": opts.forward_agent,  # explicit: off unless --forward-agent
        "num_retries": opts.attempts,
        "retry_delay": opts.retry_delay,
        "timeout": opts.connect_timeout,
        "pool_size": 1,
    }
    if opts.proxy is not None:
        kwargs.update(
            proxy_host=opts.proxy.host,
            proxy_port=opts.proxy.port or 22,
            proxy_user=opts.proxy.user or opts.user,
            proxy_password=opts.password,
            proxy_pkey=opts.pkey,
        )
    if opts.host_key_policy is not None and client_supports("host_key_policy"):
        kwargs["host_key_policy"] = opts.host_key_policy
    if opts.known_hosts is not None and client_supports("known_hosts"):
        kwargs["known_hosts"] = opts.known_hosts
    return client_class(opts)([spec.host], **kwargs)  # type: ignore[no-any-return]


def close_client(client: ParallelSSHClient) -> None:
    """Disconnect the client's host connections (errors ignored)."""
    for host_client in list(getattr(client, "host_clients", {}).values()):
        disconnect = getattr(host_client, "disconnect", None)
        if disconnect is not None:
            try:
                disconnect()
            except Exception:  # noqa: BLE001 - closing is best effort
                pass


Body = Callable[[Any, HostResult], None]
"""A host's job: ``body(client, result)`` fills in ``result`` or raises."""


class Runner:
    """Runs jobs on hosts, ``par`` at a time, feeding a display and the console.

    :param opts: connection options
    :param display: where lines and results go
    :param console: terminal (progress line, messages)
    :param par: most hosts worked on at once
    :param timeout: seconds each host's job may take after connecting (``None``: no limit)
    """

    def __init__(
        self,
        opts: ConnectOptions,
        display: Display,
        console: Console,
        par: int = 32,
        timeout: float | None = None,
    ) -> None:
        self.opts = opts
        self.display = display
        self.console = console
        self.par = par
        self.timeout = timeout
        self.results: list[HostResult] = []
        self._pool: gevent.pool.Pool | None = None
        console.on_broken = self.abort

    def abort(self) -> None:
        """Stop every host's job (from any greenlet); :meth:`run` then returns."""
        if self._pool is not None:
            gevent.spawn(self._pool.kill)

    def run(self, specs: Sequence[HostSpec], body: Body, finish: bool = True) -> None:
        """Run ``body(client, result)`` for every host; returns when all are done.

        ``body`` raises for a failure after connecting (a connect failure is
        recognised by ``result.connected`` still being false). ``finish=False``
        leaves the display's closing call to the caller (a batch of a rollout).
        """
        self.results = [HostResult(spec) for spec in specs]
        pool = self._pool = gevent.pool.Pool(self.par)
        self.console.start_progress(len(self.results))
        try:
            for result in self.results:
                pool.spawn(self._host, result, body)
            pool.join()
        finally:
            pool.kill()
            self.console.stop_progress()
            if finish:
                self.display.finish(self.results)

    def _host(self, result: HostResult, body: Body) -> None:
        result.reset_clock()
        client = None
        try:
            client = make_client(result.spec, self.opts)
            body(client, result)
        except CommandTimedOut as exc:
            result.fail("timeout", exc)
        except Exception as exc:  # noqa: BLE001 - every failure is reported per host
            if not result.connected:
                result.fail(connect_cause(exc), exc)
            else:
                result.fail("error", exc)
        finally:
            # Killed (Ctrl-C, closed stdout) hosts stay unfinished: not ok, not failed.
            if client is not None:
                close_client(client)
        result.finish()
        self.console.host_done(not result.ok)
        try:
            self.display.host_done(result)
        except OSError as exc:  # e.g. --outdir file could not be written
            self.console.message(f"{result.label}: cannot write output: {exc}")

    # -- helpers for job bodies ---------------------------------------------

    def deadline(self) -> gevent.Timeout:
        """A started timer raising :class:`CommandTimedOut` after ``--timeout``."""
        timer = gevent.Timeout(self.timeout, CommandTimedOut(self.timeout or 0))
        timer.start()
        return timer

    def pump(self, result: HostResult, stream: str, lines: Any) -> None:
        """Hand each line of ``lines`` to the display (and the buffer)."""
        if lines is None:
            return
        keep = self.display.wants_buffers
        buffer = result.stdout if stream == "out" else result.stderr
        display_line = self.display.line
        for text in lines:
            if keep:
                buffer.append(text)
            display_line(result, stream, text)


def run_command_body(
    runner: Runner, command: str, use_pty: bool = False, stdin_data: bytes | None = None
) -> Body:
    """The job body that runs ``command`` and streams its output."""

    def body(client: Any, result: HostResult) -> None:
        output = client.run_command(command, stop_on_errors=False, use_pty=use_pty)
        host_out = next(iter(output.values()))
        if host_out.exception is not None:
            raise host_out.exception
        result.mark_connected()
        timer = runner.deadline()
        tasks: list[gevent.Greenlet] = []
        try:
            tasks = [
                gevent.spawn(runner.pump, result, "out", host_out.stdout),
                gevent.spawn(runner.pump, result, "err", host_out.stderr),
                gevent.spawn(_feed_stdin, host_out.stdin, stdin_data),
            ]
            gevent.joinall(tasks, raise_error=True)
            client.join(output)
        finally:
            timer.close()
            gevent.killall(tasks)
        result.exit_code = host_out.exit_code
        if host_out.exit_code != 0:
            result.fail("exit")

    return body


def _feed_stdin(stdin: Any, data: bytes | None) -> None:
    """Send ``data`` (if any) to the command's stdin, then end it so that
    commands reading stdin do not wait forever."""
    if stdin is None:
        return
    if data:
        stdin.write(data)
    try:
        stdin.close()
    except Exception:  # noqa: BLE001, S110 - the command may have exited already
        pass
