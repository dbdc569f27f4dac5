"""A proxy connection made from 1.8.0-style keyword arguments, and a native
client whose connection runs through one.

:class:`ProxyConnection` is a ``Hop`` (``pssh.clients.native._route``; the
one SSH connection to a proxy host and the tunnels through it) that builds
its own settings (:func:`pssh.clients._settings.settings_for`) and connects with the
native :class:`~pssh.clients.native.single.SSHClient`; the
:class:`~pssh.clients.native.tunnel.Tunnel` thread uses it. The clients
themselves reach proxies and ``ProxyJump`` hops through their
:class:`~pssh.clients.native._route.Router`. This module sits above
:mod:`pssh.clients.native.single` (it imports it; nothing below imports it).
"""

from __future__ import annotations

import logging
from typing import Any

from ...constants import DEFAULT_RETRIES, RETRY_DELAY
from .._settings import HostSettings, settings_for
from ._route import Hop, Router
from .single import SSHClient

logger = logging.getLogger(__name__)


class ProxyConnection(Hop):
    """The one SSH connection to a proxy host and the tunnels through it
    (see ``Hop`` in ``pssh.clients.native._route``).

    :param host: Proxy host.
    :param port: Proxy SSH port (``None``: its OpenSSH ``Port``, else 22).
    :param user: User on the proxy (logged in user when ``None``).
    :param password: Password on the proxy.
    :param pkey: Private key (path or contents) for the proxy.
    :param num_retries: Attempts at connecting to the proxy.
    :param retry_delay: Seconds between attempts (connecting and opening channels).
    :param allow_agent: Whether the SSH agent may authenticate to the proxy.
    :param timeout: Seconds that connecting to the proxy and opening each
      tunnel may take; ``None`` for no limit.
    :param channel_retries: Attempts at opening a channel to a target.
    """

    def __init__(
        self,
        host: str,
        port: int | None = None,
        user: str | None = None,
        password: str | None = None,
        pkey: Any = None,
        num_retries: int = DEFAULT_RETRIES,
        retry_delay: float = RETRY_DELAY,
        allow_agent: bool = True,
        timeout: float | None = None,
        channel_retries: int = DEFAULT_RETRIES,
    ) -> None:
        settings = settings_for(host, HostSettings.given(
            user=user, port=port, password=password, pkey=pkey, num_retries=num_retries,
            retry_delay=retry_delay, allow_agent=allow_agent, timeout=timeout,
            follow_proxy_jump=False,
        ))  # fmt: skip
        self.router = Router(SSHClient)
        super().__init__(settings, self.router.client_for, channel_retries)


class ProxiedSSHClient(SSHClient):
    """A native :class:`~pssh.clients.native.single.SSHClient` whose connection
    to ``host`` runs through a tunnel of ``proxy`` (a :class:`ProxyConnection`,
    shared by many clients). Takes that client's keyword arguments;
    ``proxy_host`` is set to the proxy.
    """

    def __init__(self, host: str, proxy: Hop, **kwargs: Any) -> None:
        self.proxy = proxy
        kwargs["proxy_host"] = proxy.host
        super().__init__(host, **kwargs)

    def _open_socket(self) -> Any:
        return self.proxy.socket_to(self.hostname, self.port, name=self.host)


__all__ = ["ProxiedSSHClient", "ProxyConnection"]
