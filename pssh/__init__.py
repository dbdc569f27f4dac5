# Layering of pssh, from the bottom up:
#   constants, exceptions, output, _settings, _retry, _deprecate, utils, agent
#   -> clients.base_single (one host) and clients.base_pssh (fan-out over a gevent pool)
#   -> clients.native (_eagain, _errors, single, tunnel, parallel) and clients.miko
#   -> facades (pssh.clients) and deprecated shims (pssh.pssh_client, ...)
"""Asynchronous parallel SSH client library.

Run commands and copy files on many hosts at once over SSH, with little load
on the machine that drives them. ``from pssh.clients import ParallelSSHClient``
gives the native (libssh2) client; ``pssh.clients.miko`` the paramiko one.
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
