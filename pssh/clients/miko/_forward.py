"""SSH agent forwarding (``ssh -A``) for the paramiko client, on greenlets.

Which agent a host may use is the one the user allowed for authentication,
and nothing else:

- ``agent=`` given (a :class:`pssh.agent.SSHAgent`, or any paramiko agent):
  the host sees exactly that agent's keys. They are served here, in this
  process (:class:`_KeyServer`), so the system agent behind
  ``SSH_AUTH_SOCK`` is never reached: a program that chose its keys does not
  hand every host the user's personal agent as well.
- no ``agent=`` and ``allow_agent=True``: the local agent at
  ``SSH_AUTH_SOCK`` is forwarded, as ``ssh -A`` does.
- no ``agent=`` and ``allow_agent=False``: nothing is forwarded (a warning
  says so once per host); the remote ``SSH_AUTH_SOCK`` stays unset.

paramiko's own ``AgentRequestHandler`` runs a thread per forwarded
connection and joins it (for up to 1000 seconds) from ``__del__``, which
under gevent can block whichever greenlet happens to collect it. Here each
agent connection the server opens is served by greenlets instead, ending when
either side closes.
"""

from __future__ import annotations

import logging
import os
import struct
from typing import Any, Optional

import gevent
import paramiko
from gevent import socket

from .._warn_once import warn_once

logger = logging.getLogger("pssh.clients.miko")

_CHUNK = 16 * 1024
# Agent protocol (draft-miller-ssh-agent): message numbers and signature flags.
_FAILURE, _REQUEST_IDENTITIES, _IDENTITIES_ANSWER = 5, 11, 12
_SIGN_REQUEST, _SIGN_RESPONSE = 13, 14
_RSA_FLAGS = {2: "rsa-sha2-256", 4: "rsa-sha2-512"}
# OpenSSH's agent refuses longer messages too; a server cannot make us buffer more.
MAX_MESSAGE = 256 * 1024


def forward_agent(
    channel: Any, host: str, agent: Optional[Any] = None, allow_agent: bool = True
) -> bool:
    """Ask the server to forward agent requests made within ``channel``'s
    session to the agent the user allowed (see the module docstring).

    :param agent: The client's ``agent`` argument (``None``: not given).
    :param allow_agent: The client's ``allow_agent`` argument.
    :returns: ``False`` when nothing is forwarded.
    """
    if agent is not None:
        channel.request_forward_agent(lambda remote: gevent.spawn(_KeyServer(agent).serve, remote))
        return True
    if not allow_agent:
        warn_once(
            logger, ("agent-forwarding-disallowed", host),
            "Not forwarding an SSH agent to %s: forward_ssh_agent=True but allow_agent=False "
            "and no agent= given, so there is no agent the host may use", host,
        )  # fmt: skip
        return False
    path = os.environ.get("SSH_AUTH_SOCK")
    if not path:
        return False
    channel.request_forward_agent(lambda remote: gevent.spawn(_relay, remote, path, host))
    return True


def _relay(remote: Any, path: str, host: str) -> None:
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


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


class _KeyServer:
    """An SSH agent answering one forwarded connection from ``agent``'s keys:
    it lists them and signs with them, and refuses everything else (adding,
    removing, locking keys...)."""

    def __init__(self, agent: Any) -> None:
        self.agent = agent

    def serve(self, remote: Any) -> None:
        try:
            while True:
                head = _recv_exactly(remote, 4)
                if head is None:
                    return
                (length,) = struct.unpack(">I", head)
                if not 0 < length <= MAX_MESSAGE:
                    return
                body = _recv_exactly(remote, length)
                if body is None:
                    return
                remote.sendall(_string(self.answer(body)))
        except (OSError, EOFError, paramiko.SSHException):
            return
        finally:
            remote.close()

    def answer(self, body: bytes) -> bytes:
        """The reply (without its length) to one request message."""
        try:
            if body[0] == _REQUEST_IDENTITIES:
                keys = self.agent.get_keys()
                listed = b"".join(
                    _string(key.asbytes()) + _string((getattr(key, "comment", "") or "").encode())
                    for key in keys
                )
                return bytes([_IDENTITIES_ANSWER]) + struct.pack(">I", len(keys)) + listed
            if body[0] == _SIGN_REQUEST:
                return self._sign(paramiko.Message(body[1:]))
        except Exception as exc:  # a malformed request must not end the connection
            logger.debug("Agent request refused: %s", exc)
        return bytes([_FAILURE])

    def _sign(self, msg: paramiko.Message) -> bytes:
        blob, data, flags = msg.get_binary(), msg.get_binary(), msg.get_int()
        for key in self.agent.get_keys():
            if key.asbytes() == blob:
                algorithm = None
                if key.get_name() == "ssh-rsa":
                    algorithm = _RSA_FLAGS[4] if flags & 4 else _RSA_FLAGS.get(flags & 2)
                signature = key.sign_ssh_data(data, algorithm)
                raw = signature.asbytes() if hasattr(signature, "asbytes") else bytes(signature)
                return bytes([_SIGN_RESPONSE]) + _string(raw)
        return bytes([_FAILURE])


def _recv_exactly(remote: Any, size: int) -> Optional[bytes]:
    data = b""
    while len(data) < size:
        chunk = remote.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data
