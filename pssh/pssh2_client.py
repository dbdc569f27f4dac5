"""Deprecated: use :mod:`pssh.clients.native` (or :mod:`pssh.clients`)."""

from ._deprecate import warn_moved
from .clients.native.parallel import ParallelSSHClient, logger

# The name the changelog used for this client before it moved (1.2.0 - 1.5.x).
ParallelSSH2Client = ParallelSSHClient

warn_moved("pssh.pssh2_client", "pssh.clients.native")

__all__ = ["ParallelSSH2Client", "ParallelSSHClient", "logger"]
