"""The shape of a host's route: how the TCP stream that carries its SSH
connection is obtained. Pure values, for every backend.

:func:`pssh.clients._settings.settings_for` decides the route of each host, once,
and stores it in the host's :class:`pssh.clients._settings.HostSettings`:

- :class:`Direct`: a TCP connection to ``address:port`` (the ``HostName``
  of the OpenSSH configuration, or, for the native ``SSHClient``'s 1.8.0
  ``proxy_host`` argument, the local end of a tunnel);
- :class:`Command`: the standard input and output of the ``ProxyCommand``
  of the OpenSSH configuration;
- :class:`Via`: a ``direct-tcpip`` channel opened by an SSH connection to
  another host (``proxy_host``, or the last ``ProxyJump`` hop). That host has
  its own settings, and so its own route: a ``ProxyJump`` chain is a
  :class:`Via` whose proxy's route is a :class:`Via`, down to the first hop.

The backends turn a route into a socket (the native client in
:mod:`pssh.clients.native._route`, the paramiko client in its
``_open_sock``); neither decides the route again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:  # (type names only: no import at run time)
    from ._settings import HostSettings


@dataclass(frozen=True)
class Direct:
    """A TCP connection to ``address:port``."""

    address: str
    port: int


@dataclass(frozen=True)
class Command:
    """The connection is the standard input and output of ``ProxyCommand``
    (the raw template, expanded by :mod:`pssh.clients._proxy_command`)."""

    template: str


@dataclass(frozen=True, eq=False)
class Via:
    """A ``direct-tcpip`` channel to ``address:port`` opened by an SSH
    connection to ``proxy``.

    :param proxy: The settings of the proxy or jump host (its own route
      included).
    :param key: What the proxy connection is shared under: hosts whose
      route has the same key (the hosts of one parallel client behind the
      same ``proxy_host``, or behind the same ``ProxyJump`` hops) use one
      connection to it.
    :param address: The host's address, as the proxy resolves it.
    :param port: The host's port.
    """

    proxy: HostSettings
    key: tuple
    address: str
    port: int


Route = Union[Direct, Command, Via]


def hops(route: Route | None) -> list[HostSettings]:
    """The settings of every proxy on ``route``, first hop first.

    :rtype: list(HostSettings)
    """
    chain: list[HostSettings] = []
    while isinstance(route, Via):
        chain.insert(0, route.proxy)
        route = route.proxy.route
    return chain


__all__ = ["Command", "Direct", "Route", "Via", "hops"]
