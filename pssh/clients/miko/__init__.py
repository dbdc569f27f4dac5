# gevent monkey patching comes first, before anything else is imported: paramiko only does
# blocking I/O, and the patched standard library turns it into cooperative gevent I/O.
# This package is the only place pssh patches anything (the native clients never do).
"""Paramiko based clients.

Importing this package (or :mod:`pssh.pssh_client` / :mod:`pssh.ssh_client`)
monkey patches the Python standard library with gevent. Import it before
anything else in your program.

Layering: ``_errors`` -> ``_output``, ``_sftp``; ``_forward``; ``_options``;
``_proxies`` -> ``_connect`` (socket, route, login) -> ``single``
(``SSHClient``; a ``proxy_host`` or ``ProxyJump`` hop is another
``SSHClient`` made from the hop's settings, which its route gives)
-> ``parallel`` (``ParallelSSHClient``).
"""

from gevent import monkey

monkey.patch_all()

import logging  # noqa: E402

from .parallel import ParallelSSHClient  # noqa: E402
from .single import SSHClient  # noqa: E402

logger = logging.getLogger(__name__)
"""The parent of every paramiko client module's logger (1.8.0 exported a
``logger`` here): ``pssh.utils.enable_logger(logger)`` shows them all."""

__all__ = ["ParallelSSHClient", "SSHClient", "logger"]
