"""One frozen settings value per host: everything a client needs to know
before it connects, merged in one place.

A client states what it was given with :meth:`HostSettings.given` (the
arguments shared by all its hosts, validated once), and
:func:`settings_for` resolves them for one host. The merge order, first
found wins:

1. ``host_config`` (parallel clients: 1.8.0's dict keyed by host name, with
   ``user``, ``port``, ``password`` and ``private_key``, or 2.x's list of
   :class:`pssh.config.HostConfig`, one per entry of ``hosts``, with every
   field of it);
2. the client's constructor arguments (a ``port`` equal to the client's
   documented default, 22 for the native ``ParallelSSHClient`` and for every
   ``proxy_port``, counts as not given);
3. the host's OpenSSH client configuration (``User``, ``Port``,
   ``HostName``, ``ConnectTimeout``, host key options, ``ProxyJump``,
   ``ProxyCommand``...: :class:`pssh._ssh_config.HostConfig`);
4. the defaults (the logged in user, port 22).

The route (:mod:`pssh.clients._route`) is decided here too, in this order:
an explicit ``proxy_host`` (its own ``ProxyJump`` is not followed, as in
1.8.0), then the ``ProxyJump`` hops of the OpenSSH configuration (each hop's
own ``ProxyJump`` is not followed: the chain is the one the host names), then
its ``ProxyCommand`` (unless a ``ProxyJump`` is configured), else a direct
connection. Proxy and jump hosts get their settings from
:func:`settings_for` too, with the client's timeouts, retries, agent and host
key settings and their own credentials (the paramiko clients, as 1.8.0, give
a ``proxy_host`` without its own user, password or key the host's).

A new option is one field of :class:`HostSettings` (with the value meaning
"not given" as its default) and, if ``host_config`` or the OpenSSH
configuration can set it, one line of :func:`settings_for`.

This module is part of :mod:`pssh.clients`, not of the package's bottom
layer: it applies the OpenSSH configuration through
:mod:`pssh.clients._host_keys`, and a top-level module importing that would
run ``pssh.clients``' ``__init__`` (and so the clients, which import this
module) first - an import cycle.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Optional

from .._known_hosts import HostKeyPolicy
from .._retry import RetryPolicy
from .._ssh_config import HostConfig, SSHConfig
from ..constants import DEFAULT_RETRIES, RETRY_DELAY
from ._host_config import check_host_config, host_config_entry
from ._host_keys import (
    ConfigArg,
    HostKeyChecker,
    KnownHostsArg,
    PolicyArg,
    check_policy,
    load_ssh_config,
    lookup,
)
from ._proxy_command import ProxyCommand
from ._route import Command, Direct, Route, Via

PROXY_PORT_DEFAULT = 22
"""The documented default of every ``proxy_port`` argument: not given."""

KEEPALIVE_DEFAULT = 60
"""The native clients' default ``keepalive_seconds`` (parallel-ssh 2.x):
given as this value, ``ServerAliveInterval`` of the OpenSSH configuration wins."""


def keepalive_args(keepalive_seconds: Optional[int]) -> dict[str, Any]:
    """:meth:`HostSettings.given` arguments for a native client's
    ``keepalive_seconds`` (its default means "not given", as ``port=22``).

    :raises: :py:class:`ValueError` for a negative or non-integer value."""
    if keepalive_seconds is not None and (
        isinstance(keepalive_seconds, bool)
        or not isinstance(keepalive_seconds, int)
        or keepalive_seconds < 0
    ):
        raise ValueError(
            "keepalive_seconds must be a whole number of seconds, 0 for none, got %r"
            % (keepalive_seconds,)
        )
    given = None if keepalive_seconds == KEEPALIVE_DEFAULT else keepalive_seconds
    return {"keepalive_seconds": given, "keepalive_default": KEEPALIVE_DEFAULT}


def check_keyboard_interactive(settings: HostSettings) -> None:
    """Refuse ``keyboard_interactive`` without a password to answer with.

    :raises: :py:class:`ValueError` naming the host."""
    if settings.keyboard_interactive and settings.password is None:
        raise ValueError(
            "keyboard_interactive needs a password to answer the prompts (host %s)"
            % (settings.host,)
        )


@dataclass(frozen=True)
class ProxyArgs:
    """An explicit ``proxy_host`` and its own arguments, as given.

    :param port: ``None`` (or 22, the documented default) when not given:
      the proxy's OpenSSH ``Port``, else 22.
    """

    host: str
    port: Optional[int] = None
    user: Optional[str] = None
    password: Optional[str] = None
    pkey: Any = None


@dataclass(frozen=True, eq=False)
class HostSettings:
    """How one host is reached and logged in to (see the module docstring).

    Built by :meth:`given` (a client's arguments, before any host) and
    :func:`settings_for` (resolved for a host: ``host``, ``config`` and
    ``route`` set). Secrets are never in its ``repr``.
    """

    host: str = ""
    """The host as the user named it (output key, exceptions' ``host``)."""
    user: Optional[str] = None
    """The login user given (``None``: OpenSSH ``User``, else the local user)."""
    port: Optional[int] = None
    """The port given; ``None``: not given (OpenSSH ``Port``, else 22)."""
    password: Optional[str] = field(default=None, repr=False)
    pkey: Any = field(default=None, repr=False)
    """The private key as given: a path, its contents (``str``/``bytes``) or a
    paramiko key; each backend converts it."""
    allow_agent: bool = True
    agent: Any = None
    """paramiko client only: an agent object used instead of the system's."""
    forward_ssh_agent: bool = False
    num_retries: int = DEFAULT_RETRIES
    retry_delay: float = RETRY_DELAY
    timeout: Optional[float] = None
    """Seconds for connecting, the handshake, authentication and opening channels."""
    tunnel_timeout: Optional[float] = None
    """Seconds for connecting to a proxy or jump host and opening each tunnel
    (``None``: ``timeout``)."""
    hop_num_retries: Optional[int] = None
    """Attempts at connecting to a proxy or jump host (``None``: ``num_retries``)."""
    known_hosts: KnownHostsArg = None
    host_key_policy: Optional[HostKeyPolicy] = None
    ssh_config: Optional[SSHConfig] = field(default=None, repr=False)
    """The parsed OpenSSH client configuration (parsed once per client)."""
    known_hosts_cache: Optional[dict] = field(default=None, repr=False)
    """:class:`pssh._known_hosts.KnownHosts` objects shared by the clients of
    one parallel client (and their proxies), keyed by files."""
    proxy: Optional[ProxyArgs] = field(default=None, repr=False)
    proxy_default: Optional[ProxyArgs] = field(default=None, repr=False)
    """The client's own ``proxy_host`` (``proxy`` may be a host's own, from
    ``host_config``): hosts behind it share the connection keyed ``("proxy_host",)``."""
    proxy_inherits_credentials: bool = False
    """paramiko client (as 1.8.0): a ``proxy_host`` without its own user,
    password or key uses the host's."""
    tunnel_address: Optional[str] = None
    """Native ``SSHClient(proxy_host=...)`` (1.8.0): connect to this address
    (a local tunnel end) instead of the host's ``HostName``."""
    follow_proxy_jump: bool = True
    """``False`` for proxy and jump hosts: their own ``ProxyJump`` is not followed."""
    port_default: Optional[int] = None
    """The documented default of the client's ``port`` argument: a ``port``
    equal to it is not given (22 for the native ``ParallelSSHClient``)."""
    config: Optional[HostConfig] = field(default=None, repr=False)
    """The host's resolved OpenSSH configuration (set by :func:`settings_for`)."""
    route: Optional[Route] = None
    """How the host is reached (set by :func:`settings_for`)."""
    alias: Optional[str] = None
    """The host's name in output (``HostOutput.alias``), if given (2.x)."""
    identity_auth: bool = True
    """``False``: the default identities under ``~/.ssh`` are not tried."""
    keepalive_seconds: Optional[int] = None
    """Seconds between keepalives; ``None``: ``ServerAliveInterval`` of the
    OpenSSH configuration, else none; 0: none."""
    ipv6_only: bool = False
    """Connect over IPv6 only (names resolved to IPv6 addresses only)."""
    compress: bool = False
    """Ask the server for compression."""
    keyboard_interactive: bool = False
    """Answer keyboard-interactive prompts with ``password``."""
    keepalive_default: int = 0
    """Seconds between keepalives when neither ``keepalive_seconds`` nor
    ``ServerAliveInterval`` is given (60 on the native clients, as in 2.x)."""
    read_timeout: Optional[float] = None
    """Default seconds to wait for command output (``HostConfig.read_timeout``)."""

    @classmethod
    def given(
        cls,
        *,
        ssh_config: ConfigArg = None,
        host_key_policy: PolicyArg = None,
        known_hosts_cache: Optional[dict] = None,
        **kwargs: Any,
    ) -> HostSettings:
        """A client's arguments, checked once for all its hosts: the
        ``host_key_policy`` is parsed and the OpenSSH configuration read.

        A ``keepalive_seconds`` equal to a given ``keepalive_default`` (the
        native clients' documented default) counts as not given.

        :raises: :py:class:`ValueError` for an unknown ``host_key_policy`` or
          a bad ``keepalive_seconds``; :py:class:`pssh.exceptions.SSHException`
          for an OpenSSH configuration ``ssh`` would refuse.
        """
        kwargs.setdefault("proxy_default", kwargs.get("proxy"))
        if kwargs.get("keepalive_default"):
            kwargs.update(keepalive_args(kwargs.get("keepalive_seconds")))
        return cls(
            host_key_policy=check_policy(host_key_policy),
            ssh_config=load_ssh_config(ssh_config),
            known_hosts_cache={} if known_hosts_cache is None else known_hosts_cache,
            **kwargs,
        )

    # -- derived values ---------------------------------------------------

    @property
    def resolved(self) -> HostConfig:
        """The host's OpenSSH configuration (after :func:`settings_for`)."""
        if self.config is None:
            raise ValueError("settings of no host yet: use settings_for()")
        return self.config

    @property
    def login_user(self) -> str:
        """The user logged in as."""
        return self.resolved.user or getpass.getuser()

    @property
    def login_port(self) -> int:
        """The port connected to."""
        return self.resolved.port

    @property
    def hostname(self) -> str:
        """The address connected to (``HostName``, or the host)."""
        return self.resolved.hostname

    @property
    def retry(self) -> RetryPolicy:
        """The connection retry policy.

        :raises: :py:class:`ValueError` for negative retries or delay."""
        return RetryPolicy.from_args(self.num_retries, self.retry_delay)

    @property
    def keepalive_interval(self) -> int:
        """Seconds between keepalives: ``keepalive_seconds`` if given, else
        ``ServerAliveInterval`` of the OpenSSH configuration; 0: none."""
        if self.keepalive_seconds is not None:
            return max(0, int(self.keepalive_seconds))
        return self.resolved.server_alive_interval or self.keepalive_default

    @property
    def connect_timeout(self) -> Optional[float]:
        """``timeout`` if given, else ``ConnectTimeout`` of the OpenSSH configuration."""
        return self.timeout if self.timeout is not None else self.resolved.connect_timeout

    @property
    def identity_file(self) -> Optional[str]:
        """The first ``IdentityFile`` of the OpenSSH configuration that exists."""
        return next((p for p in self.resolved.identity_files if os.path.isfile(p)), None)

    def proxy_command(self) -> Optional[ProxyCommand]:
        """The host's ``ProxyCommand`` (one per client: it runs one process
        per connection attempt) when its route is one, else ``None``.

        :raises: :py:class:`pssh.exceptions.ConnectionErrorException` for a
          command that cannot be expanded safely."""
        if not isinstance(self.route, Command):
            return None
        return ProxyCommand(
            self.host, self.route.template, self.hostname, self.login_port, self.login_user
        )

    def host_key_checker(self) -> HostKeyChecker:
        """What verifies the key the host presents (one per client)."""
        return HostKeyChecker(
            self.host, self.resolved, self.login_port, self.known_hosts,
            self.host_key_policy, self.known_hosts_cache,
        )  # fmt: skip


def _given_port(port: Any, default: Optional[int]) -> Optional[int]:
    # the one place "the documented default port means not given" lives
    if port is None or (default is not None and port == default):
        return None
    return int(port)


# HostConfig fields taken as they are (the others are renamed or make the proxy)
_PLAIN = (
    "allow_agent", "alias", "num_retries", "retry_delay", "timeout", "identity_auth",
    "keepalive_seconds", "ipv6_only", "forward_ssh_agent", "compress",
    "keyboard_interactive", "read_timeout",
)  # fmt: skip


def _proxy_of(given: Mapping[str, Any], args: HostSettings) -> Optional[ProxyArgs]:
    if "proxy_host" not in given:
        return args.proxy
    return ProxyArgs(
        given["proxy_host"], given.get("proxy_port"), given.get("proxy_user"),
        given.get("proxy_password"), given.get("proxy_pkey"),
    )  # fmt: skip


def settings_for(
    host: str,
    args: HostSettings,
    host_config: Any = None,
    index: Optional[int] = None,
    *,
    _through: Optional[tuple[HostSettings, tuple]] = None,
) -> HostSettings:
    """``host``'s settings: ``args`` (:meth:`HostSettings.given`) merged with
    ``host_config`` and the OpenSSH configuration, with the route (see the
    module docstring for the order).

    :param index: The host's position in the client's ``hosts`` (read in
      a list ``host_config``).
    :param _through: The proxy the host is reached through, and its sharing
      key (jump hosts after the first of a chain).
    :raises: :py:class:`pssh.exceptions.SSHException` naming the host for an
      OpenSSH configuration value that cannot be expanded;
      :py:class:`ValueError` naming the host for ``keyboard_interactive``
      without a password.
    :rtype: HostSettings
    """
    given = host_config_entry(host_config, host, index)
    user = given.get("user", args.user)
    port = given.get("port", _given_port(args.port, args.port_default))
    ssh_config = args.ssh_config if args.ssh_config is not None else load_ssh_config("none")
    config = lookup(ssh_config, host, user, port)
    settings = replace(
        args, host=host, user=user, port=port,
        password=given.get("password", args.password),
        pkey=given.get("private_key", args.pkey),
        config=config, proxy=_proxy_of(given, args),
        **{name: given[name] for name in _PLAIN if name in given},
    )  # fmt: skip
    if settings.follow_proxy_jump:  # (the host's own settings, not a hop's)
        check_keyboard_interactive(settings)
    if _through is not None:
        proxy, key = _through
        return replace(settings, route=Via(proxy, key, config.hostname, config.port))
    return replace(settings, route=_route(settings))


def _hop(settings: HostSettings, **given: Any) -> HostSettings:
    """The arguments of a proxy or jump host of ``settings``' host."""
    return replace(
        settings, forward_ssh_agent=False, proxy=None, proxy_default=None, alias=None,
        tunnel_address=None,
        follow_proxy_jump=False, port_default=None, config=None, route=None,
        keyboard_interactive=False,
        num_retries=settings.hop_num_retries or settings.num_retries,
        timeout=settings.tunnel_timeout if settings.tunnel_timeout is not None
        else settings.timeout,
        **given,
    )  # fmt: skip


def _inherited(value: Any, hosts: Any, inherit: bool) -> Any:
    return hosts if value is None and inherit else value


def _route(settings: HostSettings) -> Route:
    config = settings.resolved
    proxy = settings.proxy
    if proxy is not None:
        inherit = settings.proxy_inherits_credentials
        hop = settings_for(proxy.host, _hop(
            settings, port=_given_port(proxy.port, PROXY_PORT_DEFAULT),
            user=_inherited(proxy.user, settings.login_user, inherit),
            password=_inherited(proxy.password, settings.password, inherit),
            pkey=_inherited(proxy.pkey, settings.pkey, inherit),
        ))  # fmt: skip
        # the client's proxy_host is shared under one key; a host's own
        # (HostConfig) under its address, port and user
        key: tuple = ("proxy_host",)
        if proxy != settings.proxy_default:
            key = ("proxy_host", hop.hostname, hop.login_port, hop.login_user)
        return Via(hop, key, config.hostname, config.port)
    if settings.follow_proxy_jump and config.proxy_jump and settings.tunnel_address is None:
        through: Optional[tuple[HostSettings, tuple]] = None
        chain = config.proxy_jump
        for i, jump in enumerate(chain):
            hop = settings_for(
                jump.host, _hop(settings, user=jump.user, port=jump.port, password=None,
                                pkey=None), _through=through,
            )  # fmt: skip
            through = (hop, ("ProxyJump", *chain[: i + 1]))
        assert through is not None
        return Via(through[0], through[1], config.hostname, config.port)
    if config.proxy_command and not config.proxy_jump and settings.tunnel_address is None:
        return Command(config.proxy_command)
    return Direct(settings.tunnel_address or config.hostname, config.port)


__all__ = [
    "KEEPALIVE_DEFAULT",
    "HostSettings",
    "ProxyArgs",
    "check_host_config",
    "check_keyboard_interactive",
    "host_config_entry",
    "keepalive_args",
    "settings_for",
]
