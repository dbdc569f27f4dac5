# Native (ssh2-python / libssh2) clients. Layering: _eagain, _errors, _output
# -> single (SSHClient) and tunnel -> parallel (ParallelSSHClient).
# Importing these modules patches nothing (no gevent monkey patching).
"""Native clients based on ssh2-python (libssh2)."""

from .parallel import ParallelSSHClient
from .single import SSHClient

__all__ = ["ParallelSSHClient", "SSHClient"]
