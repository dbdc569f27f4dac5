"""The one SSH connection to a proxy (bastion) host and the tunnels through it.

:class:`ProxyConnection` connects to the proxy on first use (hosts asking while
an attempt is under way share it, so a proxy that is down is tried once, not
once per host), reconnects if the connection drops, and hands out tunnels to
``host:port`` as seen from the proxy: a private connected socket
(:meth:`ProxyConnection.socket_to`, one end of a socket pair) or a listening
port on 127.0.0.1 (:meth:`ProxyConnection.listen`). Each tunnel is a
direct-tcpip channel of the one session, forwarded by
:class:`pssh.clients.native._forward.SessionDriver`.

:class:`ProxiedSSHClient` is the native single-host client whose connection is
such a socket; the parallel client makes one per host when ``proxy_host`` is set.

``ProxyJump`` (OpenSSH config) uses the same machinery: :func:`jump_connection`
chains one :class:`ProxyConnection` per hop, each reaching its hop through the
previous one (``via``). The proxy's own client verifies the proxy's host key
like any other (``client_options`` carry the host key and config settings).
See :mod:`pssh.clients.native.tunnel` for why the parallel client does this in
its own hub rather than in a :class:`~pssh.clients.native.tunnel.Tunnel` thread.
"""

from __future__ import annotations

import logging
from typing import Any

import gevent
from gevent import socket
from gevent.event import AsyncResult
from gevent.server import StreamServer

from ..._retry import RetryPolicy
from ..._ssh_config import JumpHost
from ...constants import DEFAULT_RETRIES, RETRY_DELAY
from ...exceptions import ProxyError, PSSHError, Timeout
from .._failures import Failure, exception_for
from ._errors import describe
from ._forward import SessionDriver
from .single import SSHClient

logger = logging.getLogger(__name__)


class ProxyConnection:
    """The one SSH connection to a proxy host and the tunnels through it.

    :param host: Proxy host.
    :param port: Proxy SSH port (22 when ``None``).
    :param user: User on the proxy (logged in user when ``None``).
    :param password: Password on the proxy.
    :param pkey: Private key (path or contents) for the proxy.
    :param num_retries: Attempts at connecting to the proxy.
    :param retry_delay: Seconds between attempts (connecting and opening channels).
    :param allow_agent: Whether the SSH agent may authenticate to the proxy.
    :param timeout: Seconds that connecting to the proxy and opening each
      tunnel may take; ``None`` for no limit.
    :param channel_retries: Attempts at opening a channel to a target.
    :param via: Another :class:`ProxyConnection` through which this proxy is
      reached (the previous ``ProxyJump`` hop), or ``None`` to connect directly.
    :param client_options: More keyword arguments for the proxy's
      :class:`SSHClient` (``known_hosts``, ``host_key_policy``, ``ssh_config``...).
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
        *,
        via: ProxyConnection | None = None,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        self.host = host
        self.port = int(port) if port else 22
        self._port_given = bool(port)
        self.via = via
        self.client_options = dict(client_options or {})
        self.user, self.password, self.pkey = user, password, pkey
        self.num_retries, self.allow_agent, self.timeout = num_retries, allow_agent, timeout
        self.channel_retry = RetryPolicy.from_args(channel_retries, retry_delay)
        self.retry_delay = retry_delay
        self.connections = 0
        """SSH connections made to the proxy so far."""
        self.client: SSHClient | None = None
        self.driver: SessionDriver | None = None
        self._attempt: AsyncResult | None = None
        self._servers: list[StreamServer] = []

    def __repr__(self) -> str:
        return f"<ProxyConnection {self.host}:{self.port}>"

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
        kwargs: dict[str, Any] = dict(
            user=self.user, password=self.password, port=self.port if self._port_given else None,
            pkey=self.pkey, num_retries=self.num_retries, retry_delay=self.retry_delay,
            allow_agent=self.allow_agent, timeout=self.timeout, forward_ssh_agent=False,
            **self.client_options,
        )  # fmt: skip
        if self.via is not None:
            client: SSHClient = ProxiedSSHClient(self.host, self.via, **kwargs)
        else:
            client = SSHClient(self.host, _follow_proxy_jump=False, **kwargs)
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


class ProxiedSSHClient(SSHClient):
    """A native :class:`SSHClient` whose connection to ``host`` runs through
    a tunnel of ``proxy`` (a :class:`ProxyConnection`, shared by many clients).
    Takes :class:`SSHClient`'s keyword arguments; ``proxy_host`` is set to the proxy.
    """

    def __init__(self, host: str, proxy: ProxyConnection, **kwargs: Any) -> None:
        self.proxy = proxy
        kwargs["proxy_host"] = proxy.host
        super().__init__(host, **kwargs)

    def _open_socket(self) -> Any:
        return self.proxy.socket_to(self.hostname, self.port, name=self.host)


def jump_connection(
    hops: tuple[JumpHost, ...], connections: dict[tuple[JumpHost, ...], ProxyConnection],
    **options: Any,
) -> ProxyConnection:  # fmt: skip
    """The connection to the last of ``hops`` (``ProxyJump``, first hop
    first), each hop reached through the previous one. Connections are taken
    from and added to ``connections`` (keyed by the hops up to each one), so
    hosts behind the same hops share them. A hop's user and port default to
    its own OpenSSH configuration; its own ``ProxyJump`` is not followed.

    :param options: :class:`ProxyConnection` keyword arguments for every hop.
    :rtype: ProxyConnection
    """
    via: ProxyConnection | None = None
    for i, hop in enumerate(hops):
        key = hops[: i + 1]
        conn = connections.get(key)
        if conn is None:
            conn = connections[key] = ProxyConnection(
                hop.host, port=hop.port, user=hop.user, via=via, **options
            )
        via = conn
    assert via is not None, "no hops"
    return via
