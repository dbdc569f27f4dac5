"""The one :class:`pssh.clients.ParallelSSHClient` a run uses, built from the command line.

Every host of a run goes through one parallel client: its pool (``-p``/``-f``)
bounds how many hosts connect at once, and hosts named with their own user or
port (``alice@web1:2222``) get them through ``host_config``. Output is keyed by
host name, so a run names each host once: ``alice@h`` and ``bob@h`` together are
refused (:func:`check_distinct`) rather than mixed up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._hosts import HostSpec


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
    keepalive: int | None = None
    compress: bool = False

    def __repr__(self) -> str:
        return "ConnectOptions(user={!r}, port={!r}, pkey={!r}, password={}, proxy={!r})".format(
            self.user, self.port, self.pkey, "<hidden>" if self.password else None, self.proxy,
        )  # fmt: skip


class SameHostTwice(ValueError):
    """One host name given with two different users or ports."""


def check_distinct(specs: list[HostSpec]) -> None:
    """Refuse one host name under two specs (``alice@h`` and ``bob@h``).

    :raises: :class:`SameHostTwice`
    """
    seen: dict[str, HostSpec] = {}
    for spec in specs:
        first = seen.setdefault(spec.host, spec)
        if first is not spec:
            raise SameHostTwice(
                f"{first.label} and {spec.label} are the same host: a run reaches each host "
                "once (run pssh once per user or port)"
            )


def _client_class(opts: ConnectOptions) -> Any:
    """The native parallel client, or with ``--forward-agent`` the paramiko one:
    libssh2, under the native client, cannot carry agent forwarding (see
    doc/security.rst). :func:`load_paramiko_client` must have imported it."""
    if opts.forward_agent:
        from ..clients.miko import ParallelSSHClient as ParamikoParallelSSHClient

        return ParamikoParallelSSHClient
    from ..clients import ParallelSSHClient

    return ParallelSSHClient


def load_paramiko_client() -> None:
    """Import the paramiko client (it gevent-monkey-patches the process) before
    anything runs."""
    import pssh.clients.miko  # noqa: F401


def make_client(specs: list[HostSpec], opts: ConnectOptions, pool_size: int) -> Any:
    """The parallel client for every host of ``specs``."""
    from ..config import HostConfig

    host_config = {
        spec.host: HostConfig(user=spec.user, port=spec.port)
        for spec in specs
        if spec.user is not None or spec.port is not None
    }
    kwargs: dict[str, Any] = {
        "user": opts.user,
        "port": opts.port or 22,
        "pkey": opts.pkey,
        "password": opts.password,
        "allow_agent": opts.allow_agent,
        "forward_ssh_agent": opts.forward_agent,  # explicit: off unless --forward-agent
        "num_retries": opts.attempts,
        "retry_delay": opts.retry_delay,
        "timeout": opts.connect_timeout,
        "pool_size": pool_size,
        "host_config": host_config or None,
        "compress": opts.compress,
    }
    if opts.keepalive is not None:
        kwargs["keepalive_seconds"] = opts.keepalive
    if opts.proxy is not None:
        kwargs.update(
            proxy_host=opts.proxy.host,
            proxy_port=opts.proxy.port or 22,
            proxy_user=opts.proxy.user or opts.user,
            proxy_password=opts.password,
            proxy_pkey=opts.pkey,
        )
    if opts.host_key_policy is not None:
        kwargs["host_key_policy"] = opts.host_key_policy
    if opts.known_hosts is not None:
        kwargs["known_hosts"] = opts.known_hosts
    return _client_class(opts)([spec.host for spec in specs], **kwargs)


def close_client(client: Any) -> None:
    """Disconnect every host connection of ``client`` (errors ignored): a run
    that ends leaves nothing open behind it, even when ``main()`` is called
    again in the same process."""
    for host_client in list(getattr(client, "host_clients", {}).values()):
        disconnect = getattr(host_client, "disconnect", None)
        if disconnect is not None:
            try:
                disconnect()
            except Exception:  # noqa: BLE001, S110 - closing is best effort
                pass


__all__ = ["ConnectOptions", "SameHostTwice", "check_distinct",
           "close_client", "load_paramiko_client", "make_client"]  # fmt: skip
