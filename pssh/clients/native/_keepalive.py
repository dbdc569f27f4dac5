"""Keepalives for the native client (``keepalive_seconds``, default 60, else
``ServerAliveInterval``): keepalive messages on idle connections, so that
NAT gateways and firewalls do not drop them, and so that a server that is
gone is noticed.

One greenlet per connection sends libssh2's keepalive (a global request the
server ignores: no reply is asked for, so none piles up unread) every
``interval`` seconds. libssh2 resumes a partly sent packet with whatever the
next sender passes, so a keepalive must never interrupt another packet or be
cut short itself: it is sent only when libssh2 is not blocked sending and the
kernel's send queue of the socket is empty (so the few bytes go out whole).
Otherwise the connection is busy and needs no keepalive; it is tried again at
the next interval.

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


def start_keepalive(client: Any, interval: int) -> gevent.Greenlet:
    """Send keepalives on ``client``'s session every ``interval`` seconds
    until the client is disconnected (or collected).

    :rtype: :py:class:`gevent.Greenlet`
    """
    # no reply asked for: libssh2 cannot read one (see the module docstring)
    client.session.keepalive_config(False, interval)
    give_up_after(client.sock, interval)
    return gevent.spawn(_run, weakref.ref(client), client.session, interval)


def _run(client_ref: weakref.ref, session: Any, interval: int) -> None:
    while True:
        gevent.sleep(interval)
        client = client_ref()
        if client is None or client.session is not session:
            return
        try:
            send_keepalive(session, client.sock)
        except (SSH2Error, OSError) as exc:
            logger.debug("Keepalive to %s failed, stopping: %s", client.host, exc)
            return
        del client
