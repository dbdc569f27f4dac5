"""SSH clients. ``from pssh.clients import ParallelSSHClient`` gives the
native (ssh2-python / libssh2) parallel client.

Layering: the shared helpers (``_sock``, ``_proxy_command``, ``_route``,
``_host_keys`` ...) -> ``_settings`` (each host's
``HostSettings`` and route, decided once for
every backend) -> ``base_single`` / the fan-out parts (``_tasks``,
``_host_clients``, ``_watch``, ``_completion``, ``_copy_fanout``,
``_rollout``, ``_parallel_shells``) -> ``base_pssh`` (composed of them) ->
``native`` and ``miko``
-> this facade (the native clients)."""

import logging

from .native import ParallelSSHClient, SSHClient

logger = logging.getLogger(__name__)
"""The parent of every client module's logger."""

__all__ = ["ParallelSSHClient", "SSHClient", "logger"]
