"""The single-host clients of a parallel client: one per host (or per
position, for a host named twice with a list ``host_config``), made on first
use and reused while alive; concurrent first uses of a host make one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gevent.lock import Semaphore


class HostClients:
    """Keeps and makes the single-host clients of one parallel client.

    :param clients: the dict to keep them in (the parallel client's public
      ``host_clients``, which users read)
    :param make: ``make(host, index)`` makes a connected client for ``host``
      at position ``index`` of the hosts (``None`` when not known)
    :param alive: whether a kept client may be used again
    :param by_position: whether the host settings are (now) a list read by
      position (2.x ``host_config``), so that a host named twice gets two
      clients
    """

    def __init__(
        self,
        clients: dict[Any, Any],
        make: Callable[[str, int | None], Any],
        alive: Callable[[Any], bool],
        by_position: Callable[[], bool],
    ) -> None:
        self.clients = clients
        self._make = make
        self._alive = alive
        self._by_position = by_position
        self._locks: dict[Any, Semaphore] = {}

    def key(self, host: str, index: int | None, hosts: list[str]) -> Any:
        """Where the client of the host at position ``index`` of ``hosts`` is
        kept: the host name, or ``(index, host)`` for a host named more than
        once with a list ``host_config`` (2.x: each entry may have its own
        port, user or proxy)."""
        if index is None or not self._by_position():
            return host
        return (index, host) if hosts.count(host) > 1 else host

    def get(self, host: str, index: int | None, hosts: list[str]) -> Any:
        """The connected client for ``host`` (at position ``index`` of
        ``hosts``, when known), made on first use."""
        key = self.key(host, index, hosts)
        client = self.clients.get(key)
        if client is not None and self._alive(client):
            return client
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = Semaphore()
        with lock:
            client = self.clients.get(key)
            if client is None or not self._alive(client):
                client = self._make(host, index if self._by_position() else None)
                self.clients[key] = client
        return client

    def position(self, host: str, index: int | None, hosts: list[str]) -> int | None:
        """``index``, else the host's first position in ``hosts`` (a list
        ``host_config`` is read by position)."""
        if index is not None or not self._by_position():
            return index
        return hosts.index(host) if host in hosts else None
