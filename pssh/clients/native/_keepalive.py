"""Keepalives for the native client (``keepalive_seconds``, default 60, else
``ServerAliveInterval``): keepalive messages on idle connections, so that
NAT gateways and firewalls do not drop them, and so that a server that is
gone is noticed.

One timer of the event loop per connection (no greenlet: a greenlet and its
stack cost about 4 KiB per host, a timer a few hundred bytes) sends
libssh2's keepalive (a global request the server ignores: no reply is asked
for, so none piles up unread) every ``interval`` seconds. libssh2 resumes a
partly sent packet with whatever the next sender passes, so a keepalive must
never interrupt another packet or be cut short itself: it is sent only when
libssh2 is not blocked sending and the kernel's send queue of the socket is
empty (so the few bytes go out whole). Otherwise the connection is busy and
needs no keepalive; it is tried again at the next interval.

A dead peer: on a TCP connection the kernel is told (``TCP_USER_TIMEOUT``)
to give the connection up when data sent stays unacknowledged for
:data:`COUNT_MAX` + 1 intervals; the keepalives make sure there is such data
even on an idle connection. So a server host that vanished, a cut network
or a firewall silently dropping the connection fails every call waiting on
it (reading output, ``join``) with a connection error within that time
instead of waiting forever. A server process that was killed closes its
connection and is noticed at once. Not noticed: a server whose kernel still
acknowledges but whose sshd stopped working (e.g. ``SIGSTOP``): that needs
replies to keepalives, and libssh2 (1.11, this build) fails the whole
session's next read with ``BufferTooSmallError`` when a reply arrives; the
``timeout`` of reads covers that case. Connections that are not TCP
(through a ``ProxyCommand``, or the local end of a tunnel) get keepalives
only.
"""

from __future__ import annotations

import array
import fcntl
import logging
import socket
import termios
import weakref
from typing import Any

import gevent
from ssh2.exceptions import SSH2Error
from ssh2.session import LIBSSH2_SESSION_BLOCK_OUTBOUND

logger = logging.getLogger(__name__)

COUNT_MAX = 3
"""Intervals of unacknowledged keepalives, after the first, before the
kernel gives the connection up (as OpenSSH's ``ServerAliveCountMax`` 3)."""


def give_up_after(sock: Any, interval: int) -> bool:
    """Ask the kernel to fail ``sock`` when data stays unacknowledged for
    :data:`COUNT_MAX` + 1 times ``interval`` seconds (``TCP_USER_TIMEOUT``).

    :returns: Whether it could (``False``: not a TCP socket, or not Linux).
    """
    option = getattr(socket, "TCP_USER_TIMEOUT", None)
    if option is None or sock is None:
        return False
    try:
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return False
        sock.setsockopt(socket.IPPROTO_TCP, option, (COUNT_MAX + 1) * interval * 1000)
    except (OSError, AttributeError, ValueError):
        return False
    return True


def _send_queue_empty(sock: Any) -> bool:
    unsent = array.array("i", [0])
    try:
        fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, unsent)  # SIOCOUTQ
    except (OSError, ValueError):
        return False
    return unsent[0] == 0


def send_keepalive(session: Any, sock: Any) -> bool:
    """Send one keepalive if the connection is idle enough (see above).

    :returns: Whether one was sent.
    :raises: :py:class:`ssh2.exceptions.SSH2Error` when sending fails.
    """
    if session.block_directions() & LIBSSH2_SESSION_BLOCK_OUTBOUND:
        return False
    if not _send_queue_empty(sock):
        return False
    session.keepalive_send()
    return True


class Keepalive:
    """Sends keepalives on ``client``'s session every ``interval`` seconds
    from a repeating timer of gevent's loop, until the client is disconnected
    (or collected) or :meth:`kill` is called. The timer's callback runs in the
    hub: it only makes non-blocking calls (:func:`send_keepalive`), and never
    lets an error out."""

    def __init__(self, client: Any, interval: int) -> None:
        self._client = weakref.ref(client)
        self._session = client.session
        self._timer = gevent.get_hub().loop.timer(interval, interval)
        self._timer.ref = False  # a keepalive alone does not keep the loop running
        self._timer.start(self._tick)

    def _tick(self) -> None:
        client = self._client()
        if client is None or client.session is not self._session:
            self.kill()
            return
        try:
            send_keepalive(self._session, client.sock)
        except (SSH2Error, OSError) as exc:
            logger.debug("Keepalive to %s failed, stopping: %s", client.host, exc)
            self.kill()
        except Exception:  # noqa: BLE001 - the hub must never see it
            logger.exception("Keepalive to %s failed, stopping", client.host)
            self.kill()

    @property
    def active(self) -> bool:
        """Whether keepalives are still being sent."""
        return bool(self._timer.active)

    def kill(self, block: bool = False) -> None:
        """Stop sending keepalives (``block`` is accepted for the greenlet-like
        interface the client uses; stopping never waits)."""
        self._timer.stop()


def start_keepalive(client: Any, interval: int) -> Keepalive:
    """Send keepalives on ``client``'s session every ``interval`` seconds
    until the client is disconnected (or collected).

    :rtype: :class:`Keepalive`
    """
    # no reply asked for: libssh2 cannot read one (see the module docstring)
    client.session.keepalive_config(False, interval)
    give_up_after(client.sock, interval)
    return Keepalive(client, interval)
