# gevent monkey patching comes first, before anything else is imported: paramiko only does
# blocking I/O, and the patched standard library turns it into cooperative gevent I/O.
# This package is the only place pssh patches anything (the native clients never do).
# Layering: _errors -> _output, _sftp -> single (SSHClient) -> parallel (ParallelSSHClient).
"""Paramiko based clients.

Importing this package (or :mod:`pssh.pssh_client` / :mod:`pssh.ssh_client`)
monkey patches the Python standard library with gevent. Import it before
anything else in your program.
"""

from gevent import monkey

monkey.patch_all()

from .parallel import ParallelSSHClient
from .single import SSHClient

__all__ = ["ParallelSSHClient", "SSHClient"]
