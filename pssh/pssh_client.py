"""Deprecated: use :mod:`pssh.clients.miko` (paramiko) or :mod:`pssh.clients`
(native, the default client).

Importing this module monkey patches the standard library with gevent, as
importing :mod:`pssh.clients.miko` does.
"""

from ._deprecate import warn_moved
from .clients.miko import ParallelSSHClient, SSHClient
from .clients.miko.parallel import logger

warn_moved(
    "pssh.pssh_client",
    "pssh.clients.miko",
    "The default client, pssh.clients.ParallelSSHClient, is the native (libssh2) one.",
)

__all__ = ["ParallelSSHClient", "SSHClient", "logger"]
