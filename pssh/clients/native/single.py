"""ssh2-python (libssh2) based non-blocking single host client.

Every libssh2 call runs in non-blocking mode and waits through
``pssh.clients.native._eagain``, so one gevent hub drives any number of
clients: handshakes, authentications and reads of many hosts overlap.

:class:`SSHClient` connects (socket, route, handshake, host key check) and is
composed of parts that each get the live connection
(``Connection``, described by the ``typing.Protocol`` ``SSHConnection``):
``Authenticator`` (made per connection), ``Commands``, ``SFTPTransfers`` and
``SCPTransfers`` (their modules are listed in :mod:`pssh.clients.native`).
Its documented methods are thin delegations to them, with their signatures
and documentation; no part
uses another's private methods (``tests/unit/test_composition.py``).
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from gevent import Timeout as GTimeout
from gevent.lock import RLock
from ssh2.exceptions import SSH2Error
from ssh2.session import LIBSSH2_METHOD_HOSTKEY, Session

from ...constants import DEFAULT_RETRIES, RETRY_DELAY
from ...exceptions import (
    AuthenticationException,
    ConnectionErrorException,
    HostKeyError,
    SessionError,
    Timeout,
    UnknownHostException,
)
from .._host_keys import ConfigArg, KnownHostsArg, PolicyArg
from .._route import Via
from .._settings import KEEPALIVE_DEFAULT, HostSettings, settings_for
from .._shell import InteractiveShell
from .._warn_once import warn_once
from ..base_single import BaseSSHClient, delegate
from ._auth import Authenticator
from ._auth import validate_pkey as _validate_pkey
from ._cancel import command_info as _command_info
from ._cancel import hang_up as _hang_up
from ._cancel import send_signal as _send_signal
from ._commands import Commands
from ._connection import Connection, SSHConnection, live
from ._connection import prefer_modern_algorithms as _prefer_modern_algorithms
from ._eagain import eagain
from ._errors import map_errors
from ._keepalive import start_keepalive
from ._output import ChannelOutput
from ._route import Router
from ._scp import SCPTransfers
from ._shell import open_shell as _open_shell
from ._transfer import SFTPTransfers

logger = logging.getLogger(__name__)
host_logger = logging.getLogger("pssh.host_logger")

# as in 1.8.0, except failed authentication: a retry only costs time and lockouts
_RETRY_ON = (UnknownHostException, ConnectionErrorException, Timeout, SessionError)


class SSHClient(BaseSSHClient):
    """ssh2-python (libssh2) based non-blocking SSH client.

    :param host: Host name or IP to connect to.
    :type host: str
    :param user: User to connect as. Defaults to logged in user.
    :type user: str
    :param password: Password to use for password authentication.
    :type password: str
    :param port: SSH port to connect to. Defaults to SSH default (22)
    :type port: int
    :param pkey: Private key file path to use for authentication. Path must
      be either absolute path or relative to user home directory like
      ``~/<path>``. The key's contents (``bytes``, or a ``str`` holding the
      key text) and a paramiko key object (:func:`pssh.utils.load_private_key`)
      are accepted too; they stay in memory and are named in messages by
      their fingerprint only.
    :type pkey: str or bytes or :py:class:`paramiko.pkey.PKey`
    :param num_retries: (Optional) Number of connection attempts before the
      client gives up. Defaults to 3; 0 makes one attempt. Failed
      authentication is not retried (a retry only costs time and lockouts).
    :type num_retries: int
    :param retry_delay: Number of seconds to wait between retries. Defaults
      to :py:data:`pssh.constants.RETRY_DELAY`
    :type retry_delay: int
    :param timeout: SSH session timeout setting in seconds. This controls
      timeout setting of authenticated SSH sessions: connecting, the
      handshake, authentication and opening channels each give up after it.
    :type timeout: int
    :param allow_agent: (Optional) set to False to disable connecting to
      the system's SSH agent
    :type allow_agent: bool
    :param forward_ssh_agent: (Optional) Ask for SSH agent forwarding -
      equivalent to `ssh -A` from the `ssh` command line utility.
      Defaults to ``False`` (parallel-ssh 1.8.0: ``True``): a forwarded agent
      lets anyone with root on a host sign with the user's keys while
      connected, so it is only given to hosts the caller names. The native
      client cannot carry forwarding (libssh2 cannot serve the agent
      connections the server opens, and OpenSSH drops the whole connection
      at the first use): with ``True`` it does not request it and warns once
      per host. Use the paramiko client for forwarding. See :doc:`/security`.
    :type forward_ssh_agent: bool
    :param proxy_host: Connection to host is via provided proxy host and
      client should use self.proxy_host for connection attempts.
    :type proxy_host: str
    :param known_hosts: (Optional, keyword) ``known_hosts`` file, or files,
      to check the host's key against; new keys are recorded in the first.
      Defaults to ``UserKnownHostsFile`` from the OpenSSH configuration, else
      ``~/.ssh/known_hosts``, plus ``/etc/ssh/ssh_known_hosts``.
    :type known_hosts: str or list(str)
    :param host_key_policy: (Optional, keyword) ``'strict'`` (an unknown or
      changed key fails), ``'accept-new'`` (an unknown key is recorded, a
      changed key fails) or ``'off'`` (no check). Defaults to
      ``StrictHostKeyChecking`` from the OpenSSH configuration (where ``no``
      means ``'accept-new'``: only this argument can turn checking off), else
      ``'accept-new'``. See :doc:`/security`.
    :type host_key_policy: str
    :param ssh_config: (Optional, keyword) OpenSSH client configuration file
      to read, or ``'none'`` for none. Defaults to ``~/.ssh/config`` then
      ``/etc/ssh/ssh_config``. Its ``HostName``, ``User``, ``Port``,
      ``IdentityFile``, ``IdentitiesOnly``, ``ProxyJump``, ``ConnectTimeout``,
      ``ServerAliveInterval``, ``StrictHostKeyChecking``,
      ``UserKnownHostsFile``, ``HashKnownHosts``, ``HostKeyAlias`` and
      ``ProxyCommand`` apply (options that change where or how ``ssh``
      connects but are not supported are logged as a warning once per host);
      the arguments given here win over it.
    :type ssh_config: str

    :raises: :py:class:`pssh.exceptions.PKeyFileError` on errors finding
      provided private key.
    :raises: :py:class:`pssh.exceptions.HostKeyError` (one of its
      subclasses) when the host's key is refused; it is not retried.
    :raises: :py:class:`ValueError` for an unknown ``host_key_policy``.

    Keyword-only, from parallel-ssh 2.x (as :class:`pssh.config.HostConfig`;
    :doc:`/parallel-ssh-2x`): ``alias``, ``keepalive_seconds`` (default 60,
    else ``ServerAliveInterval``; 0: none), ``identity_auth``, ``ipv6_only``,
    ``compress``, ``keyboard_interactive`` (:py:class:`ValueError` without a password).
    """

    def __init__(
        self,
        host: str,
        user: str | None = None,
        password: str | None = None,
        port: int | None = None,
        pkey: str | bytes | None = None,
        num_retries: int = DEFAULT_RETRIES,
        retry_delay: float = RETRY_DELAY,
        allow_agent: bool = True,
        timeout: float | None = None,
        forward_ssh_agent: bool = False,
        proxy_host: str | None = None,
        _auth_thread_pool: bool = True,
        *,
        known_hosts: KnownHostsArg = None,
        host_key_policy: PolicyArg = None,
        ssh_config: ConfigArg = None,
        alias: str | None = None,
        keepalive_seconds: int | None = KEEPALIVE_DEFAULT,
        identity_auth: bool = True,
        ipv6_only: bool = False,
        compress: bool = False,
        keyboard_interactive: bool = False,
        _settings: HostSettings | None = None,
        _router: Router | None = None,
    ) -> None:
        settings = _settings or settings_for(host, HostSettings.given(
            user=user, password=password, port=port, pkey=pkey, num_retries=num_retries,
            retry_delay=retry_delay, allow_agent=allow_agent, timeout=timeout,
            forward_ssh_agent=forward_ssh_agent, tunnel_address=proxy_host,
            known_hosts=known_hosts, host_key_policy=host_key_policy, ssh_config=ssh_config,
            alias=alias, identity_auth=identity_auth, ipv6_only=ipv6_only, compress=compress,
            keyboard_interactive=keyboard_interactive,
            keepalive_seconds=keepalive_seconds, keepalive_default=KEEPALIVE_DEFAULT,
        ))  # fmt: skip
        self.settings = settings
        """The host's settings (``HostSettings``, ``pssh.clients._settings``), route included."""
        cfg = settings.resolved
        route = settings.route
        super().__init__(
            host, user=cfg.user, password=settings.password, port=cfg.port,
            pkey=_validate_pkey(settings.pkey), num_retries=settings.num_retries,
            retry_delay=settings.retry_delay, allow_agent=settings.allow_agent,
            timeout=settings.timeout, forward_ssh_agent=settings.forward_ssh_agent,
            proxy_host=route.proxy.host if isinstance(route, Via) else settings.tunnel_address,
        )  # fmt: skip
        self.alias = settings.alias
        """The host's name in output, if given (parallel-ssh 2.x ``alias``)."""
        self.hostname = cfg.hostname
        """Address connected to (``HostName`` from the OpenSSH config, or ``host``)."""
        self.ssh_host_config = cfg
        """The host's OpenSSH configuration (``HostConfig`` of ``pssh._ssh_config``,
        not :class:`pssh.config.HostConfig`)."""
        self.host_keys = settings.host_key_checker()
        """How the host's key is verified (``HostKeyChecker``, ``pssh.clients._host_keys``)."""
        self._keepalive: Any = None
        # the proxy and ProxyJump connections: a parallel client's (shared), else our own
        self._router = _router if _router is not None else Router(SSHClient)
        self._own_router = _router is None
        self._proxy_command = settings.proxy_command()
        self.session: Any = None
        self.sock: Any = None
        self._io: Any = None
        self._open_lock = RLock()
        self._agent_forwarded = False
        # Output state per channel, until read (or dropped, for a command)
        self._outputs: dict[int, ChannelOutput] = {}
        self._dropped: list[Any] = []  # channels of dropped output, to close
        try:
            self._init()
        except BaseException:
            self._close_jumps()
            raise

    # -- connection -------------------------------------------------------

    def _init(self) -> None:
        # a refused host key or failed authentication is final: no retry can change it
        self.retry.call(
            self._connect_once,
            retry_on=_RETRY_ON,
            give_up_on=(HostKeyError, AuthenticationException),
        )

    def _connect_once(self) -> None:
        self.sock = self._open_socket()
        try:
            self.session = Session()
            self.session.set_blocking(False)
            self._agent_forwarded = False
            _prefer_modern_algorithms(self.session, self.settings.compress)
            self._prefer_host_key_algorithms()
            self._connected()
            with map_errors(self.host, "performing SSH handshake", port=self.port):
                self._eagain(self.session.handshake, self.sock, timeout=self._connect_timeout)
            self._check_host_key()
            self.auth()
        except BaseException as exc:
            failed = self._proxy_command.failure(exc) if self._proxy_command else None
            self._close_socket()
            if failed is not None and isinstance(exc, Exception):
                raise failed from exc
            raise
        interval = self.settings.keepalive_interval
        if interval:
            self._keepalive = start_keepalive(self, interval)

    @property
    def _connect_timeout(self) -> float | None:
        # ``timeout`` if given, else ConnectTimeout from the OpenSSH config
        return self.settings.connect_timeout

    def _open_socket(self) -> Any:
        """A connected socket for one connection attempt: to ``proxy_host``
        (when given) or ``hostname``, at ``port``, or through the
        ``ProxyJump`` hops of the OpenSSH config. A subclass may return
        another socket-like object with a ``fileno()``, e.g. one end of a
        tunnel through a proxy (:mod:`pssh.clients.native.tunnel`)."""
        return self._router.open(self.settings, self._connect_timeout, self._proxy_command)

    def _prefer_host_key_algorithms(self) -> None:
        # Offer the types of the keys recorded for the host first, as ssh does.
        supported = self.session.supported_algs(LIBSSH2_METHOD_HOSTKEY)
        algorithms = self.host_keys.algorithms(supported)
        if algorithms:
            self.session.method_pref(LIBSSH2_METHOD_HOSTKEY, ",".join(algorithms))

    def _check_host_key(self) -> None:
        """Verify the key the host presented, before any credential is sent
        (see :doc:`/security`).

        :raises: :py:class:`pssh.exceptions.HostKeyError` (a subclass).
        """
        key_blob, _key_type = self.session.hostkey()
        self.host_keys.check(key_blob)

    def _close_socket(self) -> None:
        # Shut the connection down but leave closing the descriptor to the
        # garbage collector: libssh2 objects still alive (channels held in
        # users' output) may write to it when freed, and a descriptor number
        # closed now could by then belong to another host's connection.
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._keepalive is not None:
            self._keepalive.kill(block=False)
            self._keepalive = None
        if self._proxy_command is not None:
            self._proxy_command.stop()
        self.sock = None
        self.session = None
        self._attach(None)

    def disconnect(self) -> None:
        """Disconnect session, close socket if needed."""
        session, sock = self.session, self.sock
        if session is not None and sock is not None:
            try:
                with GTimeout(self.timeout or 5):
                    eagain(session, sock, session.disconnect)
            except (GTimeout, SSH2Error, OSError) as exc:
                logger.debug("Ignoring error disconnecting from %s: %s", self.host, exc)
        self._outputs.clear()
        self._dropped.clear()
        self._close_socket()
        self._close_jumps()

    def _close_jumps(self) -> None:
        # the ProxyJump connections this client made for itself, last hop first
        if self._own_router:
            self._router.close()

    @property
    def _jumps(self) -> dict:
        # the ProxyJump connections of this client's router, by hops
        return dict(self._router.connections)

    def __enter__(self) -> SSHClient:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.disconnect()

    # -- parts ------------------------------------------------------------

    # Made at the first connection (see _connected), kept across reconnects.
    connection: Connection | None = None
    """The live connection (``Connection``, ``pssh.clients.native._connection``), or ``None``."""
    commands: Commands
    """Commands and their output (``Commands``, ``pssh.clients.native._commands``)."""
    sftp_transfers: SFTPTransfers
    """SFTP copies (``SFTPTransfers``, ``pssh.clients.native._transfer``)."""
    scp_transfers: SCPTransfers
    """SCP copies (``SCPTransfers``, ``pssh.clients.native._scp``)."""

    def _connected(self) -> None:
        # A new session and socket, about to handshake: hand them to every part.
        if "commands" not in self.__dict__:
            self.commands = Commands(self.host, self.open_session, self._outputs, self._dropped)
            self.sftp_transfers = SFTPTransfers(self.host)
            self.scp_transfers = SCPTransfers(self.host, self.sftp_transfers)
        self._attach(
            Connection(self.host, self.port, self.session, self.sock, self.timeout, self._open_lock)
        )

    def _attach(self, conn: Connection | None) -> None:
        self.connection = conn
        if "commands" in self.__dict__:
            self.commands.attach(conn)
            self.sftp_transfers.attach(conn)
            self.scp_transfers.attach(conn)

    def _eagain(self, func: Any, *args: Any, timeout: float | None = None) -> Any:
        return self._live().eagain(func, *args, timeout=timeout)  # the handshake's wait

    def _live(self) -> SSHConnection:
        return live(self.connection, self.host)

    def auth(self) -> None:
        """Authenticate: the given key (path or contents), else the SSH agent
        (unless ``IdentitiesOnly`` is set in the OpenSSH config) and the
        config's ``IdentityFile`` files or, when none is configured, the
        default identities under ``~/.ssh``; then the password, if one was
        given.

        :raises: :py:class:`pssh.exceptions.AuthenticationException` when
          no method succeeds, naming the methods tried.
        """
        Authenticator(
            self._live(), self.user, self.password, self.pkey, self.allow_agent,
            self.ssh_host_config, identity_auth=self.settings.identity_auth,
            keyboard_interactive=self.settings.keyboard_interactive,
        ).auth()  # fmt: skip

    # -- channels ---------------------------------------------------------

    def open_session(self) -> Any:
        """Open new channel from session.

        :rtype: :py:class:`ssh2.channel.Channel`
        """
        conn = self._live()
        with self._open_lock:
            self.commands.close_dropped()
            try:
                try:
                    with map_errors(self.host, "opening a channel"):
                        channel = conn.open(conn.session.open_session)
                except SessionError:
                    # Refused (MaxSessions) while channels of dropped output
                    # are still closing: wait for them, then try once more.
                    if not self.commands.dropped:
                        raise
                    self.commands.close_dropped(wait=True)
                    with map_errors(self.host, "opening a channel"):
                        channel = conn.open(conn.session.open_session)
            except ConnectionErrorException as exc:
                # The session is dead (server gone): as 1.8.0 did, say so
                # with SessionError, and forget the session so that the
                # next use connects again instead of failing the same way.
                self._close_socket()
                raise SessionError(
                    "Error opening a channel on host %s: the session is no longer connected"
                    " - %s", self.host, exc, host=self.host,
                ) from exc  # fmt: skip
            if self.forward_ssh_agent and not self._agent_forwarded:
                self._agent_forwarded = True
                warn_once(
                    logger, ("agent-forwarding", self.host),
                    "Not forwarding the SSH agent to %s: forward_ssh_agent=True is not "
                    "supported by the native client (libssh2 cannot serve the agent "
                    "connections the server opens, and the server would drop the "
                    "connection at the first use); use pssh.clients.miko for agent "
                    "forwarding", self.host,
                )  # fmt: skip
        return channel

    # Thin delegations to the parts: same signatures and documentation.
    execute = delegate("commands", Commands.execute)
    run_command = delegate("commands", Commands.run_command)
    output_streams = delegate("commands", Commands.output_streams)
    read_output = delegate("commands", Commands.read_output)
    read_stderr = delegate("commands", Commands.read_stderr)
    wait_finished = delegate("commands", Commands.wait_finished)
    close_channel = delegate("commands", Commands.close_channel)
    get_exit_status = delegate("commands", Commands.get_exit_status)
    finished = delegate("commands", Commands.finished)
    command_info = delegate("commands", _command_info)
    send_signal = delegate("commands", _send_signal)
    hang_up = delegate("commands", _hang_up)
    _make_sftp = delegate("sftp_transfers", SFTPTransfers.make_sftp)
    mkdir = delegate("sftp_transfers", SFTPTransfers.mkdir)
    copy_file = delegate("sftp_transfers", SFTPTransfers.copy_file)
    copy_remote_file = delegate("sftp_transfers", SFTPTransfers.copy_remote_file)
    scp_send = delegate("scp_transfers", SCPTransfers.scp_send)
    scp_recv = delegate("scp_transfers", SCPTransfers.scp_recv)

    def open_shell(
        self, encoding: str = "utf-8", read_timeout: float | None = None
    ) -> InteractiveShell:
        """Open an interactive login shell on a new channel (parallel-ssh 2.x): its
        ``run(cmd)`` commands run in order in that one shell, sharing its state; closing it
        (or leaving its ``with`` block) waits for it to exit. See :doc:`/advanced`.

        :param encoding: Encoding of the commands written and of the output.
        :param read_timeout: (Optional) Seconds without output after which reading
          ``stdout``/``stderr`` raises :py:class:`pssh.exceptions.Timeout`.
        :rtype: :py:class:`pssh.clients._shell.InteractiveShell`
        :raises: :py:class:`pssh.exceptions.SessionError` naming the host when no channel
          or shell can be opened."""
        return _open_shell(self.commands, encoding, read_timeout)
