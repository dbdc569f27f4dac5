# pssh.cli: the ``pssh`` command, a front end on the library.
# _hosts (specs, ranges, folding), _summary (results, causes, exit status), _sshopts (-O, -x,
# -X) and _wording (messages in option terms) are pure logic; _console (colour, progress
# line) -> _output (display modes) -> _client (the one ParallelSSHClient) -> _engine (runs,
# batches, timeouts) -> _copy (the copy sub-command); _options (argparse); _logs (-v);
# main() here.
"""The ``pssh`` command: run a command, or copy files, on many hosts at once.

``pssh [options] COMMAND`` and ``pssh copy [options] SRC DEST``; ``python -m
pssh`` is the same. See ``pssh --help`` and ``doc/cli.rst``.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TYPE_CHECKING

from ..hostlist import expand as expand_hosts
from ._hosts import HostSpec, HostSpecError, parse_spec, parse_specs, read_hosts_file
from ._options import UsageError, parse_copy, parse_run
from ._sshopts import SSHOptionError, apply_ssh_options
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
    from ._client import ConnectOptions
    from ._console import Console
    from ._engine import Job

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
        copying = bool(argv) and argv[0] == "copy"
        if copying:
            args = parse_copy(argv[1:])
        else:
            args = parse_run(argv[1:] if argv and argv[0] == "run" else argv)
        try:
            apply_ssh_options(args)
        except SSHOptionError as exc:
            raise UsageError(str(exc)) from None
        if args.list_hosts:
            return _list_hosts(args)
        _tolerant_output()
        return _copy(args) if copying else _run(args)
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
        excluded: set[str] = set()
        for value in args.exclude:
            excluded.update(expand_hosts(value))
    except HostSpecError as exc:
        raise UsageError(str(exc)) from None
    if excluded:  # a name leaves out the host under any user or port; a full spec just itself
        specs = [s for s in specs if s.host not in excluded and s.label not in excluded]
    if not specs:
        if args.rerun_failed is not None:
            raise NothingToRerun
        if args.host_args or args.hosts_files:
            raise UsageError("the hosts given name no host")
        raise UsageError('no hosts: give -H "HOST ..." or -h HOSTSFILE (see pssh --help)')
    from ._client import SameHostTwice, check_distinct

    try:
        check_distinct(specs)
    except SameHostTwice as exc:
        raise UsageError(str(exc)) from None
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


def connect_options(args: argparse.Namespace, console: Console) -> ConnectOptions:
    """:class:`ConnectOptions` from the parsed arguments.

    :raises: :class:`UsageError`
    """
    from ._client import ConnectOptions, load_paramiko_client

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
    forward_agent = getattr(args, "forward_agent", False)  # pssh copy has no --forward-agent
    if forward_agent:
        load_paramiko_client()
    password = read_password(args.askpass)
    return ConnectOptions(
        user=args.user, port=args.port, pkey=pkey, password=password,
        allow_agent=not args.no_agent, forward_agent=forward_agent,
        connect_timeout=args.connect_timeout,
        attempts=1 + args.retries, proxy=proxy, host_key_policy=args.host_key_policy,
        known_hosts=args.known_hosts and os.path.expanduser(args.known_hosts),
        keepalive=args.keepalive, compress=args.compress,
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
    from ._engine import command_job

    if args.send_input and "-" in args.hosts_files:
        raise UsageError("-I and -h - both want standard input")
    if args.cancel_on_timeout and args.timeout is None:
        raise UsageError("--cancel-on-timeout needs -t SECS")
    specs = collect_hosts(args)
    _check_writable(args.failed_hosts)
    console = _make_console(args)
    opts = connect_options(args, console)
    _make_dirs(args.outdir, args.errdir)
    stdin_data = sys.stdin.buffer.read() if args.send_input else None
    mode = args.mode or ("status" if (args.outdir or args.errdir) else "live")
    job = command_job(" ".join(args.command), stdin_data)
    return _execute(args, specs, opts, console, mode, job)


def _copy(args: argparse.Namespace) -> int:
    from ._copy import CopyUsageError, copy_job, plan_copy

    try:
        plan = plan_copy(args.src, args.dest, args.recursive)
    except CopyUsageError as exc:
        raise UsageError(str(exc)) from None
    specs = collect_hosts(args)
    _check_writable(args.failed_hosts)
    console = _make_console(args)
    opts = connect_options(args, console)
    if plan.direction == "down":
        _make_dirs(plan.local)
    args.outdir = args.errdir = None
    return _execute(args, specs, opts, console, args.mode or "live", copy_job(plan))


def _make_console(args: argparse.Namespace) -> Console:
    from ._console import Console
    from ._logs import show_library_log

    console = Console(args.color, progress=not args.no_progress)
    show_library_log(console, args.verbose)
    return console


def _execute(
    args: argparse.Namespace, specs: list[HostSpec], opts: ConnectOptions, console: Console,
    mode: str, job: Job,
) -> int:  # fmt: skip
    from ._client import make_client
    from ._engine import Runner
    from ._output import make_display

    if args.batches is None and args.max_failures is not None:
        raise UsageError("--max-failures needs --batches")
    prefix = not getattr(args, "no_prefix", False)
    display = make_display(console, mode, args.outdir, args.errdir, prefix=prefix)
    client = make_client(specs, opts, args.par)
    runner = Runner(
        client, specs, display, console, timeout=args.timeout,
        cancel_on_timeout=getattr(args, "cancel_on_timeout", False),
        use_pty=getattr(args, "pty", False), verbose=args.verbose,
    )  # fmt: skip
    runner.run(job, args.batches, args.max_failures)
    return _finish(console, runner.results, args, runner.interrupted, runner.stopped)


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
    return exit_status(results, largest=getattr(args, "largest_exit", False))


__all__ = ["main"]
