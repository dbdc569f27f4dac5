# pssh.cli: the ``pssh`` command, a front end on the library.
# _hosts (specs, ranges, folding) and _summary (results, causes, exit status) are pure logic;
# _console (colour, progress line) -> _output (display modes) -> _engine (per-host jobs on
# ParallelSSHClient) -> _copy (the copy sub-command) -> _options (argparse) -> main() here.
"""The ``pssh`` command: run a command, or copy files, on many hosts at once.

``pssh [options] COMMAND`` and ``pssh copy [options] SRC DEST``; ``python -m
pssh`` is the same. See ``pssh --help`` and ``doc/cli.rst``.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from typing import TYPE_CHECKING

from .._batches import budget_spent, plan_batches
from ..hostlist import expand as expand_hosts
from ._hosts import HostSpec, HostSpecError, parse_spec, parse_specs, read_hosts_file
from ._options import UsageError, parse_copy, parse_run
from ._summary import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    HostResult,
    exit_status,
    summary_lines,
    write_failed_hosts,
)

if TYPE_CHECKING:
    from ._console import Console
    from ._engine import Body, ConnectOptions, Runner

# The console, the engine (gevent, the clients) and the displays are imported
# when a run starts, not for ``--help``, ``--version`` or a usage error: they
# are most of the start-up time.

PASSWORD_ENV = "PSSH_PASSWORD"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``pssh`` console command.

    :param argv: arguments (default ``sys.argv[1:]``)
    :returns: the exit status (see ``pssh --help``)
    :rtype: int
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "copy":
            args = parse_copy(argv[1:])
            if args.list_hosts:
                return _list_hosts(args)
            _tolerant_output()
            return _copy(args)
        if argv and argv[0] == "run":
            argv = argv[1:]
        args = parse_run(argv)
        if args.list_hosts:
            return _list_hosts(args)
        _tolerant_output()
        return _run(args)
    except NothingToRerun:
        sys.stderr.write("pssh: --rerun-failed: no failed hosts listed; nothing to run\n")
        return EXIT_OK
    except UsageError as exc:
        sys.stderr.write(f"pssh: error: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("\npssh: interrupted\n")
        return EXIT_INTERRUPTED


def _tolerant_output() -> None:
    """Undecodable output never crashes a run, and Ctrl-C is reported by the
    summary, not by gevent printing the KeyboardInterrupt."""
    import gevent

    hub = gevent.get_hub()
    hub.NOT_ERROR = (*hub.NOT_ERROR, KeyboardInterrupt)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="replace")
            except (ValueError, OSError):
                pass


# -- gathering the settings ----------------------------------------------------------


def _list_hosts(args: argparse.Namespace) -> int:
    """``--list-hosts``: the hosts a run would use, one ``[user@]host[:port]`` a line
    (as ``-h`` reads them back), and nothing else done."""
    sys.stdout.write("".join(spec.label + "\n" for spec in collect_hosts(args)))
    return EXIT_OK


def collect_hosts(args: argparse.Namespace) -> list[HostSpec]:
    """The hosts from ``-H`` and ``-h``, ranges expanded, repeats dropped.

    :raises: :class:`UsageError`
    """
    texts: list[str] = []
    if args.rerun_failed is not None:
        if args.host_args or args.hosts_files:
            raise UsageError("--rerun-failed takes its hosts from its file: give no -H or -h")
        args.hosts_files = [args.rerun_failed]
    try:
        for value in args.host_args:
            texts.extend(expand_hosts(value))  # ranges, ``!``/``&``/``^`` (pssh.hostlist)
        for path in args.hosts_files:
            try:
                texts.extend(read_hosts_file(path))
            except OSError as exc:
                raise UsageError(f"cannot read hosts file {path}: {exc.strerror or exc}") from None
        specs = parse_specs(texts)
    except HostSpecError as exc:
        raise UsageError(str(exc)) from None
    if not specs:
        if args.rerun_failed is not None:
            raise NothingToRerun
        if args.host_args or args.hosts_files:
            raise UsageError("the hosts given name no host")
        raise UsageError('no hosts: give -H "HOST ..." or -h HOSTSFILE (see pssh --help)')
    return specs


class NothingToRerun(Exception):
    """``--rerun-failed FILE`` with an empty FILE: the last run had no failure."""


def read_password(askpass: bool) -> str | None:
    """The password for ``-A``: ``$PSSH_PASSWORD``, or asked on the terminal
    with echo off. Never echoed, printed or logged.

    :raises: :class:`UsageError` when there is no terminal to ask on.
    """
    if not askpass:
        return None
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env is not None:
        return from_env
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        raise UsageError(
            f"-A needs a terminal to ask for the password on; set {PASSWORD_ENV} instead"
        ) from None
    os.close(fd)
    return getpass.getpass("Password: ")  # reads /dev/tty with echo off


class _ConsoleWarnings(logging.Handler):
    """Shows the library's warnings (an ssh_config option pssh cannot carry
    out, agent forwarding that cannot be given...) as ``pssh: warning:``
    lines: they concern what the user asked for, and the library otherwise
    logs nowhere."""

    def __init__(self, console: Console) -> None:
        super().__init__(logging.WARNING)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.console.message(f"warning: {record.getMessage()}")
        except Exception:  # never let a log line end the run
            self.handleError(record)


def _show_library_warnings(console: Console) -> None:
    from ._quiet import quiet_host_failures

    quiet_host_failures()  # each failed host gets one error line, not a traceback too
    library = logging.getLogger("pssh")
    for handler in list(library.handlers):
        if isinstance(handler, _ConsoleWarnings):
            library.removeHandler(handler)  # main() called again in one process
    library.addHandler(_ConsoleWarnings(console))


def connect_options(args: argparse.Namespace, console: Console) -> ConnectOptions:
    """:class:`ConnectOptions` from the parsed arguments.

    :raises: :class:`UsageError`
    """
    from ._engine import ConnectOptions, client_supports, load_paramiko_client

    pkey = None
    if args.key:
        pkey = os.path.expanduser(args.key)
        if not os.path.isfile(pkey):
            raise UsageError(f"no such key file: {args.key}")
    proxy = None
    if args.proxy:
        try:
            proxy = parse_spec(args.proxy)
        except HostSpecError as exc:
            raise UsageError(f"--proxy: {exc}") from None
    for flag, name in (("--host-key-policy", "host_key_policy"), ("--known-hosts", "known_hosts")):
        if getattr(args, name) is not None and not client_supports(name):
            console.message(f"warning: {flag} is not supported by this pssh library; ignored")
    forward_agent = getattr(args, "forward_agent", False)  # pssh copy has no --forward-agent
    if forward_agent:
        load_paramiko_client()
    password = read_password(args.askpass)
    return ConnectOptions(
        user=args.user, port=args.port, pkey=pkey, password=password,
        allow_agent=not args.no_agent, forward_agent=forward_agent,
        connect_timeout=args.connect_timeout,
        attempts=1 + args.retries, proxy=proxy, host_key_policy=args.host_key_policy,
        known_hosts=args.known_hosts,
    )  # fmt: skip


def _check_writable(path: str | None) -> None:
    """Fail before the run, not after it, when ``--failed-hosts`` cannot be written."""
    if path:
        folder = os.path.dirname(os.path.abspath(path))
        if os.path.isdir(path) or not os.access(folder, os.W_OK):
            raise UsageError(f"--failed-hosts: cannot write {path}")


def _make_dirs(*paths: str | None) -> None:
    for path in paths:
        if path:
            try:
                os.makedirs(path, exist_ok=True)
            except OSError as exc:
                raise UsageError(f"cannot create {path}: {exc.strerror or exc}") from None


# -- running -------------------------------------------------------------------------


def _run(args: argparse.Namespace) -> int:
    from ._console import Console
    from ._engine import Runner, run_command_body
    from ._output import make_display

    if args.send_input and "-" in args.hosts_files:
        raise UsageError("-I and -h - both want standard input")
    specs = collect_hosts(args)
    _check_writable(args.failed_hosts)
    console = Console(args.color, progress=not args.no_progress)
    _show_library_warnings(console)
    opts = connect_options(args, console)
    _make_dirs(args.outdir, args.errdir)
    stdin_data = sys.stdin.buffer.read() if args.send_input else None
    mode = args.mode or ("status" if (args.outdir or args.errdir) else "live")
    display = make_display(console, mode, args.outdir, args.errdir)
    runner = Runner(opts, display, console, par=args.par, timeout=args.timeout)
    body = run_command_body(runner, " ".join(args.command), args.pty, stdin_data)
    return _execute(runner, specs, body, args)


def _copy(args: argparse.Namespace) -> int:
    from ._console import Console
    from ._copy import CopyUsageError, copy_body, plan_copy
    from ._engine import Runner
    from ._output import make_display

    try:
        plan = plan_copy(args.src, args.dest, args.recursive)
    except CopyUsageError as exc:
        raise UsageError(str(exc)) from None
    specs = collect_hosts(args)
    _check_writable(args.failed_hosts)
    console = Console(args.color, progress=not args.no_progress)
    _show_library_warnings(console)
    opts = connect_options(args, console)
    if plan.direction == "down":
        _make_dirs(plan.local)
    display = make_display(console, args.mode or "live")
    runner = Runner(opts, display, console, par=args.par, timeout=args.timeout)
    return _execute(runner, specs, copy_body(runner, plan), args)


def _execute(runner: Runner, specs: list[HostSpec], body: Body, args: argparse.Namespace) -> int:
    if args.batches is None and args.max_failures is not None:
        raise UsageError("--max-failures needs --batches")
    interrupted = False
    if args.batches is None:
        try:
            runner.run(specs, body)
        except KeyboardInterrupt:
            interrupted = True
        return _finish(runner.console, runner.results, args, interrupted)
    results, stopped = [], None
    ends = plan_batches(len(specs), args.batches)
    budget = args.max_failures or 0
    start = 0
    try:
        for number, end in enumerate(ends, 1):
            try:
                runner.run(specs[start:end], body, finish=False)
            finally:
                results.extend(runner.results)
                runner.results = []
            start = end
            if runner.console.broken:  # stdout closed: stop, as a run without batches does
                interrupted = True
                break
            failures = sum(1 for r in results if not r.ok)
            if end < len(specs) and budget_spent(failures, end, budget):
                stopped = (number, len(ends))
                break
    except KeyboardInterrupt:
        interrupted = True
    for spec in specs[len(results) :]:  # never started: reported, and written to --failed-hosts
        result = HostResult(spec)
        if not interrupted:
            result.fail("not_started")
            result.finish()
        results.append(result)
    runner.display.finish(results)
    return _finish(runner.console, results, args, interrupted, stopped)


def _finish(
    console: Console, results: list[HostResult], args: argparse.Namespace, interrupted: bool,
    stopped: tuple[int, int] | None = None,
) -> int:  # fmt: skip
    from ._console import GREEN, RED

    failed = any(not r.ok for r in results)
    for number, line in enumerate(summary_lines(results, interrupted, stopped)):
        if number == 0:
            console.message(line, RED if failed else GREEN)
        else:
            console.write_err(line + "\n")
    if args.failed_hosts:
        try:
            write_failed_hosts(args.failed_hosts, results)
        except OSError as exc:
            console.message(f"cannot write {args.failed_hosts}: {exc.strerror or exc}", RED)
    if console.broken:
        return 141
    if interrupted:
        return EXIT_INTERRUPTED
    return exit_status(results)


__all__ = ["main"]
