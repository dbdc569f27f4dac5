"""SSH agent forwarding (``ssh -A``) for the paramiko client, on greenlets.

paramiko's own ``AgentRequestHandler`` runs a thread per forwarded
connection and joins it (for up to 1000 seconds) from ``__del__``, which
under gevent can block whichever greenlet happens to collect it. Here each
agent connection the server opens is served by two small pumps between the
channel and the local agent's socket instead, ending when either side closes.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import gevent
import paramiko
from gevent import socket

logger = logging.getLogger("pssh.clients.miko")

_CHUNK = 16 * 1024


def forward_agent(channel: Any, host: str) -> bool:
    """Ask the server to forward agent requests made within ``channel``'s
    session to the local agent (``SSH_AUTH_SOCK``). ``False`` when there is
    no local agent to forward to."""
    path = os.environ.get("SSH_AUTH_SOCK")
    if not path:
        return False
    channel.request_forward_agent(lambda remote: gevent.spawn(_serve, remote, path, host))
    return True


def _serve(remote: Any, path: str, host: str) -> None:
    agent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        agent.connect(path)
    except OSError as exc:
        logger.warning("Cannot reach the local SSH agent at %s for %s: %s", path, host, exc)
        agent.close()
        remote.close()
        return
    pumps = [gevent.spawn(_pump, remote.recv, agent.sendall),
             gevent.spawn(_pump, agent.recv, remote.sendall)]  # fmt: skip
    try:
        gevent.joinall(pumps, count=1)
    finally:
        gevent.killall(pumps)
        agent.close()
        remote.close()


def _pump(recv: Any, send: Any) -> None:
    try:
        while True:
            data = recv(_CHUNK)
            if not data:
                return
            send(data)
    except (OSError, EOFError, paramiko.SSHException):
        return
