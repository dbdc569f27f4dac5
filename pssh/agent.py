"""SSH agent module of parallel-ssh

:class:`SSHAgent` holds keys supplied by the program instead of asking a
system SSH agent for them. It keeps paramiko's agent interface
(:class:`paramiko.agent.AgentSSH`), so it can stand wherever paramiko expects
an :class:`paramiko.agent.Agent`: paramiko's ``SSHClient`` authenticates with
each key from :meth:`SSHAgent.get_keys` in turn.

One agent object is usually shared by the clients of many hosts, and paramiko
closes the agent of a client when that client disconnects. Closing is
therefore a no-op here: the keys stay available to every other host.
"""

from __future__ import annotations

from typing import Any

import paramiko.agent
from paramiko.pkey import PKey

__all__ = ["SSHAgent"]


class SSHAgent(paramiko.agent.AgentSSH):
    """:py:class:`paramiko.agent.Agent` compatible class for programmatically
    supplying an SSH agent.
    """

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[PKey] = []

    def add_key(self, key: PKey) -> None:
        """Add key to agent.

        :param key: Key to add
        :type key: :py:class:`paramiko.pkey.PKey`
        :rtype: None
        """
        self.keys.append(key)

    def get_keys(self) -> tuple[PKey, ...]:
        """Return the list of keys available through the SSH agent, if any. If
        no SSH agent was running (or it couldn't be contacted), an empty list
        will be returned.

        :returns: a tuple of :py:class:`paramiko.agent.AgentKey` objects
          representing keys available on the SSH agent
        :rtype: tuple
        """
        return tuple(self.keys)

    def _connect(self, conn: Any) -> None:
        """No connection to make: keys are supplied with :meth:`add_key`."""

    def _close(self) -> None:
        """Nothing to close; the keys stay available."""

    def close(self) -> None:
        """Close the agent - a no-op that keeps the keys for other clients.

        :rtype: None
        """
