"""Reaching hosts through a proxy (bastion) with SSH direct-tcpip forwarding.

Layers, bottom up:

* ``SessionDriver`` (``pssh.clients.native._forward``) joins direct-tcpip
  channels of one SSH session to local sockets (one greenlet owns the session).
* :class:`ProxyConnection` is the one SSH connection to a proxy host: made on
  first use (hosts asking at the same time share the attempt), remade if it
  drops, and handing out tunnels to ``host:port`` through it, either as a
  private connected socket (``ProxyConnection.socket_to``) or as a
  listening port on 127.0.0.1 (``ProxyConnection.listen``).
* :class:`Tunnel` is the 1.8.0 public class: a thread running its own gevent
  hub with a :class:`ProxyConnection`, fed ``(host, port)`` requests through
  ``in_q`` and answering listening ports through ``out_q``.

Why the parallel client does not use the :class:`Tunnel` thread: it runs a
:class:`ProxyConnection` in its own hub and gives each host's
:class:`pssh.clients.native.single.SSHClient` one end of a socket pair whose
other end is forwarded. Measured with ``bench/proxy_bench.py`` on a 2-core
machine (OpenSSH 9.2, loopback), through one proxy to 4 hosts at once the
same-hub forwarding moved 43-88 MB/s of command output against 34-58 MB/s with
a Tunnel thread and 127.0.0.1 listeners, and copied 40-82 MB/s against
35-56 MB/s; with one host the two were alike. The thread only adds
cross-thread hand-offs and GIL contention to the same amount of crypto. The
same-hub way is also simpler (no thread, no cross-thread queues, errors raised
in the per-host task where ``stop_on_errors=False`` catches them) and safer: a
socket pair has no port that other local users could connect to and ride the
authenticated proxy session with.

Limits that come from libssh2: a session opens one channel at a time, so a
target whose address never answers (the proxy's TCP connect hangs) holds up
the tunnel opens queued behind it; each waiting host fails with
:py:class:`pssh.exceptions.ProxyError` after ``tunnel_timeout`` (or the
client's ``timeout``), while tunnels already open keep working.

Whichever way, ONE SSH connection to the proxy carries every target's tunnel.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Any

import gevent
from gevent import monkey
from gevent.event import Event

from ...constants import DEFAULT_RETRIES, RETRY_DELAY
from ...exceptions import ProxyError, Timeout
from ._proxy import ProxiedSSHClient, ProxyConnection

__all__ = ["ProxiedSSHClient", "ProxyConnection", "Tunnel", "logger"]

logger = logging.getLogger(__name__)

POLL_IN_Q = 0.1
"""Seconds between looks at a plain ``deque`` given as ``Tunnel.in_q`` (a deque
cannot notify; :meth:`Tunnel.open_tunnel` wakes the thread at once)."""


class _Request:
    """An :meth:`Tunnel.open_tunnel` request, answered across threads."""

    __slots__ = ("host", "port", "listen_port", "error", "done", "loop")

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.listen_port: int | None = None
        self.error: BaseException | None = None
        self.done = Event()
        self.loop = gevent.get_hub().loop

    def answer(self) -> None:
        self.loop.run_callback_threadsafe(self.done.set)


class Tunnel(threading.Thread):
    """SSH proxy implementation with direct TCP/IP tunnels.

    Each tunnel object runs in its own thread and can open any number of
    direct tunnels to remote host:port destinations on local ports over the
    same SSH connection.

    To use, append ``(host, port)`` tuples into ``Tunnel.in_q`` and read
    listen port for tunnel connection from ``Tunnel.out_q``.
    :py:meth:`open_tunnel` does both and wakes the thread at once.

    ``Tunnel.tunnel_open`` is a *thread* event that will be set once tunnel is
    ready. If the connection to ``host`` fails it is never set;
    ``Tunnel.exception`` then holds the :py:class:`pssh.exceptions.ProxyError`
    and the thread ends (:py:meth:`wait_open` raises it).

    Listening sockets are on 127.0.0.1 only. :py:meth:`shutdown` closes them,
    the tunnels and the connection, and ends the thread.

    :param host: Remote SSH host to open tunnels with.
    :type host: str
    :param in_q: Deque for requesting new tunnel to given ``(host, port)``
    :type in_q: :py:class:`collections.deque`
    :param out_q: Deque for feeding back tunnel listening ports.
    :type out_q: :py:class:`collections.deque`
    :param user: (Optional) User to login as. Defaults to logged in user
    :type user: str
    :param password: (Optional) Password to use for login. Defaults to
      no password
    :type password: str
    :param port: (Optional) Port number to use for SSH connection. Defaults
      to ``None`` which uses SSH default (22)
    :type port: int
    :param pkey: Private key file path to use. Note that the public key file
      pair *must* also exist in the same location with name ``<pkey>.pub``
    :type pkey: str
    :param num_retries: (Optional) Number of connection and authentication
      attempts before the client gives up. Defaults to 3.
    :type num_retries: int
    :param retry_delay: Number of seconds to wait between retries. Defaults
      to :py:data:`pssh.constants.RETRY_DELAY`
    :type retry_delay: int
    :param timeout: SSH session timeout setting in seconds. This controls
      timeout setting of authenticated SSH sessions, and how long opening
      each tunnel may take.
    :type timeout: int
    :param allow_agent: (Optional) set to ``False`` to disable connecting to
      the system's SSH agent.
    :type allow_agent: bool
    :param channel_retries: Attempts at opening a tunnel channel for each
      accepted connection.
    :type channel_retries: int
    """

    def __init__(
        self,
        host: str,
        in_q: deque,
        out_q: deque,
        user: str | None = None,
        password: str | None = None,
        port: int | None = None,
        pkey: Any = None,
        num_retries: int = DEFAULT_RETRIES,
        retry_delay: float = RETRY_DELAY,
        allow_agent: bool = True,
        timeout: float | None = None,
        channel_retries: int = 5,
    ) -> None:
        threading.Thread.__init__(self, name=f"pssh-tunnel-{host}", daemon=True)
        self.host, self.port = host, port
        self.in_q, self.out_q = in_q, out_q
        self.user, self.password, self.pkey = user, password, pkey
        self.num_retries, self.retry_delay = num_retries, retry_delay
        self.allow_agent, self.timeout = allow_agent, timeout
        self.channel_retries = channel_retries
        self.tunnel_open = threading.Event()
        self.exception: BaseException | None = None
        self.proxy: ProxyConnection | None = None
        self._requests: deque[_Request] = deque()
        self._stopping = False
        self._finished = threading.Event()
        self._settled = threading.Event()  # open, or failed
        self._wake: Event | None = None
        self._loop: Any = None

    def run(self) -> None:
        """Thread run target. Starts tunnel client and waits for incoming
        tunnel connection requests from ``Tunnel.in_q``."""
        hub = gevent.get_hub()
        # Under gevent's monkey patching (the paramiko clients patch), a
        # Thread is a greenlet of the calling thread's hub: that hub is not
        # ours to destroy.
        own_hub = not monkey.is_module_patched("threading")
        self._wake, self._loop = Event(), hub.loop
        proxy = self.proxy = ProxyConnection(
            self.host, port=self.port, user=self.user, password=self.password, pkey=self.pkey,
            num_retries=self.num_retries, retry_delay=self.retry_delay,
            allow_agent=self.allow_agent, timeout=self.timeout,
            channel_retries=self.channel_retries,
        )  # fmt: skip
        try:
            proxy.connect()
            self.tunnel_open.set()
            self._settled.set()
            while not self._stopping:
                self._serve(proxy)
                self._wake.wait(POLL_IN_Q)
                self._wake.clear()
        except (ProxyError, Timeout) as exc:
            logger.error("Tunnel to %s failed: %s", self.host, exc)
            self.exception = exc
        finally:
            self._finished.set()
            self._settled.set()
            self._fail_requests()
            proxy.close()
            self._loop = None
            if own_hub:
                hub.destroy(destroy_loop=True)

    def _serve(self, proxy: ProxyConnection) -> None:
        while self.in_q:
            host, port = self.in_q.popleft()
            self.out_q.append(proxy.listen(host, int(port)))
        while self._requests:
            request = self._requests.popleft()
            try:
                request.listen_port = proxy.listen(request.host, int(request.port))
            except Exception as exc:
                request.error = exc
            request.answer()

    def _fail_requests(self) -> None:
        while self._requests:
            request = self._requests.popleft()
            request.error = self.exception or ProxyError(
                "Tunnel to %s is closed", self.host, host=self.host
            )
            request.answer()

    def _notify(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is None or wake is None or self._finished.is_set():
            return
        try:
            loop.run_callback_threadsafe(wake.set)
        except ValueError:  # the loop was destroyed meanwhile: the thread has ended
            pass

    def open_tunnel(self, host: str, port: int, timeout: float | None = None) -> int:
        """Request a tunnel to ``host:port`` and wait (cooperatively, from any
        thread) for its listening port on 127.0.0.1.

        :raises: :py:class:`pssh.exceptions.ProxyError` when the tunnel failed
          or no port came within ``timeout`` seconds.
        :rtype: int
        """
        request = _Request(host, port)
        self._requests.append(request)
        if self._finished.is_set():
            self._fail_requests()
        self._notify()
        if not request.done.wait(timeout):
            raise ProxyError(
                "Timed out after %s seconds waiting for a tunnel to %s:%s through %s",
                timeout, host, port, self.host, host=host,
            )  # fmt: skip
        if request.error is not None:
            raise request.error
        assert request.listen_port is not None
        return request.listen_port

    def wait_open(self, timeout: float | None = None) -> None:
        """Wait (blocking the calling thread) until the tunnel is open.

        :raises: the connection's :py:class:`pssh.exceptions.ProxyError`, or
          :py:class:`pssh.exceptions.Timeout` after ``timeout`` seconds.
        """
        if not self._settled.wait(timeout):
            raise Timeout("Tunnel to %s not open after %s seconds", self.host, timeout)
        if self.exception is not None:
            raise self.exception

    def shutdown(self, timeout: float | None = None) -> None:
        """Close the listeners, tunnels and connection, and end the thread."""
        self._stopping = True
        self._notify()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)
