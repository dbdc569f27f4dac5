"""Command line options of ``pssh`` (run) and ``pssh copy``, and their ``--help``.

``-h`` means a hosts file, as in the classic ``pssh`` tool, so help is
``--help`` only. Usage errors exit with status 3 (see ``--help``).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, NoReturn

from .. import __version__
from .._batches import parse_budget, plan_batches
from ._summary import EXIT_STATUS_HELP, EXIT_USAGE

RUN_USAGE = """pssh [options] [--] COMMAND [ARG...]
       pssh copy [options] SRC DEST   (see pssh copy --help)"""
COPY_USAGE = """pssh copy [options] LOCAL :REMOTE     (upload to every host)
       pssh copy [options] :REMOTE LOCALDIR  (download from every host)"""

RUN_DESCRIPTION = """\
Run COMMAND on many hosts over SSH at once, and show what each one said.
Lines are shown as they arrive, prefixed with their host; a summary of what
succeeded and what failed (and why) ends the run, on stderr."""

RUN_EXAMPLES = """\
examples:
  pssh -H "web[01-20]" uptime
  pssh -H "web01 web02" -H db1 -l admin -- df -h /
  pssh -h hosts.txt -g -- cat /etc/os-release        # identical output grouped
  pssh -h hosts.txt -i -t 30 'systemctl restart app && systemctl is-active app'
  pssh -h hosts.txt --json -- rpm -q openssl > versions.jsonl
  pssh -h hosts.txt --failed-hosts failed.txt -- apt-get -y upgrade
  pssh --rerun-failed failed.txt -- apt-get -y upgrade # retry just the failures
  pssh -h hosts.txt --batches 1,10%,100% --max-failures 2 -- ./deploy.sh
  pssh -H "db[1-3]" -J admin@bastion -A -- sudo -S id  # via a jump host, with a password

host specs:
  [user@]host[:port], with numeric ranges anywhere: web[01-20] (zero padded),
  db[1,3,5-7], rack[1-2]-node[01-08], 10.0.0.[1-50], [::1]:2222 (IPv6);
  -H also takes ClusterShell-style operators: "web[01-20]!web07" (minus),
  "web[01-20]&web[10-30]" (both), "a[1-4]^a[3-6]" (either, not both)."""

COPY_DESCRIPTION = """\
Copy a file (or with -r a folder) to every host, or from every host, in
parallel (SFTP). The remote side is marked with a leading colon, as with scp.
Downloads land in LOCALDIR/<host>/<name>, one folder per host."""

COPY_EXAMPLES = """\
examples:
  pssh copy -H "web[01-20]" app.conf :/etc/app/app.conf
  pssh copy -H "web[01-20]" -r ./static :/srv/www/          # a folder, keeping its name
  pssh copy -h hosts.txt :/var/log/syslog logs/             # -> logs/<host>/syslog"""

PASSWORD_HELP = """\
password:
  -A asks once, on the terminal (/dev/tty), with echo off; the password is
  never printed, logged or put on a command line. For scripts, set
  PSSH_PASSWORD in the environment and pass -A: it is used instead of asking."""


class UsageError(Exception):
    """Bad command line (exit status 3)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _number(text: str, kind: type, least: float, strict: bool, bound: str) -> Any:
    """``text`` as ``kind`` (``int`` or ``float``), at least ``least`` (more than it
    when ``strict``), else an argparse error saying ``bound``."""
    try:
        value = kind(text)
    except ValueError:
        what = "a number of seconds" if kind is float else "a whole number"
        raise argparse.ArgumentTypeError(f"not {what}: {text!r}") from None
    if value < least or (strict and value == least):
        raise argparse.ArgumentTypeError(f"must be {bound}: {text!r}")
    return value


def _seconds(text: str) -> float:
    return float(_number(text, float, 0, True, "more than 0"))


def _timeout(text: str) -> float | None:
    """``-t``: seconds, ``0`` meaning no limit (as classic pssh's ``-t 0``)."""
    return float(_number(text, float, 0, False, "0 (no limit) or more")) or None


def _positive(text: str) -> int:
    return int(_number(text, int, 1, False, "at least 1"))


def _count(text: str) -> int:
    return int(_number(text, int, 0, False, "0 or more"))


def _port(text: str) -> int:
    value = _positive(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}")
    return value


def _new_parser(prog: str, usage: str, description: str, epilog: str) -> argparse.ArgumentParser:
    return _Parser(
        prog=prog, usage=usage, description=description, epilog=epilog, add_help=False,
        formatter_class=_formatter,
    )  # fmt: skip


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=30)


def _add_hosts(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("hosts (give -H or -h, or both; each may be repeated)")
    group.add_argument(
        "-H", "--host", "-w", dest="host_args", action="append", default=[], metavar='"HOST ..."',
        help="hosts separated by spaces or commas, each [user@]host[:port], ranges allowed "
        "(-w is clush's spelling)",
    )  # fmt: skip
    group.add_argument(
        "-h", "--hosts", dest="hosts_files", action="append", default=[], metavar="FILE",
        help="read hosts from FILE: one [user@]host[:port] per line, # comments; - is stdin",
    )  # fmt: skip
    group.add_argument(
        "--exclude", action="append", default=[], metavar="NODES",
        help="leave out these hosts (same syntax as -H); clush's -x NODES",
    )  # fmt: skip
    group.add_argument(
        "--list-hosts", action="store_true",
        help="print the hosts the -H/-h expressions give, one per line (ranges expanded, "
        "repeats dropped), and exit without connecting or running anything",
    )  # fmt: skip
    group.add_argument(
        "--rerun-failed", metavar="FILE",
        help="run on the hosts a --failed-hosts FILE lists (instead of -H/-h); "
        "an empty FILE means nothing failed: nothing is run, exit status 0",
    )  # fmt: skip


def _add_connection(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection")
    add = group.add_argument
    add("-l", "--user", metavar="USER", help="log in as USER (default: you; user@ in a host wins)")
    add("--port", type=_port, metavar="PORT", help="SSH port (default 22; :port in a host wins)")
    add("-k", "--key", metavar="FILE", help="private key file (default: SSH agent, ~/.ssh/id_*)")
    add("-A", "--askpass", action="store_true",
        help="ask for a password on the terminal, never echoed (see password below)")  # fmt: skip
    add("--no-agent", action="store_true", help="do not use the SSH agent")
    add("-J", "--proxy", metavar="[USER@]HOST[:PORT]", help="connect through this SSH jump host")
    add("--host-key-policy", choices=("strict", "accept-new", "off"),
        help="checking of host keys against known_hosts: strict (unknown keys "
        "rejected), accept-new (unknown keys recorded, changed keys rejected) or off")  # fmt: skip
    add("--known-hosts", metavar="FILE", help="known_hosts file (default ~/.ssh/known_hosts)")
    add("--connect-timeout", type=_seconds, metavar="SECS",
        help="give up connecting to a host after SECS (default 10)")  # fmt: skip
    add("--retries", type=_count, metavar="N",
        help="try a failed connection N more times, 1s apart (default 0)")  # fmt: skip
    add("-O", "--ssh-option", dest="ssh_options", action="append", default=[],
        metavar="OPTION=VALUE", help="an OpenSSH option pssh understands: User, Port, "
        "IdentityFile, StrictHostKeyChecking, UserKnownHostsFile, ProxyJump, ConnectTimeout, "
        "ConnectionAttempts, ServerAliveInterval, ForwardAgent, Compression, BatchMode "
        "(others are refused); a dedicated option wins over -O")  # fmt: skip
    add("-x", "--extra-args", dest="extra_args", action="append", default=[], metavar="ARGS",
        help="ssh arguments, as one string: -o OPTION=VALUE, -l, -p, -i, -J, -A, -C, -q, -T "
        "(as classic pssh; pssh runs no ssh: others are refused)")  # fmt: skip
    add("-X", "--extra-arg", dest="extra_arg", action="append", default=[], metavar="ARG",
        help="one ssh argument (repeat it, as classic pssh: -X -o -X User=admin)")  # fmt: skip


def _batches(text: str) -> list[int | str]:
    items: list[int | str] = [
        int(item) if item.strip().isdigit() else item.strip() for item in text.split(",")
    ]
    try:
        plan_batches(100, items)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a list of batch sizes like 1,10%,100%: {text!r}"
        ) from None
    return items


def _budget(text: str) -> str:
    try:
        parse_budget(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a number of hosts (0 or more) or a percentage like 10%: {text!r}"
        ) from None
    return text


def _add_common_run(group: argparse._ArgumentGroup, what: str) -> None:
    group.add_argument("-p", "--par", "-f", "--fanout", dest="par", type=_positive, default=32,
                       metavar="N", help="connect to N hosts at a time (default 32; -f is "
                       "clush's spelling)")  # fmt: skip
    limit = (
        "give up on the commands still running SECS after all have started"
        if what == "command"
        else "stop the copies still going SECS after they started (connecting included)"
    )
    group.add_argument("-t", "--timeout", "-u", dest="timeout", type=_timeout, metavar="SECS",
                       help=f"{limit} (0 or default: no limit; -u: clush's spelling)")  # fmt: skip

    group.add_argument("--batches", type=_batches, metavar="SIZES",
                       help="roll out in batches: cumulative host counts or percentages of "
                            f"all hosts, e.g. 1,10%%,100%%; each batch's {what} ends before "
                            "the next starts (default: all hosts at once)")  # fmt: skip
    group.add_argument("--max-failures", type=_budget, metavar="N|P%",
                       help="with --batches: stop the rollout once more than N hosts (or P%% "
                            "of the hosts run so far) failed; the rest are reported as "
                            "not started (default 0: stop at the first failure)")  # fmt: skip


def _add_reporting(group: argparse._ArgumentGroup) -> None:
    group.add_argument("--failed-hosts", metavar="FILE",
                       help="write the hosts that failed to FILE, one per line (empty if none); "
                            "re-run them with -h FILE")  # fmt: skip
    group.add_argument("--color", "--colour", dest="color", choices=("auto", "always", "never"),
                       default="auto", help="colour host names and failures (default auto: "
                       "on a terminal, unless NO_COLOR is set)")  # fmt: skip
    group.add_argument("--no-progress", action="store_true",
                       help="no progress line (it only ever shows on a terminal)")  # fmt: skip


def _add_misc(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("other")
    group.add_argument("-v", "--verbose", action="count", default=0,
                       help="show the library's log on stderr, and the traceback of each "
                            "host's failure; -vv for debug messages")  # fmt: skip
    group.add_argument("--version", action="version", version=f"pssh {__version__}")
    group.add_argument("--help", action="help", help="show this help and exit")


def run_parser() -> argparse.ArgumentParser:
    """The parser of ``pssh [options] COMMAND``."""
    parser = _new_parser(
        "pssh", RUN_USAGE, RUN_DESCRIPTION,
        "\n\n".join((RUN_EXAMPLES, PASSWORD_HELP, EXIT_STATUS_HELP)),
    )  # fmt: skip
    _add_hosts(parser)
    _add_connection(parser)
    run = parser.add_argument_group("running")
    _add_common_run(run, "command")
    run.add_argument("--cancel-on-timeout", action="store_true",
                     help="when -t expires, stop the remote commands still running (SSH "
                          "signal TERM, then their channel closed after 5s); without it "
                          "they are left running")  # fmt: skip
    run.add_argument("--forward-agent", action="store_true",
                     help="forward the SSH agent to the hosts, like ssh -A (default off: "
                          "root on a host could use your keys while connected)")  # fmt: skip
    run.add_argument("--pty", action="store_true",
                     help="run on a pseudo-terminal (stderr merged into stdout; closing the "
                          "connection then hangs up the remote command)")  # fmt: skip
    run.add_argument("-I", "--send-input", action="store_true",
                     help="send this program's standard input to every host's command "
                          "(otherwise the command's input is empty)")  # fmt: skip
    out = parser.add_argument_group("output (default: live, each line as 'host: line' as it comes)")
    modes = out.add_mutually_exclusive_group()
    modes.add_argument("-i", "--inline", dest="mode", action="store_const", const="inline",
                       help="each host's output as one block when it finishes")  # fmt: skip
    modes.add_argument("-P", "--print", dest="mode", action="store_const", const="live",
                       help="each line as 'host: line' as it arrives (the default; with -o "
                            "it prints as well as writing the files)")  # fmt: skip
    modes.add_argument("-g", "--gather", "-B", dest="mode", action="store_const",
                       const="gather", help="at the end, hosts with identical stdout, stderr "
                       "and exit code as one block, named like web[01-03,07], largest group "
                       "first (-B is clush's spelling)")  # fmt: skip
    modes.add_argument("-b", "--gather-stdout", dest="mode", action="store_const",
                       const="gather_stdout", help="as -g, but only stdout is gathered: "
                       "stderr lines show as they arrive, with their host (clush -b)")  # fmt: skip
    modes.add_argument("--diff", dest="mode", action="store_const", const="diff",
                       help="gather, then show each minority group as a unified diff "
                            "against the largest group (clush --diff)")  # fmt: skip
    modes.add_argument("-j", "--json", dest="mode", action="store_const", const="json",
                       help="one JSON object per host per line: host, exit_code, stdout, "
                            "stderr, error, timings")  # fmt: skip
    out.add_argument("-o", "--outdir", metavar="DIR",
                     help="also write each host's stdout to DIR/<host> (status lines only "
                          "are shown unless a mode is chosen)")  # fmt: skip
    out.add_argument(
        "-e", "--errdir", metavar="DIR", help="also write each host's stderr to DIR/<host>"
    )
    out.add_argument("-N", "--no-prefix", action="store_true",
                     help="lines without their 'host: ' prefix, blocks without their "
                          "header (clush -N)")  # fmt: skip
    out.add_argument("-S", "--largest-exit", action="store_true",
                     help="exit with the largest exit code of the remote commands (a "
                          "host that ran none counts as 255, as ssh's own failures) "
                          "(clush -S)")  # fmt: skip
    _add_reporting(out)
    _add_misc(parser)
    parser.add_argument("command", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def copy_parser() -> argparse.ArgumentParser:
    """The parser of ``pssh copy [options] SRC DEST``."""
    parser = _new_parser(
        "pssh copy", COPY_USAGE, COPY_DESCRIPTION,
        "\n\n".join((COPY_EXAMPLES, PASSWORD_HELP, EXIT_STATUS_HELP)),
    )  # fmt: skip
    _add_hosts(parser)
    _add_connection(parser)
    run = parser.add_argument_group("copying")
    run.add_argument(
        "-r", "--recursive", action="store_true", help="copy folders and their contents"
    )
    _add_common_run(run, "copy")
    out = parser.add_argument_group("output (default: failures as they happen, then a summary)")
    out.add_argument("-j", "--json", dest="mode", action="store_const", const="json",
                     help="one JSON object per host per line")  # fmt: skip
    _add_reporting(out)
    _add_misc(parser)
    parser.add_argument("src", metavar="SRC", help=argparse.SUPPRESS)
    parser.add_argument("dest", metavar="DEST", help=argparse.SUPPRESS)
    return parser


_DASH_VALUES = ("-x", "--extra-args", "-X", "--extra-arg", "-O", "--ssh-option")
"""Options whose value may start with a dash (``-X -o``, ``-x -A``): classic
pssh took the next word whatever it was; argparse would read it as an option."""


def attach_dash_values(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """``-X -o`` -> ``-X=-o`` (for the options of :data:`_DASH_VALUES`), up to
    the command: the words of the command itself are never touched."""
    takes_value = {
        flag
        for action in parser._actions  # noqa: SLF001 - argparse has no public list
        for flag in action.option_strings
        if action.nargs is None and action.const is None
    }
    out: list[str] = []
    words = list(argv)
    while words:
        word = words.pop(0)
        if word == "--" or not word.startswith("-") or word == "-":
            return out + [word] + words  # the command (or a positional) starts here
        if word in _DASH_VALUES and words:
            out.append(f"{word}={words.pop(0)}")
        elif word in takes_value and words:
            out += [word, words.pop(0)]
        else:
            out.append(word)
    return out


def parse_run(argv: list[str]) -> argparse.Namespace:
    """Parse ``pssh`` (run) arguments; the command is ``args.command`` (a list)."""
    parser = run_parser()
    if not argv:
        parser.print_usage(sys.stderr)
        parser.exit(EXIT_USAGE, "pssh: give hosts (-H or -h) and a command; see pssh --help\n")
    args = parser.parse_args(attach_dash_values(parser, argv))
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command and not args.list_hosts:
        parser.error("no command given (put it last, after the options, or after --)")
    args.command = command
    return args


def parse_copy(argv: list[str]) -> argparse.Namespace:
    """Parse ``pssh copy`` arguments."""
    parser = copy_parser()
    return parser.parse_args(attach_dash_values(parser, argv))
