# Native (ssh2-python / libssh2) clients. Layering: _eagain, _errors, _output
# -> single (SSHClient) and tunnel -> parallel (ParallelSSHClient).
# Importing these modules patches nothing (no gevent monkey patching).
"""Native clients based on ssh2-python (libssh2)."""

import logging

from .parallel import ParallelSSHClient
from .single import SSHClient

logger = logging.getLogger(__name__)
"""The parent of every native client module's logger (1.8.0 exported a
``logger`` here): ``pssh.utils.enable_logger(logger)`` shows them all."""

__all__ = ["ParallelSSHClient", "SSHClient", "logger"]
