"""Asynchronous parallel SSH client library.

Run commands and copy files on many hosts at once over SSH, with little load
on the machine that drives them. ``from pssh.clients import ParallelSSHClient``
gives the native (libssh2) client; ``pssh.clients.miko`` the paramiko one.

Layering, from the bottom up: a module imports only from its own layer's
earlier modules and from layers below (``tests/unit/test_import_graph.py``
fails on any import cycle, imports inside functions included):

1. Values and pure logic: ``constants``, ``exceptions``, ``output``,
   ``_version``, ``_keys``, ``_known_hosts``, ``_ssh_config`` (over
   ``_known_hosts``), ``_retry``, ``_deprecate``, ``agent``, ``utils``.
2. What every backend shares, in :mod:`pssh.clients`: ``_warn_once``,
   ``_lines``, ``_copy``, ``_remote_names``, ``_limits``, ``_sock`` (TCP),
   ``_proxy_command``, ``_route`` (the shape of a route), ``_host_keys``
   (OpenSSH config lookup, host key checks), then ``_settings`` (one frozen
   :class:`~pssh.clients._settings.HostSettings` per host, route included,
   from one merge function, reading ``host_config`` through ``_host_config``),
   then ``base_single`` (one host); the parallel fan-out's parts
   (``_tasks``, ``_host_clients``, ``_watch``, ``_completion``,
   ``_copy_fanout``, ``_rollout``, ``_parallel_shells``) and ``base_pssh``,
   the public face composed of them.
3. The backends: :mod:`pssh.clients.native` and :mod:`pssh.clients.miko`
   (their package docstrings give their own layering).
4. Facades: :mod:`pssh.clients` (the native clients), the deprecated 1.x
   module paths (``pssh.pssh_client``, ``pssh.ssh_client``,
   ``pssh.pssh2_client``, ``pssh.ssh2_client``, ``pssh.tunnel``), and the
   command line (:mod:`pssh.cli`).
"""

import logging

from ._version import __version__
from .exceptions import (
    AuthenticationException,
    ConnectionErrorException,
    SSHException,
    UnknownHostException,
)

logger = logging.getLogger("pssh")
logger.addHandler(logging.NullHandler())
host_logger = logging.getLogger("pssh.host_logger")
host_logger.addHandler(logging.NullHandler())

__all__ = [
    "__version__",
    "AuthenticationException",
    "ConnectionErrorException",
    "SSHException",
    "UnknownHostException",
    "host_logger",
    "logger",
]
