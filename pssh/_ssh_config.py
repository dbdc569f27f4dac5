"""OpenSSH client configuration (``ssh_config``) reader, written to behave like
OpenSSH 9.2's ``ssh`` (cross-checked against ``ssh -G`` in the tests).

API
---
``SSHConfig.load()`` reads ``~/.ssh/config`` then ``/etc/ssh/ssh_config``;
``SSHConfig.load(path)`` reads only ``path`` (``"none"`` reads nothing, as
``ssh -F none``); ``SSHConfig.from_string(text)`` parses text; ``SSHConfig()``
is empty. ``config.lookup(host, user=None, port=None)`` returns a frozen
:class:`HostConfig`, where ``user``/``port`` act like ``ssh -l``/``-p``:
they win over the file and feed ``Match user``, ``%r`` and ``%p``.

Wiring it (for the clients): other explicit arguments also win over the
returned values. ``strict_host_key_checking`` is already a
:class:`~pssh._known_hosts.HostKeyPolicy`; ``user_known_hosts_files`` (when
not ``None``) replaces the user files of ``KnownHosts``, the first one being
the file to record into, with ``hash_name=hash_known_hosts``; with
``host_key_alias`` look the key up as ``(alias, port=None)``. Each
``proxy_jump`` hop should itself be looked up, as ssh does for jump hosts.

Semantics
---------
- The first obtained value of each option wins (most specific blocks first,
  ``Host *`` last); ``IdentityFile`` (and the forwarding, ``SendEnv``,
  ``SetEnv``, ``CertificateFile`` keywords) accumulate. ``ProxyJump`` and
  ``ProxyCommand``: whichever comes first wins, but ``ProxyJump none`` does
  not block a later ``ProxyCommand`` (as ``ssh -G`` shows). ``ConnectTimeout
  none`` and ``ServerAliveInterval none`` leave the option unset, as in ssh.
  ``ProxyCommand`` and the other command keywords keep their raw text
  (``ProxyCommand`` is carried out by :mod:`pssh.clients._proxy_command`).
- Keywords are case-insensitive; ``Keyword value`` or ``Keyword=value``;
  ``"double"``/``'single'`` quotes and backslash escapes as in ssh's
  ``argv_split``; ``#`` starts a comment at the start of a word.
- ``Host`` patterns (``*``, ``?``, ``!``; several per line) match the host
  exactly as given (case-sensitive, like ssh). ``Match`` supports ``all``,
  ``host`` (the HostName obtained so far, ``%h`` expanded), ``originalhost``,
  ``user``, ``localuser``, ``canonical`` and ``final`` (a second pass runs
  when any ``Match`` uses ``final``, as in ssh: ``Host`` lines then match the
  resolved, lower-cased host name). A ``Match`` line using
  ``exec``, ``localnetwork`` or ``tagged`` never matches (nothing is run),
  and is listed in :attr:`HostConfig.unsupported` with the other options
  that change where or how ``ssh`` connects and that pssh cannot carry out.
- ``Include``: several glob patterns, processed in sorted order; relative
  paths are in ``~/.ssh`` for user files (including ``load(path)``, like
  ``ssh -F``) and ``/etc/ssh`` for the system file; conditional inside
  ``Host``/``Match``; at most 16 levels. User files must not be writable by
  others (ssh's permission check), except an explicit ``load(path)``.
- Expansions: ``HostName`` takes ``%h``/``%%`` (then is lower-cased, IP
  addresses excepted); ``IdentityFile`` and ``UserKnownHostsFile`` take ``~``,
  ``${ENV}`` and ``%%``, ``%C``, ``%d``, ``%h``, ``%i``, ``%k``, ``%L``, ``%l``,
  ``%n``, ``%p``, ``%r``, ``%u``. ``~`` and ``%d`` use ``$HOME`` (ssh uses the
  passwd entry; they agree unless ``$HOME`` is changed). ``ProxyJump`` is
  not expanded.
- Errors that make ``ssh`` refuse a config (bad values of the options read
  here, missing arguments, bad quotes, ``Match`` syntax, deep ``Include``)
  raise :class:`SSHConfigError` naming file and line; unknown keywords are kept
  in :attr:`HostConfig.options` without complaint.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import ipaddress
import os
import pwd
import re
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple, Optional, Union
from urllib.parse import unquote

from ._known_hosts import (
    HostKeyPolicy,
    ascii_lower,
    match_pattern,
    match_pattern_list,
    parse_policy,
)

USER_CONFIG = "~/.ssh/config"
SYSTEM_CONFIG = "/etc/ssh/ssh_config"
MAX_INCLUDE_DEPTH = 16
# Keywords whose values accumulate instead of first-obtained-wins.
MULTI = {"identityfile", "certificatefile", "localforward", "remoteforward", "dynamicforward",
         "sendenv", "setenv"}  # fmt: skip
# Keywords whose value is the rest of the line, unsplit (as ssh keeps them).
_RAW = {"proxycommand", "localcommand", "remotecommand", "knownhostscommand"}
_UNSUPPORTED_MATCH = {"exec", "localnetwork", "tagged"}
# Options that change where or how ssh connects and that pssh does not carry out
# (lower-cased keyword -> its name in messages); "none" values mean unset.
UNSUPPORTED = {"knownhostscommand": "KnownHostsCommand", "certificatefile": "CertificateFile",
               "pkcs11provider": "PKCS11Provider"}  # fmt: skip
_TIME = re.compile(r"(?:\d+[smhdwSMHDW])*\d*")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class SSHConfigError(ValueError):
    """A configuration ``ssh`` would refuse; the message names file and line."""


class JumpHost(NamedTuple):
    """One ``ProxyJump`` hop; ``user`` and ``port`` are ``None`` when not given."""

    user: Optional[str]
    host: str
    port: Optional[int]


@dataclass(frozen=True)
class HostConfig:
    """The resolved configuration for one host (see the module docstring).

    ``hostname`` defaults to the host; ``port`` to 22; ``user`` is ``None``
    when neither ``lookup(user=)`` nor the file sets it; ``identity_files`` is
    ``()`` when none is configured (the caller's defaults apply);
    ``user_known_hosts_files`` is ``None`` when unset and ``()`` for ``none``;
    ``connect_timeout`` is ``None`` when unset or 0; ``options`` maps each
    lower-cased keyword obtained to its raw arguments (accumulated for
    ``IdentityFile`` & co). ``proxy_command`` is the raw ``ProxyCommand``
    (``None`` when unset or ``none``). ``unsupported`` lists, as ``(name,
    "file line N")``, the options obtained that change where or how ``ssh``
    connects and that pssh does not carry out (``KnownHostsCommand``,
    ``CertificateFile``, ``PKCS11Provider``, ``Match exec``,
    ``Match localnetwork``, ``Match tagged``), for the clients to warn about.
    """

    host: str
    hostname: str
    port: int = 22
    user: Optional[str] = None
    identity_files: tuple[str, ...] = ()
    identities_only: bool = False
    proxy_jump: tuple[JumpHost, ...] = ()
    connect_timeout: Optional[float] = None
    server_alive_interval: Optional[int] = None
    strict_host_key_checking: Optional[HostKeyPolicy] = None
    user_known_hosts_files: Optional[tuple[str, ...]] = None
    host_key_alias: Optional[str] = None
    hash_known_hosts: bool = False
    options: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    proxy_command: Optional[str] = None
    unsupported: tuple[tuple[str, str], ...] = ()


# --- value parsers (also used to validate every line at load time) -----------


def parse_time(value: str) -> Optional[int]:
    """ssh's time format (``90``, ``1m30s``, ``2h``...) in seconds; ``none`` is ``None``.

    :raises ValueError: For anything else.
    :rtype: int or None
    """
    if value == "none":
        return None
    if not value or not _TIME.fullmatch(value):
        raise ValueError(f"invalid time value {value!r}")
    return sum(int(n) * _UNITS[u.lower()] for n, u in re.findall(r"(\d+)([a-zA-Z]?)", value))


def _port(value: str) -> int:
    try:
        port = int(value) if value.isdigit() else socket.getservbyname(value, "tcp")
    except OSError:
        port = 0
    if not 0 < port < 65536:
        raise ValueError(f"bad port {value!r}")
    return port


def _flag(value: str) -> bool:
    word = value.lower()
    if word not in ("yes", "true", "no", "false"):
        raise ValueError(f"expected yes or no, got {value!r}")
    return word in ("yes", "true")


def _user_host_port(text: str) -> JumpHost:
    user, at, rest = text.rpartition("@")
    if at and not user:
        raise ValueError(f"empty user in {text!r}")
    if rest.startswith("["):
        host, close, tail = rest[1:].partition("]")
        if not close or tail[:1] not in ("", ":", "/"):
            raise ValueError(f"bad address {text!r}")
        port_text = tail[1:]
    else:
        host, _, port_text = _split_hp(rest)
    if not host:
        raise ValueError(f"missing host in {text!r}")
    return JumpHost(user or None, host, _port(port_text) if port_text else None)


def _split_hp(rest: str) -> tuple[str, str, str]:
    match = re.search(r"[:/]", rest)
    return (
        (rest, "", "") if not match else (rest[: match.start()], match.group(), rest[match.end() :])
    )


def parse_proxy_jump(value: str) -> tuple[JumpHost, ...]:
    """Parse ``[user@]host[:port]`` or ``ssh://[user@]host[:port]`` hops, comma
    separated (first hop first); ``none`` gives ``()``.

    :raises ValueError: For a malformed hop.
    :rtype: tuple(JumpHost)
    """
    value = value.split("#", 1)[0].strip()
    if value.lower() == "none":
        return ()
    hops = []
    for hop in value.split(","):
        hop = hop.strip()
        if hop.startswith("ssh://"):
            hop = hop[6:].rstrip("/")
            if not hop or "/" in hop or ";" in hop.partition("@")[0]:
                raise ValueError(f"bad ssh URI in ProxyJump {value!r}")
            user, at, rest = hop.rpartition("@")
            hop = f"{unquote(user)}@{rest}" if at else rest
        hops.append(_user_host_port(hop))
    return tuple(hops)


# Validation of the options interpreted here (one argument each).
_CHECKS: dict[str, Callable[[str], object]] = {
    "port": _port, "identitiesonly": _flag, "hashknownhosts": _flag, "hostname": str,
    "connecttimeout": parse_time, "serveraliveinterval": parse_time, "user": str,
    "stricthostkeychecking": parse_policy, "hostkeyalias": str, "identityfile": str,
}  # fmt: skip


# --- lines -------------------------------------------------------------------


def split_args(text: str) -> list[str]:
    """Split arguments like ssh's ``argv_split``: quotes, ``\\`` escapes, ``#`` comments.

    :raises ValueError: For an unterminated quote.
    :rtype: list(str)
    """
    args: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] in " \t":
            i += 1
            continue
        if text[i] == "#":
            break
        arg: list[str] = []
        quote = ""
        while i < n:
            c = text[i]
            nxt = text[i + 1 : i + 2]
            if c == "\\" and nxt and (nxt in "'\"\\" or (nxt == " " and not quote)):
                arg.append(nxt)
                i += 2
                continue
            if not quote and c in " \t":
                break
            if not quote and c in "\"'":
                quote = c
            elif quote and c == quote:
                quote = ""
            else:
                arg.append(c)
            i += 1
        if quote:
            raise ValueError("invalid quotes")
        args.append("".join(arg))
    return args


def _split_line(line: str) -> Optional[tuple[str, str]]:
    match = re.match(r"[ \t]*([^ \t\r\n=]*)[ \t]*(?:=[ \t]*)?(.*)", line.rstrip(" \t\r\n\f"))
    keyword = match.group(1) if match else ""
    if not keyword or keyword.startswith("#"):
        return None
    return keyword.lower(), match.group(2) if match else ""


class _Block(NamedTuple):
    id: int
    match: bool  # Match (criteria in args) or Host (patterns in args)
    args: tuple[tuple[bool, str, str], ...]
    where: str = ""  # "file line N"


class _Option(NamedTuple):
    keyword: str
    args: tuple[str, ...]
    chain: tuple[int, ...]  # blocks that must all match
    where: str = ""  # "file line N"


def _check_value(keyword: str, args: list[str], raw: str) -> None:
    check = _CHECKS.get(keyword)
    if keyword == "proxyjump":
        parse_proxy_jump(raw)
    elif check is not None:
        if len(args) > 1:
            raise ValueError(f"extra arguments after {keyword} {args[0]!r}")
        check(args[0])


def _parse_match(args: list[str]) -> tuple[tuple[bool, str, str], ...]:
    crits: list[tuple[bool, str, str]] = []
    rest = list(args)
    while rest:
        word = rest.pop(0)
        negate, attr = word.startswith("!"), word.lstrip("!").lower()
        if attr == "all":
            if len(crits) > 1 or rest:
                raise ValueError("'all' cannot be combined with other Match attributes")
            crits.append((negate, attr, ""))
        elif attr in ("canonical", "final"):
            crits.append((negate, attr, ""))
        elif attr in ("host", "originalhost", "user", "localuser") or attr in _UNSUPPORTED_MATCH:
            if not rest:
                raise ValueError(f"missing Match criteria for {attr}")
            crits.append((negate, attr, rest.pop(0)))
        else:
            raise ValueError(f"unsupported Match attribute {attr}")
    if not crits:
        raise ValueError("one or more attributes required for Match")
    return tuple(crits)


class _Loader:
    def __init__(self) -> None:
        self.items: list[Union[_Block, _Option]] = []
        self.final = False
        self.where = ""

    def read(self, path: str, user: bool, checkperm: bool, chain: tuple, depth: int) -> None:
        if depth > MAX_INCLUDE_DEPTH:
            raise SSHConfigError(f"{path}: too many recursive configuration includes")
        if os.path.isdir(path):
            return  # ssh reads nothing from a directory
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            if checkperm and (st.st_uid not in (0, os.getuid()) or st.st_mode & 0o022):
                raise SSHConfigError(f"Bad owner or permissions on {path}")
            text = fh.read().decode("utf-8", "surrogateescape")
        self.parse(text, path, user, chain, depth)

    def parse(self, text: str, path: str, user: bool, chain: tuple, depth: int) -> None:
        local = chain
        for lineno, line in enumerate(text.split("\n"), 1):
            self.where = f"{path} line {lineno}"
            try:
                local = self._line(line, path, user, chain, local, depth)
            except SSHConfigError:
                raise
            except ValueError as exc:
                raise SSHConfigError(f"{path} line {lineno}: {exc}") from None

    def _line(
        self, line: str, path: str, user: bool, chain: tuple, local: tuple, depth: int
    ) -> tuple:
        parsed = _split_line(line)
        if parsed is None:
            return local
        keyword, raw = parsed
        args = split_args(raw)
        if not args:
            raise ValueError(f"no argument after keyword {keyword!r}")
        if keyword in ("host", "match"):
            crits = (
                _parse_match(args) if keyword == "match" else tuple((False, "", a) for a in args)
            )
            self.final = self.final or any(c[1] == "final" for c in crits if keyword == "match")
            block = _Block(len(self.items), keyword == "match", crits, self.where)
            self.items.append(block)
            return (*chain, block.id)
        if keyword == "include":
            for arg in args:
                self._include(arg, path, user, local, depth)
            return local
        _check_value(keyword, args, raw)
        if keyword == "proxyjump":
            args = [raw.split("#", 1)[0].strip()]
            args = ["none"] if args[0].lower() == "none" else args
        elif keyword in _RAW:
            args = [raw]
        self.items.append(_Option(keyword, tuple(args), local, self.where))
        return local

    def _include(self, arg: str, path: str, user: bool, local: tuple, depth: int) -> None:
        if arg.startswith("~") and not user:
            raise ValueError(f"bad include path {arg} (no ~ in system files)")
        if not arg.startswith(("/", "~")):
            arg = os.path.join("~/.ssh" if user else os.path.dirname(SYSTEM_CONFIG), arg)
        for name in sorted(glob.glob(os.path.expanduser(arg))):
            self.read(name, user, True, local, depth + 1)


# --- lookup ------------------------------------------------------------------


def _local_user() -> str:
    return _user_name(os.getuid())


@functools.lru_cache(maxsize=8)
def _user_name(uid: int) -> str:
    # cached: a lookup per host would read the passwd database a thousand times
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return os.environ.get("USER") or str(uid)


def _percent(text: str, tokens: Mapping[str, str], what: str) -> str:
    def repl(match: re.Match[str]) -> str:
        key = match.group(1)
        if key == "%":
            return "%"
        if key not in tokens:
            raise SSHConfigError(f"{what}: unknown or misplaced token %{key} in {text!r}")
        return tokens[key]

    return re.sub(r"%(.?)", repl, text, flags=re.DOTALL)


def _dollar(text: str, what: str) -> str:
    def repl(match: re.Match[str]) -> str:
        if match.group(1) not in os.environ:
            raise SSHConfigError(f"{what}: environment variable {match.group(1)} not set")
        return os.environ[match.group(1)]

    if re.search(r"\$\{(?![^}]*\})", text):
        raise SSHConfigError(f"{what}: unterminated ${{ in {text!r}")
    return re.sub(r"\$\{([^}]*)\}", repl, text)


def _tilde(path: str, what: str) -> str:
    if not path.startswith("~"):
        return path
    name, sep, rest = path[1:].partition("/")
    try:
        home = os.path.expanduser("~") if not name else pwd.getpwnam(name).pw_dir
    except KeyError:
        raise SSHConfigError(f"{what}: no such user {name!r} in {path!r}") from None
    return home.rstrip("/") + "/" + rest if sep else home


def _flatten(values: list[tuple[str, ...]]) -> tuple[str, ...]:
    return tuple(a for args in values for a in args)


class _Walk:
    """Applies options in order for one lookup (first obtained value wins)."""

    def __init__(self, host: str, user: Optional[str], port: Optional[int]) -> None:
        self.host = host
        self.local_user = _local_user()
        self.got: dict[str, tuple[str, ...]] = {}
        self.multi: dict[str, list[tuple[str, ...]]] = {}
        self.final_hostname: Optional[str] = None
        self.where: dict[str, str] = {}  # keyword -> where its (first) value came from
        self.unsupported: dict[tuple[str, str], None] = {}
        if user is not None:
            self.got["user"] = (user,)
        if port is not None:
            self.got["port"] = (str(port),)

    def run(self, items: Sequence[Union[_Block, _Option]], final: bool) -> None:
        results: dict[int, bool] = {}
        for item in items:
            if isinstance(item, _Block):
                results[item.id] = self._match(item, final) if item.match else self._host(item)
            elif all(results[b] for b in item.chain):
                self._apply(item)

    def _host(self, block: _Block) -> bool:
        # In the final pass ssh matches Host lines against the resolved host name.
        name = self.host if self.final_hostname is None else self.final_hostname
        found = False
        for _neg, _attr, pattern in block.args:
            negated = pattern.startswith("!")
            if match_pattern(name, pattern[1:] if negated else pattern):
                if negated:
                    return False
                found = True
        return found

    def _match(self, block: _Block, final: bool) -> bool:
        result = True
        for negate, attr, arg in block.args:
            if attr in _UNSUPPORTED_MATCH:
                self.unsupported[(f"Match {attr}", block.where)] = None
                return False
            if attr == "all":
                hit = True
            elif attr in ("canonical", "final"):
                hit = final
            elif attr in ("host", "originalhost"):
                name = self.host if attr == "originalhost" else self.match_hostname()
                hit = match_pattern_list(name, arg, ignore_case=True) == 1
            else:
                name = self.local_user if attr == "localuser" else self.remote_user()
                hit = match_pattern_list(name, arg) == 1
            result = result and hit != negate
        return result

    def _apply(self, opt: _Option) -> None:
        key = opt.keyword
        self.where.setdefault(key, opt.where)
        if key == "hostname" and self.final_hostname is not None:
            return  # ssh fixes the host name before the final pass
        if key in MULTI:
            if key != "identityfile" or opt.args not in self.multi.get(key, []):
                self.multi.setdefault(key, []).append(opt.args)
        elif key == "proxyjump":
            if "proxyjump" not in self.got and "proxycommand" not in self.got:
                self.got[key] = opt.args
        elif key == "proxycommand":  # "ProxyJump none" does not block it (ssh -G agrees)
            if "proxycommand" not in self.got and self.got.get("proxyjump", ("none",)) == ("none",):
                self.got[key] = opt.args
        elif key in ("connecttimeout", "serveraliveinterval") and opt.args[0] == "none":
            pass
        elif key not in self.got:
            self.got[key] = opt.args

    def match_hostname(self) -> str:
        if self.final_hostname is not None:
            return self.final_hostname
        if "hostname" in self.got:
            return _percent(self.got["hostname"][0], {"h": self.host}, "HostName")
        return self.host

    def hostname(self) -> str:
        name = self.match_hostname()
        try:
            ipaddress.ip_address(name)
        except ValueError:
            name = ascii_lower(name)
        return name

    def remote_user(self) -> str:
        return self.got.get("user", (self.local_user,))[0]

    def result(self) -> HostConfig:
        got, hostname = self.got, self.hostname()
        port = _port(got["port"][0]) if "port" in got else 22
        alias = ascii_lower(got["hostkeyalias"][0]) if "hostkeyalias" in got else None
        ruser = self.remote_user()
        tokens: dict[str, str] = {}

        def path(value: str, what: str) -> str:
            if not tokens:  # only when there is a path to expand
                local = socket.gethostname()
                tokens.update({
                    "C": hashlib.sha1(f"{local}{hostname}{port}{ruser}".encode()).hexdigest(),
                    "d": os.path.expanduser("~"), "h": hostname, "i": str(os.getuid()),
                    "k": alias or self.host, "L": local.split(".")[0], "l": local,
                    "n": self.host, "p": str(port), "r": ruser, "u": self.local_user,
                })  # fmt: skip
            return _percent(_dollar(_tilde(value, what), what), tokens, what)

        known = got.get("userknownhostsfile")
        if known is not None:
            known = (
                () if known == ("none",) else tuple(path(p, "UserKnownHostsFile") for p in known)
            )
        timeout = parse_time(got["connecttimeout"][0]) if "connecttimeout" in got else None
        alive = got.get("serveraliveinterval")
        policy = got.get("stricthostkeychecking")
        options = {**got, **{k: _flatten(v) for k, v in self.multi.items()}}
        command = got.get("proxycommand", ("none",))[0]
        unsupported = dict(self.unsupported)
        for key, name in UNSUPPORTED.items():
            if key in options and options[key] and options[key][0] != "none":
                unsupported[(name, self.where.get(key, ""))] = None
        return HostConfig(
            host=self.host,
            hostname=hostname,
            port=port,
            user=got["user"][0] if "user" in got else None,
            identity_files=tuple(
                path(a[0], "IdentityFile") for a in self.multi.get("identityfile", [])
            ),
            identities_only=_flag(got["identitiesonly"][0]) if "identitiesonly" in got else False,
            proxy_jump=parse_proxy_jump(got["proxyjump"][0]) if "proxyjump" in got else (),
            connect_timeout=float(timeout) if timeout else None,
            server_alive_interval=parse_time(alive[0]) if alive else None,
            strict_host_key_checking=parse_policy(policy[0]) if policy else None,
            user_known_hosts_files=known,
            host_key_alias=alias,
            hash_known_hosts=_flag(got["hashknownhosts"][0]) if "hashknownhosts" in got else False,
            options=MappingProxyType(options),
            proxy_command=None if command.strip() == "none" else command,
            unsupported=tuple(unsupported),
        )


class SSHConfig:
    """Parsed OpenSSH client configuration; see the module docstring.

    Files are read once, at construction; :meth:`lookup` is pure and cheap.
    """

    def __init__(self) -> None:
        self._items: list[Union[_Block, _Option]] = []
        self._final = False
        self.files: list[str] = []

    @classmethod
    def load(cls, path: Optional[str] = None) -> SSHConfig:
        """Read ``path`` only, or by default ``~/.ssh/config`` then ``/etc/ssh/ssh_config``.

        :param path: A config file (``~`` expanded) or ``"none"`` for no file.
        :raises SSHConfigError: For a configuration ``ssh`` would refuse.
        :raises OSError: If an explicit ``path`` cannot be read.
        :rtype: SSHConfig
        """
        config = cls()
        if path is not None:
            if path != "none":
                config._read(os.path.expanduser(path), user=True, checkperm=False)
            return config
        for name, user in ((os.path.expanduser(USER_CONFIG), True), (SYSTEM_CONFIG, False)):
            try:
                config._read(name, user=user, checkperm=user)
            except OSError:
                pass  # ssh ignores default files it cannot open
        return config

    @classmethod
    def from_string(cls, text: str, *, user: bool = True, name: str = "<string>") -> SSHConfig:
        """Parse configuration text (``Include`` works as in a user file by default).

        :rtype: SSHConfig
        """
        config = cls()
        loader = _Loader()
        loader.parse(text, name, user, (), 0)
        config._items, config._final = loader.items, loader.final
        return config

    def _read(self, path: str, user: bool, checkperm: bool) -> None:
        loader = _Loader()
        loader.items = self._items
        loader.read(path, user, checkperm, (), 0)
        self._final = self._final or loader.final
        self.files.append(path)

    def lookup(
        self, host: str, user: Optional[str] = None, port: Optional[int] = None
    ) -> HostConfig:
        """Resolve the configuration for ``host`` as ``ssh -G`` would.

        :param host: Host name as the user gave it (matched by ``Host``).
        :param user: Explicit remote user (like ``ssh -l``), wins over ``User``.
        :param port: Explicit port (like ``ssh -p``), wins over ``Port``.
        :raises SSHConfigError: For a bad token or unset ``${VAR}`` in a value.
        :rtype: HostConfig
        """
        walk = _Walk(host, user, port)
        walk.run(self._items, final=False)
        if self._final:
            walk.final_hostname = walk.hostname()
            walk.run(self._items, final=True)
        return walk.result()
