"""Deprecated: use :mod:`pssh.clients.native` (native ``SSHClient``)."""

from ._deprecate import warn_moved
from .clients.native.single import SSHClient, logger

warn_moved("pssh.ssh2_client", "pssh.clients.native")

__all__ = ["SSHClient", "logger"]
