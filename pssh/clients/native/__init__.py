"""Native clients based on ssh2-python (libssh2).

Importing these modules patches nothing (no gevent monkey patching).

Layering, from the bottom up: ``_eagain``, ``_errors``, ``_keepalive``,
``_output`` -> ``_forward`` (tunnel forwarding), ``_auth``, ``_sftp`` ->
``_scp`` -> ``_transfer`` -> ``_route`` (:class:`~._route.Router`: the socket
of each route, through shared :class:`~._route.Hop` proxy connections; the
client class is injected as a factory, so ``_route`` never imports
``single``) -> ``single`` (``SSHClient``) -> ``_proxy`` (``ProxyConnection``
from 1.8.0-style arguments) -> ``tunnel`` (``Tunnel`` thread); ``parallel``
(``ParallelSSHClient``) over ``single`` and ``_route``.
"""

import logging

from .parallel import ParallelSSHClient
from .single import SSHClient

logger = logging.getLogger(__name__)
"""The parent of every native client module's logger (1.8.0 exported a
``logger`` here): ``pssh.utils.enable_logger(logger)`` shows them all."""

__all__ = ["ParallelSSHClient", "SSHClient", "logger"]
