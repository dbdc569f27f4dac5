# pssh.clients: the default clients are the native ones.
# base_single / base_pssh -> native.* and miko.* -> this facade.
"""SSH clients. ``from pssh.clients import ParallelSSHClient`` gives the
native (ssh2-python / libssh2) parallel client."""

import logging

from .native import ParallelSSHClient, SSHClient

logger = logging.getLogger(__name__)
"""The parent of every client module's logger."""

__all__ = ["ParallelSSHClient", "SSHClient", "logger"]
