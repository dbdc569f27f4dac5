"""Native sockets along a host's route (:mod:`pssh.clients._route`), and the
one SSH connection to each proxy or jump host with the tunnels through it.

:class:`Router` turns a route into a connected socket: a TCP connection
(:func:`pssh.clients._sock.open_socket`), a ``ProxyCommand``'s socket, or one
end of a socket pair forwarded through a :class:`Hop`. A router belongs to
one client: a parallel client's hosts share its hops (one SSH connection to
``proxy_host``, one per ``ProxyJump`` hop), a single client has its own.

:class:`Hop` connects to its proxy on first use (hosts asking while an
attempt is under way share it, so a proxy that is down is tried once, not
once per host), reconnects if the connection drops, and hands out tunnels
to ``host:port`` as seen from the proxy: a private connected socket
(:meth:`Hop.socket_to`) or a listening port on 127.0.0.1 (:meth:`Hop.listen`).
Each tunnel is a direct-tcpip channel of the one session, forwarded by
:class:`pssh.clients.native._forward.SessionDriver`. The proxy's own client
(made by the injected client factory, so that this module never imports the
client: :mod:`pssh.clients.native.single` imports it) verifies the proxy's
host key like any other, and reaches a later ``ProxyJump`` hop through the
earlier one (its settings' route).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import gevent
from gevent import socket
from gevent.event import AsyncResult
from gevent.server import StreamServer

from ..._retry import RetryPolicy
from ...exceptions import ProxyError, PSSHError, Timeout
from .._failures import Failure, exception_for
from .._proxy_command import ProxyCommand
from .._route import Command, Direct, Via
from .._settings import HostSettings
from .._sock import open_socket
from ._errors import describe
from ._forward import SessionDriver

logger = logging.getLogger(__name__)

ClientFactory = Callable[..., Any]
"""``factory(host, _settings=settings, _router=router)``: a connected native
client (the native ``SSHClient`` class itself)."""


class Hop:
    """The one SSH connection to a proxy (or jump) host and the tunnels
    through it.

    :param settings: The proxy's settings (:func:`pssh.clients._settings.settings_for`):
      its ``timeout`` bounds connecting to it and opening each tunnel.
    :param client_factory: Makes the proxy's connected client from its
      settings (``client_factory(settings)``).
    :param channel_retries: Attempts at opening a channel to a target
      (``None``: the proxy's ``num_retries``).
    """

    def __init__(
        self,
        settings: HostSettings,
        client_factory: Callable[[HostSettings], Any],
        channel_retries: int | None = None,
    ) -> None:
        self.settings = settings
        self.host = settings.host
        self.port = settings.login_port
        self.timeout = settings.timeout
        self._client_factory = client_factory
        retries = settings.num_retries if channel_retries is None else channel_retries
        self.channel_retry = RetryPolicy.from_args(retries, settings.retry_delay)
        self.connections = 0
        """SSH connections made to the proxy so far."""
        self.client: Any = None
        self.driver: SessionDriver | None = None
        self._attempt: AsyncResult | None = None
        self._servers: list[StreamServer] = []

    def __repr__(self) -> str:
        return f"<Hop {self.host}:{self.port}>"

    # -- the connection ---------------------------------------------------

    def connect(self, target: str | None = None, target_port: int | None = None) -> SessionDriver:
        """The live connection's driver, connecting first if needed. Callers
        arriving while a connection attempt is under way share that attempt
        and its outcome (a proxy that is down is tried once, not once per host).

        :raises: :py:class:`pssh.exceptions.ProxyError` naming proxy and
          ``target`` (``host=target``, or the proxy when no target is given);
          :py:class:`pssh.exceptions.Timeout` when the proxy did not answer
          in time (1.8.0 code catches that).
        """
        if self.driver is not None and self.driver.alive:
            return self.driver
        attempt = self._attempt
        if attempt is not None:
            try:
                return attempt.get()
            except PSSHError as exc:
                raise self._connect_error(target, target_port, exc) from exc
        attempt = self._attempt = AsyncResult()
        try:
            driver = self._connect_now()
        except PSSHError as exc:
            attempt.set_exception(exc)
            raise self._connect_error(target, target_port, exc) from exc
        except BaseException:
            attempt.set_exception(ProxyError("Connecting to proxy %s was interrupted", self.host))
            raise
        finally:
            self._attempt = None
        attempt.set(driver)
        return driver

    def _connect_now(self) -> SessionDriver:
        self._drop()
        client = self._client_factory(self.settings)
        self.port = client.port
        self.connections += 1
        self.client = client
        self.driver = SessionDriver(client.session, client.sock)
        return self.driver

    def _connect_error(
        self, target: str | None, target_port: int | None, exc: BaseException
    ) -> PSSHError:
        if isinstance(exc, Timeout):
            return Timeout(
                "Timed out connecting to host %s:%s - %s",
                target or self.host, target_port if target else self.port,
                "through proxy %s:%s: %s" % (self.host, self.port, exc),
                host=target or self.host,
            )  # fmt: skip
        return exception_for(Failure.PROXY_DOWN, target or self.host, exc,
                             proxy_host=self.host, proxy_port=self.port)  # fmt: skip

    def _drop(self) -> None:
        if self.driver is not None:
            self.driver.stop()
            self.driver = None
        if self.client is not None:
            self.client.disconnect()
            self.client = None

    # -- tunnels ----------------------------------------------------------

    def open_channel(self, host: str, port: int, sport: int = 0) -> Any:
        """A direct-tcpip channel from the proxy to ``host:port``, retried
        ``channel_retries`` times.

        :raises: :py:class:`pssh.exceptions.ProxyError` (``host=host``).
        """
        return self._open(host, port, sport)[1]

    def _open(
        self, host: str, port: int, sport: int, name: str | None = None
    ) -> tuple[SessionDriver, Any]:
        # name: the target as the user named it (an alias whose HostName is
        # ``host``), which errors carry as their host
        delays = self.channel_retry.delays()
        reconnected = False
        while True:
            driver = self.connect(name or host, port)
            try:
                return driver, self._open_once(driver, host, port, sport, name)
            except (ProxyError, Timeout):
                if not driver.alive and not reconnected:
                    # the proxy dropped an idle connection: connect again, once
                    reconnected = True
                    continue
                delay = next(delays, None)
                if delay is None:
                    raise
                gevent.sleep(delay)

    def _open_once(
        self, driver: SessionDriver, host: str, port: int, sport: int, name: str | None = None
    ) -> Any:
        try:
            channel = driver.open_channel(host, port, sport, timeout=self.timeout)
        except Exception as exc:
            cause = "no tunnel to %s:%s - %s" % (host, port, describe(exc))
            raise exception_for(Failure.PROXY_DOWN, name or host, cause,
                                proxy_host=self.host, proxy_port=self.port) from exc  # fmt: skip
        if channel is None:
            raise Timeout(
                "Timed out connecting to host %s:%s - %s", name or host, port,
                "proxy %s:%s did not open a tunnel to %s:%s within %s seconds"
                % (self.host, self.port, host, port, self.timeout),
                host=name or host,
            )  # fmt: skip
        return channel

    def _attach(
        self, driver: SessionDriver, channel: Any, sock: Any, host: str, name: str | None = None
    ) -> Any:
        if not driver.alive:
            sock.close()
            raise ProxyError(
                "Connection to proxy %s:%s lost while opening a tunnel to %s",
                self.host, self.port, host, host=name or host,
            )  # fmt: skip
        return driver.attach(channel, sock)

    def socket_to(self, host: str, port: int, name: str | None = None) -> socket.socket:
        """A connected socket whose bytes reach ``host:port`` through the proxy
        (one end of a socket pair; the other end is forwarded).

        :param name: The target as the user named it, when ``host`` is its
          ``HostName``: the errors' ``host`` (and so the output key).
        :raises: :py:class:`pssh.exceptions.ProxyError` or
          :py:class:`pssh.exceptions.Timeout` (``host=name or host``).
        """
        driver, channel = self._open(host, port, 0, name)
        ours, theirs = socket.socketpair()
        try:
            self._attach(driver, channel, ours, host, name)
        except ProxyError:
            theirs.close()
            raise
        return theirs

    def listen(self, host: str, port: int) -> int:
        """Listen on 127.0.0.1 (a free port) and forward every connection
        accepted there to ``host:port`` through the proxy.

        :returns: The listening port.
        """

        def handle(sock: socket.socket, address: tuple) -> None:
            try:
                driver, channel = self._open(host, port, address[1])
                forward = self._attach(driver, channel, sock, host)
            except (ProxyError, Timeout) as exc:
                logger.warning("%s", exc)
                return
            forward.done.wait()

        server = StreamServer(("127.0.0.1", 0), handle)
        server.start()
        self._servers.append(server)
        return int(server.server_port)

    def close(self) -> None:
        """Close the listeners, every tunnel and the connection to the proxy."""
        for server in self._servers:
            server.close()
        self._servers = []
        self._drop()

    def abort(self) -> None:
        """Like :meth:`close` without waiting on the network (safe in ``__del__``)."""
        for server in self._servers:
            server.close()
        self._servers = []
        if self.driver is not None:
            self.driver.stop()
            self.driver = None
        client, self.client = self.client, None
        if client is not None and client.sock is not None:
            try:
                client.sock.shutdown(socket.SHUT_RDWR)  # the descriptor is libssh2's to free
            except OSError:
                pass


class Router:
    """Opens the sockets of one client's routes and owns the :class:`Hop`
    connections they go through (shared by the hosts whose routes have the
    same :attr:`pssh.clients._route.Via.key`).

    :param client_factory: Makes a connected client for a proxy or jump host:
      ``client_factory(host, _settings=settings, _router=router)``.
    """

    def __init__(self, client_factory: ClientFactory) -> None:
        self._client_factory = client_factory
        self.connections: dict[tuple, Hop] = {}
        """The hops made so far, by :attr:`pssh.clients._route.Via.key`."""

    def hop(self, via: Via) -> Hop:
        """The (shared) connection to ``via``'s proxy, made (not connected) on first use."""
        hop = self.connections.get(via.key)
        if hop is None:
            hop = self.connections[via.key] = Hop(via.proxy, self.client_for)
        return hop

    def client_for(self, settings: HostSettings) -> Any:
        return self._client_factory(settings.host, _settings=settings, _router=self)

    def open(
        self, settings: HostSettings, timeout: float | None, command: ProxyCommand | None = None
    ) -> Any:
        """A connected socket for one connection attempt to ``settings``' host.

        :param timeout: Seconds a direct TCP connection may take.
        :param command: The host's running ``ProxyCommand`` (its client owns
          the process), for a :class:`pssh.clients._route.Command` route.
        :raises: :py:class:`pssh.exceptions.ConnectionErrorException`,
          :py:class:`pssh.exceptions.UnknownHostException`,
          :py:class:`pssh.exceptions.ProxyError` or
          :py:class:`pssh.exceptions.Timeout`, naming the host.
        """
        route = settings.route
        if isinstance(route, Via):
            return self.hop(route).socket_to(route.address, route.port, name=settings.host)
        if isinstance(route, Command):
            if command is None:
                raise ValueError("a ProxyCommand route needs the client's ProxyCommand")
            return command.open()
        if not isinstance(route, Direct):
            raise ValueError("settings of no host yet: use settings_for()")
        return open_socket(
            route.address, route.port, timeout, name=settings.host, ipv6_only=settings.ipv6_only
        )

    def _closing_order(self) -> list[Hop]:
        # the last hop of a chain first: its tunnel runs through the earlier ones
        return [self.connections[k] for k in sorted(self.connections, key=len, reverse=True)]

    def close(self) -> None:
        """Close every hop (listeners, tunnels, connections); they are made
        again when used again."""
        hops = self._closing_order()
        self.connections = {}
        for hop in hops:
            hop.close()

    def abort(self) -> None:
        """:meth:`close` without waiting on the network (safe in ``__del__``)."""
        for hop in self._closing_order():
            try:
                hop.abort()
            except Exception:  # nothing to report to at collection time
                pass


__all__ = ["ClientFactory", "Hop", "Router"]
