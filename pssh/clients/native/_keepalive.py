"""``ServerAliveInterval`` for the native client: keepalive messages on idle
connections, so that NAT gateways and firewalls do not drop them.

One greenlet per connection sends libssh2's keepalive (a global request the
server ignores: no reply is asked for, so none piles up unread) every
``interval`` seconds. libssh2 resumes a partly sent packet with whatever the
next sender passes, so a keepalive must never interrupt another packet or be
cut short itself: it is sent only when libssh2 is not blocked sending and the
kernel's send queue of the socket is empty (so the few bytes go out whole).
Otherwise the connection is busy and needs no keepalive; it is tried again at
the next interval. ``ServerAliveCountMax`` is not implemented (libssh2 does
not report replies): a dead server is found by the next operation's timeout.
"""

from __future__ import annotations

import array
import fcntl
import logging
import termios
import weakref
from typing import Any

import gevent
from ssh2.exceptions import SSH2Error
from ssh2.session import LIBSSH2_SESSION_BLOCK_OUTBOUND

logger = logging.getLogger(__name__)


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
    client.session.keepalive_config(False, interval)
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
