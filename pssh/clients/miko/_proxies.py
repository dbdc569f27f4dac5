"""The proxy connections of one paramiko parallel client, shared by its hosts.

Hosts behind the same proxy (the client's ``proxy_host``, a host's own
``HostConfig.proxy_host``, or the same ``ProxyJump`` hops), logging in to it
with the same credentials, open their ``direct-tcpip`` channels on one
connection to it, made once, as the native client's Router does. The
credentials are part of the key because the paramiko client, as 1.8.0, logs
in to a proxy without its own credentials with the host's.
"""

from __future__ import annotations

from typing import Any, Callable

from gevent.lock import Semaphore

from .._route import Via


def _key_of(via: Via) -> tuple:
    hop = via.proxy
    pkey = hop.pkey
    pkey_id = pkey.get_fingerprint() if hasattr(pkey, "get_fingerprint") else pkey
    return (via.key, hop.hostname, hop.login_port, hop.login_user, hop.password, pkey_id)


class SharedProxies:
    """Connected proxy clients by route key (see the module docstring)."""

    def __init__(self) -> None:
        self._clients: dict[tuple, Any] = {}
        self._locks: dict[tuple, Semaphore] = {}

    def client_for(self, via: Via, make: Callable[[Any], Any]) -> Any:
        """The connected client of ``via``'s proxy, made by ``make(settings)``
        the first time (and again when its connection was lost)."""
        key = _key_of(via)
        lock = self._locks.setdefault(key, Semaphore())
        with lock:
            client = self._clients.get(key)
            if client is None or not client.connected:
                client = self._clients[key] = make(via.proxy)
            return client

    @property
    def connections(self) -> int:
        """How many proxy connections were made and are kept."""
        return len(self._clients)

    def close(self) -> None:
        """Disconnect every proxy client."""
        clients = list(self._clients.values())
        self._clients.clear()
        for client in clients:
            client.disconnect()


__all__ = ["SharedProxies"]
