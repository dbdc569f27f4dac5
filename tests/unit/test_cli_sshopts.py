"""Pure logic of the command line: -O/-x/-X, messages in option terms, -v's log lines,
dash-leading option values and -S's exit status."""

from __future__ import annotations

import argparse
import io
import logging

import pytest

from pssh.cli._console import Console
from pssh.cli._hosts import HostSpec
from pssh.cli._logs import show_library_log
from pssh.cli._options import attach_dash_values, run_parser
from pssh.cli._sshopts import SSHOptionError, apply_ssh_options, parse_option, ssh_args_options
from pssh.cli._summary import HostResult, exit_status
from pssh.cli._wording import cli_words


@pytest.mark.parametrize(
    ("text", "dest", "value"),
    [
        ("User=admin", "user", "admin"),
        ("user admin", "user", "admin"),  # ssh -o also takes a space
        ("Port=2222", "port", 2222),
        ("IdentityFile=~/.ssh/k", "key", "~/.ssh/k"),
        ("StrictHostKeyChecking=no", "host_key_policy", "off"),
        ("StrictHostKeyChecking=accept-new", "host_key_policy", "accept-new"),
        ("StrictHostKeyChecking=yes", "host_key_policy", "strict"),
        ("UserKnownHostsFile=/tmp/kh", "known_hosts", "/tmp/kh"),
        ("ProxyJump=admin@bastion:2222", "proxy", "admin@bastion:2222"),
        ("ProxyJump=none", "proxy", None),
        ("ConnectTimeout=5", "connect_timeout", 5.0),
        ("ConnectionAttempts=3", "retries", 2),
        ("ServerAliveInterval=30", "keepalive", 30),
        ("ForwardAgent=yes", "forward_agent", True),
        ("Compression=no", "compress", False),
    ],
)
def test_parse_option(text: str, dest: str, value: object) -> None:
    assert parse_option(text) == (dest, value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("LocalForward=80 x:80", "-O LocalForward: not an OpenSSH option pssh can carry out"),
        ("ProxyJump=a,b", "one jump host"),
        ("ConnectTimeout=soon", "not a number"),
        ("ForwardAgent=maybe", "expected yes or no"),
        ("UserKnownHostsFile=a b", "give one known_hosts file"),
        ("=x", "expected OPTION=VALUE"),
    ],
)
def test_parse_option_refuses(text: str, message: str) -> None:
    with pytest.raises(SSHOptionError, match=message):
        parse_option(text)


def test_ssh_args_options() -> None:
    words = ["-l", "bob", "-p2222", "-o", "ConnectTimeout=3", "-oUser=x", "-A", "-q", "-i", "k"]
    assert ssh_args_options(words) == [
        "User=bob", "Port=2222", "ConnectTimeout=3", "User=x", "ForwardAgent=yes",
        "IdentityFile=k",
    ]  # fmt: skip
    with pytest.raises(SSHOptionError, match="'-L' is not one pssh can carry out"):
        ssh_args_options(["-L", "80:x:80"])
    with pytest.raises(SSHOptionError, match="-l needs a value"):
        ssh_args_options(["-l"])


def test_apply_ssh_options_dedicated_options_and_first_value_win() -> None:
    args = argparse.Namespace(
        extra_args=["-l first -p 2200"], extra_arg=[], ssh_options=["User=second", "Port=22"],
        user=None, port=None, key="given", connect_timeout=None, retries=None, forward_agent=False,
    )  # fmt: skip
    args.ssh_options.append("IdentityFile=ignored")
    apply_ssh_options(args)
    assert (args.user, args.port, args.key) == ("first", 2200, "given")
    assert (args.connect_timeout, args.retries, args.keepalive, args.compress) == (
        10.0,
        0,
        None,
        False,
    )


def test_cli_words() -> None:
    text = ("No host key is known for h and host_key_policy is strict ... or use "
            "host_key_policy='accept-new'.")  # fmt: skip
    assert cli_words(text) == (
        "No host key is known for h and --host-key-policy is strict ... or use "
        "--host-key-policy accept-new."
    )
    assert cli_words("Error connecting - retry 1/3") == "Error connecting (attempt 1 of 3)"
    assert "--no-agent" in cli_words(
        "forward_ssh_agent=True but allow_agent=False and no agent= given, so"
    )


def test_attach_dash_values_stops_at_the_command() -> None:
    parser = run_parser()
    argv = ["-H", "h", "-X", "-o", "-X", "User=a", "-x", "-A", "-t", "0", "curl", "-X", "POST"]
    assert attach_dash_values(parser, argv) == [
        "-H", "h", "-X=-o", "-X=User=a", "-x=-A", "-t", "0", "curl", "-X", "POST",
    ]  # fmt: skip
    assert attach_dash_values(parser, ["-i", "--", "-X", "y"]) == ["-i", "--", "-X", "y"]


def test_verbose_log_lines_go_through_the_console() -> None:
    err = io.StringIO()
    console = Console("never", progress=False, out=io.StringIO(), err=err)
    library = logging.getLogger("pssh")
    level = library.level
    try:
        show_library_log(console, 1)
        logging.getLogger("pssh.clients").info("connected to %s", "h1")
        logging.getLogger("pssh.clients").debug("not shown at -v")
        show_library_log(console, 0)  # main() again: one handler, warnings only
        logging.getLogger("pssh.clients").warning("host_key_policy='off' used")
    finally:
        library.setLevel(level)
        show_library_log(console, 0)
    assert err.getvalue() == (
        "pssh: [pssh.clients] info: connected to h1\npssh: warning: --host-key-policy off used\n"
    )


def _result(cause: str | None, code: int | None = None) -> HostResult:
    result = HostResult(HostSpec("h"))
    result.exit_code = code
    if cause is not None:
        result.fail(cause)
    result.finish()
    return result


def test_largest_exit_status() -> None:
    assert exit_status([_result(None, 0), _result("exit", 3), _result("exit", 7)], True) == 7
    assert exit_status([_result(None, 0)], True) == 0
    assert exit_status([_result("exit", 1), _result("unreachable")], True) == 255
    assert exit_status([_result("exit", None)], True) == 255  # killed by a signal
    assert exit_status([_result("exit", 3), _result("unreachable")]) == 2
