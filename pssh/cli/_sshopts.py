"""``-O OPTION=VALUE``, ``-x ARGS`` and ``-X ARG``: OpenSSH spellings, turned into pssh's options.

Classic ``pssh`` passes these to the ``ssh`` program it runs. This pssh runs no
``ssh``: it connects itself, so each OpenSSH option is carried out by the option
of pssh that does the same thing, and an option pssh cannot carry out is refused
with a usage error naming it - never silently ignored (``-O
LocalForward=...`` quietly doing nothing would be worse than an error).

A dedicated option wins over the same setting given here (``-l admin -O
User=root`` logs in as ``admin``), as a command line flag wins over
``~/.ssh/config`` in OpenSSH. Pure logic: no I/O.
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Callable
from typing import Any


class SSHOptionError(ValueError):
    """An ``-O``/``-x``/``-X`` value pssh cannot carry out."""


def _yes_no(name: str, value: str) -> bool:
    word = value.lower()
    if word in ("yes", "true"):
        return True
    if word in ("no", "false"):
        return False
    raise SSHOptionError(f"-O {name}={value}: expected yes or no")


def _number(name: str, value: str, least: float = 0) -> float:
    try:
        number = float(value)
    except ValueError:
        raise SSHOptionError(f"-O {name}={value}: not a number") from None
    if number < least:
        raise SSHOptionError(f"-O {name}={value}: must be at least {least:g}")
    return number


def _port(name: str, value: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise SSHOptionError(f"-O {name}={value}: not a port number")
    return int(value)


_POLICIES = {"yes": "strict", "ask": "strict", "accept-new": "accept-new", "no": "off",
             "off": "off"}  # fmt: skip


def _policy(name: str, value: str) -> str:
    policy = _POLICIES.get(value.lower())
    if policy is None:
        raise SSHOptionError(f"-O {name}={value}: expected yes, accept-new or no")
    return policy


def _proxy(name: str, value: str) -> str | None:
    if value.lower() == "none":
        return None
    if "," in value:
        raise SSHOptionError(f"-O {name}={value}: pssh goes through one jump host (-J)")
    return value.removeprefix("ssh://")


def _known_hosts(name: str, value: str) -> str:
    files = value.split()
    if len(files) != 1 or value.lower() == "none":
        raise SSHOptionError(f"-O {name}={value}: give one known_hosts file (--known-hosts)")
    return files[0]


# OpenSSH option (lower case) -> (pssh option's dest, its flag, how to read the value)
_OPTIONS: dict[str, tuple[str, str, Callable[[str, str], Any]]] = {
    "user": ("user", "-l", lambda n, v: v),
    "port": ("port", "--port", _port),
    "identityfile": ("key", "-k", lambda n, v: v),
    "stricthostkeychecking": ("host_key_policy", "--host-key-policy", _policy),
    "userknownhostsfile": ("known_hosts", "--known-hosts", _known_hosts),
    "proxyjump": ("proxy", "-J", _proxy),
    "connecttimeout": ("connect_timeout", "--connect-timeout", lambda n, v: _number(n, v, 1)),
    "connectionattempts": ("retries", "--retries", lambda n, v: int(_number(n, v, 1)) - 1),
    "serveraliveinterval": ("keepalive", "-O ServerAliveInterval", lambda n, v: int(_number(n, v))),
    "forwardagent": ("forward_agent", "--forward-agent", _yes_no),
    "compression": ("compress", "-O Compression", _yes_no),
    "batchmode": ("batch_mode", "-O BatchMode", _yes_no),  # pssh never prompts unless -A
}

SUPPORTED = ("User", "Port", "IdentityFile", "StrictHostKeyChecking", "UserKnownHostsFile",
             "ProxyJump", "ConnectTimeout", "ConnectionAttempts", "ServerAliveInterval",
             "ForwardAgent", "Compression", "BatchMode")  # fmt: skip


def parse_option(text: str) -> tuple[str, Any]:
    """``OPTION=VALUE`` (or ``OPTION VALUE``, as ``ssh -o`` takes it) -> (dest, value).

    :raises: :class:`SSHOptionError` for an option pssh cannot carry out.
    """
    name, sep, value = text.strip().partition("=")
    if not sep:
        name, _, value = text.strip().partition(" ")
    name, value = name.strip(), value.strip()
    if not name or not value:
        raise SSHOptionError(f"-O {text}: expected OPTION=VALUE, e.g. -O User=admin")
    known = _OPTIONS.get(name.lower())
    if known is None:
        raise SSHOptionError(
            f"-O {name}: not an OpenSSH option pssh can carry out (pssh runs no ssh); "
            f"it understands {', '.join(SUPPORTED)}"
        )
    dest, _, read = known
    return dest, read(name, value)


# ssh flags -x/-X take: flag -> OpenSSH option it stands for (None: no value, no effect)
_SSH_VALUE_FLAGS = {"-o": None, "-l": "User", "-p": "Port", "-i": "IdentityFile",
                    "-J": "ProxyJump"}  # fmt: skip
_SSH_SWITCHES = {"-A": "ForwardAgent=yes", "-a": "ForwardAgent=no", "-C": "Compression=yes",
                 "-q": None, "-T": None, "-n": None}  # fmt: skip


def ssh_args_options(words: list[str]) -> list[str]:
    """The ``OPTION=VALUE`` texts that ssh arguments (``-x``/``-X``) stand for.

    :raises: :class:`SSHOptionError` for an ssh argument pssh cannot carry out.
    """
    options: list[str] = []
    rest = list(words)
    while rest:
        word = rest.pop(0)
        flag, attached = word[:2], word[2:]
        if flag in _SSH_VALUE_FLAGS:
            value = attached or (rest.pop(0) if rest else None)
            if value is None:
                raise SSHOptionError(f"-x: ssh argument {flag} needs a value")
            option = _SSH_VALUE_FLAGS[flag]
            options.append(value if option is None else f"{option}={value}")
        elif word in _SSH_SWITCHES:
            if _SSH_SWITCHES[word] is not None:
                options.append(_SSH_SWITCHES[word])  # type: ignore[arg-type]
        else:
            raise SSHOptionError(
                f"-x: ssh argument {word!r} is not one pssh can carry out (pssh runs no ssh); "
                "it understands -o OPTION=VALUE, -l, -p, -i, -J, -A, -a, -C, -q, -T, -n"
            )
    return options


def apply_ssh_options(args: argparse.Namespace) -> None:
    """Fold ``-x``, ``-X`` and ``-O`` into ``args``: each sets its pssh option
    unless that was given itself. Also sets the defaults of the options -O may
    set (so that "given" can be told apart).

    :raises: :class:`SSHOptionError`
    """
    texts: list[str] = []
    for value in getattr(args, "extra_args", []):
        try:
            words = shlex.split(value)
        except ValueError as exc:
            raise SSHOptionError(f"-x {value!r}: {exc}") from None
        texts += ssh_args_options(words)
    texts += ssh_args_options(list(getattr(args, "extra_arg", [])))
    texts += list(getattr(args, "ssh_options", []))
    chosen: dict[str, Any] = {}
    for text in texts:
        dest, value = parse_option(text)
        chosen.setdefault(dest, value)  # the first obtained value wins, as in ssh
    for dest, value in chosen.items():
        if dest == "forward_agent":
            if value and not hasattr(args, "forward_agent"):
                raise SSHOptionError("-O ForwardAgent: pssh copy does not forward the agent")
            if value:
                args.forward_agent = True
        elif getattr(args, dest, None) is None:
            setattr(args, dest, value)
    defaults = {"connect_timeout": 10.0, "retries": 0, "keepalive": None, "compress": False}
    for dest, value in defaults.items():
        if getattr(args, dest, None) is None:
            setattr(args, dest, value)


__all__ = ["SUPPORTED", "SSHOptionError", "apply_ssh_options", "parse_option",
           "ssh_args_options"]  # fmt: skip
