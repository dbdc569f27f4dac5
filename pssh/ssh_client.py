"""Deprecated: use :mod:`pssh.clients.miko` (paramiko ``SSHClient``).

Importing this module monkey patches the standard library with gevent, as
importing :mod:`pssh.clients.miko` does.
"""

from ._deprecate import warn_moved
from .clients.miko.single import SSHClient, logger

warn_moved("pssh.ssh_client", "pssh.clients.miko")

__all__ = ["SSHClient", "logger"]
