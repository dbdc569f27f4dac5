"""Opening one paramiko connection: the socket (direct, through a proxy
host's ``direct-tcpip`` channel, or a ``ProxyCommand``), the host key check,
login with paramiko's ``connect``, keepalive. One :class:`Connector` per
single-host client; it is asked again for each retry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import paramiko

from .._host_keys import HostKeyChecker
from .._route import Direct, Via
from .._settings import HostSettings
from .._sock import open_socket
from ._errors import map_errors, map_proxy_errors
from ._options import VerifyHostKey, transport_factory
from ._proxies import SharedProxies

NO_AUTH_METHODS = "No authentication methods available"
"""paramiko's message when it has no credential to try at all."""


class Connector:
    """Connects one host.

    :param settings: the host's settings (its route included)
    :param login: paramiko ``connect`` keyword arguments for the login itself
      (``username``, ``password``, ``pkey``, ``port``, ``timeout``,
      ``allow_agent``), as the client resolved them
    :param host_keys: how the host's key is verified
    :param agent: the agent to ask for keys instead of the system's, if any
    :param paramiko_kwargs: the user's extra ``connect`` arguments
    :param proxies: a parallel client's shared proxy connections, if any
    :param make_proxy_client: makes the client of a proxy host from its settings
    """

    def __init__(
        self,
        settings: HostSettings,
        login: dict[str, Any],
        host_keys: HostKeyChecker,
        agent: Any,
        paramiko_kwargs: dict[str, Any],
        proxies: SharedProxies | None,
        make_proxy_client: Callable[[HostSettings], Any],
    ) -> None:
        self.settings = settings
        self.host = settings.host
        self._login = login
        self._host_keys = host_keys
        self._agent = agent
        self._paramiko_kwargs = paramiko_kwargs
        self._proxies = proxies
        self._make_proxy_client = make_proxy_client
        self.proxy_client: Any = None
        """The client of the proxy host (or last ``ProxyJump`` hop) the host is
        reached through, once connected."""
        self._proxy_command = settings.proxy_command()

    def connect(self, hostname: str) -> paramiko.SSHClient:
        """A logged-in paramiko client for ``hostname`` (the host's address)."""
        sock = self._open_sock()
        client = paramiko.SSHClient()  # no host keys loaded: the policy sees every key
        client.set_missing_host_key_policy(VerifyHostKey(self._host_keys))
        if self._agent is not None:
            client._agent = self._agent  # paramiko asks it instead of the system agent
        timeout = self._login["timeout"]
        kwargs: dict[str, Any] = dict(
            self._login, hostname=hostname, sock=sock, banner_timeout=timeout,
            auth_timeout=timeout, look_for_keys=self.settings.identity_auth,
            compress=self.settings.compress,
        )  # fmt: skip
        kwargs["allow_agent"] = kwargs["allow_agent"] or self._agent is not None
        kwargs.update(self._paramiko_kwargs)
        kwargs["transport_factory"] = transport_factory(
            self._host_keys, kwargs.get("transport_factory")
        )
        try:
            # an SSH protocol error while logging in stays SSHException (as in
            # 1.8.0); having no credential to offer at all is failed authentication
            with map_errors(self.host, "connecting", port=self._login["port"]):
                try:
                    client.connect(**kwargs)
                except paramiko.SSHException as exc:
                    if str(exc) == NO_AUTH_METHODS:
                        raise paramiko.AuthenticationException(
                            "no key, agent key or password to offer"
                        ) from exc
                    raise
        except BaseException as exc:
            # (asked before closing: a proxy sees the end of its input and exits)
            command = self._proxy_command
            failed = command.failure(exc) if command is not None else None
            client.close()
            sock.close()
            if command is not None:
                command.stop()
            if failed is not None and isinstance(exc, Exception):
                raise failed from exc
            raise
        interval = self.settings.keepalive_interval
        transport = client.get_transport()
        if interval and transport is not None:
            transport.set_keepalive(interval)
        return client

    def _open_sock(self) -> Any:
        route = self.settings.route
        timeout = self._login["timeout"]
        if self._proxy_command is not None:
            return self._proxy_command.open()
        if isinstance(route, Direct):
            return open_socket(
                route.address, route.port, timeout, name=self.host,
                ipv6_only=self.settings.ipv6_only,
            )  # fmt: skip
        if not isinstance(route, Via):
            raise ValueError("no route to %s" % (self.host,))
        hop = route.proxy
        with map_proxy_errors(self.host, hop.host, hop.login_port, port=self._login["port"]):
            proxy = self.proxy_client
            if self._proxies is not None:
                proxy = self.proxy_client = self._proxies.client_for(route, self._make_proxy_client)
            elif proxy is None or not proxy.connected:
                # the proxy's own client, made from its settings (its route
                # reaches an earlier ProxyJump hop the same way)
                proxy = self.proxy_client = self._make_proxy_client(hop)
            return proxy.transport().open_channel(
                "direct-tcpip", (route.address, route.port), ("127.0.0.1", 0), timeout=timeout
            )

    def close(self) -> None:
        """Close the proxy connection (unless shared) and stop the
        ``ProxyCommand``, if any."""
        if self.proxy_client is not None and self._proxies is None:
            self.proxy_client.disconnect()  # (a shared one stays for the other hosts)
        self.proxy_client = None
        if self._proxy_command is not None:
            self._proxy_command.stop()
