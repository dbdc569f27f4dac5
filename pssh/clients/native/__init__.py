"""Native clients based on ssh2-python (libssh2).

Importing these modules patches nothing (no gevent monkey patching).

Layering, from the bottom up: ``_eagain``, ``_errors``, ``_keepalive`` ->
``_connection`` (the live connection, described by the ``typing.Protocol``
``SSHConnection``, that the client's parts share) -> the parts: ``_auth``,
``_output`` -> ``_commands``, ``_sftp`` -> ``_transfer`` (SFTP) -> ``_scp``;
``_forward`` (tunnel forwarding) -> ``_route`` (``Router``: the
socket of each route, through shared ``Hop`` proxy connections;
the client class is injected as a factory, so ``_route`` never imports
``single``) -> ``single`` (``SSHClient``: connects, hands the connection to
its parts and delegates its documented methods to them) -> ``_proxy``
(``ProxyConnection`` from 1.8.0-style arguments) -> ``tunnel`` (``Tunnel``
thread); ``parallel`` (``ParallelSSHClient``) over ``single`` and ``_route``.
"""

import logging

from .parallel import ParallelSSHClient
from .single import SSHClient

logger = logging.getLogger(__name__)
"""The parent of every native client module's logger (1.8.0 exported a
``logger`` here): ``pssh.utils.enable_logger(logger)`` shows them all."""

__all__ = ["ParallelSSHClient", "SSHClient", "logger"]
