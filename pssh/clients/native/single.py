"""ssh2-python (libssh2) based non-blocking single host client.

Every libssh2 call runs in non-blocking mode and waits through
:mod:`pssh.clients.native._eagain`, so one gevent hub drives any number of
clients: handshakes, authentications and reads of many hosts overlap.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import weakref
from collections.abc import Iterator
from typing import Any

from gevent import Timeout as GTimeout
from gevent.lock import RLock
from ssh2.exceptions import SSH2Error
from ssh2.session import (
    LIBSSH2_METHOD_CRYPT_CS,
    LIBSSH2_METHOD_CRYPT_SC,
    LIBSSH2_METHOD_HOSTKEY,
    LIBSSH2_METHOD_KEX,
    Session,
)

from ..._keys import is_paramiko_key, key_name, looks_like_key_text, to_openssh_pem
from ...constants import DEFAULT_RETRIES, RETRY_DELAY
from ...exceptions import (
    AuthenticationException,
    ConnectionErrorException,
    HostKeyError,
    PKeyFileError,
    SessionError,
    Timeout,
    UnknownHostException,
)
from .._host_keys import ConfigArg, KnownHostsArg, PolicyArg
from .._lines import bomless, codec_name
from .._route import Via
from .._settings import HostSettings, settings_for
from .._warn_once import warn_once
from ..base_single import BaseSSHClient, Holders, make_command
from ._auth import AuthMixin
from ._eagain import SessionIO, eagain, is_eagain
from ._errors import map_errors
from ._keepalive import start_keepalive
from ._output import CHUNK, ChannelOutput, Stdin, StreamState
from ._route import Router
from ._transfer import TransferMixin

logger = logging.getLogger(__name__)
host_logger = logging.getLogger("pssh.host_logger")

_POLL_CHUNKS = 16  # most output a non-waiting exit status check takes in, per stream

# as in 1.8.0, except failed authentication: a retry only costs time and lockouts
_RETRY_ON = (UnknownHostException, ConnectionErrorException, Timeout, SessionError)


# Algorithms offered, best first. AES-GCM has hardware support on today's CPUs
# (twice chacha20's throughput here, at half the CPU); CBC, arcfour, 3DES and
# SHA-1 key exchanges are not offered at all.
_CIPHERS = (
    "aes128-gcm@openssh.com,aes256-gcm@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,"
    "chacha20-poly1305@openssh.com"
)
_KEX = (
    "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,"
    "ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,"
    "diffie-hellman-group18-sha512,diffie-hellman-group14-sha256"
)


def _prefer_modern_algorithms(session: Any) -> None:
    for method, pref in (
        (LIBSSH2_METHOD_CRYPT_CS, _CIPHERS),
        (LIBSSH2_METHOD_CRYPT_SC, _CIPHERS),
        (LIBSSH2_METHOD_KEX, _KEX),
    ):
        session.method_pref(method, pref)


def _queued(channel: Any) -> bool:
    """Whether libssh2 already holds data (or the end) of ``channel``'s
    streams: a read of one stream, or of another channel, takes every packet
    waiting on the socket into libssh2's queue, so the socket can be empty
    while there is output to read - waiting on it then could wait forever."""
    return channel.poll_channel_read(1) > 0 or bool(channel.eof())


def _validate_pkey(pkey: Any) -> Any:
    """The key as the native client uses it: a path (``~`` expanded, must
    exist) or the key's contents as ``bytes``. A paramiko key object (from
    :func:`pssh.utils.load_private_key`, as 1.8.0's docs show) is exported
    in memory to an OpenSSH private key text, and key text given as a
    ``str`` is taken as contents; neither is ever written to a file.

    :raises: :py:class:`pssh.exceptions.PKeyFileError` - naming a key given
      in memory by its fingerprint only, never by its contents."""
    if pkey is None or isinstance(pkey, (bytes, bytearray)):
        return bytes(pkey) if pkey is not None else None
    if is_paramiko_key(pkey):
        try:
            return to_openssh_pem(pkey)
        except TypeError as exc:
            raise PKeyFileError("Cannot use private key: %s", exc) from None
    if isinstance(pkey, str) and looks_like_key_text(pkey):
        if "PRIVATE KEY-----" in pkey:
            return pkey.encode("utf-8")
        raise PKeyFileError("No such private key file (%s, not a file path)", key_name(pkey))
    if not isinstance(pkey, (str, os.PathLike)):
        raise PKeyFileError(
            "Private key must be a file path, the key's contents or a paramiko key, got %r",
            type(pkey).__name__,
        )
    path = os.path.expanduser(os.fspath(pkey))
    if not os.path.isfile(path):
        raise PKeyFileError("No such private key file %s", path)
    return path


def _output_dropped(client_ref: Any, out: ChannelOutput) -> None:
    """Every generator (and the stdin) of a command is gone: forget its
    output; a channel not yet closed is closed by the client before it next
    opens one (never here: this runs from the garbage collector, possibly in
    the middle of another libssh2 call)."""
    client = client_ref()
    if client is None:
        return
    if client._outputs.get(id(out.channel)) is out:
        del client._outputs[id(out.channel)]
    if not out.closed and client.session is not None:
        client._dropped.append(out.channel)


class SSHClient(AuthMixin, TransferMixin, BaseSSHClient):
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
      to :py:class:`pssh.constants.RETRY_DELAY`
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
        _settings: HostSettings | None = None,
        _router: Router | None = None,
    ) -> None:
        settings = _settings or settings_for(host, HostSettings.given(
            user=user, password=password, port=port, pkey=pkey, num_retries=num_retries,
            retry_delay=retry_delay, allow_agent=allow_agent, timeout=timeout,
            forward_ssh_agent=forward_ssh_agent, tunnel_address=proxy_host,
            known_hosts=known_hosts, host_key_policy=host_key_policy, ssh_config=ssh_config,
        ))  # fmt: skip
        self.settings = settings
        """The host's settings (:class:`pssh.clients._settings.HostSettings`), route included."""
        cfg = settings.resolved
        route = settings.route
        super().__init__(
            host, user=cfg.user, password=settings.password, port=cfg.port,
            pkey=_validate_pkey(settings.pkey), num_retries=settings.num_retries,
            retry_delay=settings.retry_delay, allow_agent=settings.allow_agent,
            timeout=settings.timeout, forward_ssh_agent=settings.forward_ssh_agent,
            proxy_host=route.proxy.host if isinstance(route, Via) else settings.tunnel_address,
        )  # fmt: skip
        self.hostname = cfg.hostname
        """Address connected to (``HostName`` from the OpenSSH config, or ``host``)."""
        self.ssh_host_config = cfg
        """The host's OpenSSH configuration (:class:`pssh._ssh_config.HostConfig`)."""
        self.host_keys = settings.host_key_checker()
        """How the host's key is verified (:class:`pssh.clients._host_keys.HostKeyChecker`)."""
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
            _prefer_modern_algorithms(self.session)
            self._prefer_host_key_algorithms()
            self._io = SessionIO(self.session, self.sock)
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
        interval = self.ssh_host_config.server_alive_interval
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
        self._io = None

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

    # -- waiting ----------------------------------------------------------

    def _eagain(self, func: Any, *args: Any, timeout: float | None = None) -> Any:
        try:
            return self._io.eagain(func, *args, timeout=timeout)
        except Timeout as exc:
            raise Timeout(
                "Timed out on host %s:%s - %s",
                self.host,
                self.port,
                "no reply within %s seconds" % timeout,
                host=self.host,
            ) from exc

    def _open(self, func: Any, *args: Any) -> Any:
        """Run one of libssh2's session-level openers (a channel, SFTP, SCP,
        a direct-tcpip forward) to completion. libssh2 keeps the state of an
        open in progress per session, not per caller, so greenlets sharing
        this client take turns (else two callers get the same channel)."""
        with self._open_lock:
            return self._eagain(func, *args, timeout=self.timeout)

    def _require_session(self) -> None:
        if self.session is None:
            raise SessionError("Client for host %s is disconnected", self.host, host=self.host)

    # -- channels and commands --------------------------------------------

    def open_session(self) -> Any:
        """Open new channel from session.

        :rtype: :py:class:`ssh2.channel.Channel`
        """
        self._require_session()
        with self._open_lock:
            self._close_dropped()
            try:
                try:
                    with map_errors(self.host, "opening a channel"):
                        channel = self._open(self.session.open_session)
                except SessionError:
                    # Refused (MaxSessions) while channels of dropped output
                    # are still closing: wait for them, then try once more.
                    if not self._dropped:
                        raise
                    self._close_dropped(wait=True)
                    with map_errors(self.host, "opening a channel"):
                        channel = self._open(self.session.open_session)
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

    def _close_dropped(self, wait: bool = False) -> None:
        """Close the channels of commands whose output the user dropped
        (every generator gone) before it ended, so that they do not count
        against the server's ``MaxSessions``. A finished command's channel is
        closed completely; a running one is sent our close without waiting
        (the server closes it when the command exits), and checked again
        next time - or, with ``wait``, waited for (``timeout``, else 10
        seconds, each)."""
        dropped, self._dropped = self._dropped, []
        if self.session is None:
            return
        for channel in dropped:
            try:
                with map_errors(self.host, "closing a dropped channel"):
                    for read in (channel.read, channel.read_stderr):
                        while self._io.try_read(read, CHUNK):  # output nobody will read
                            pass
                    if wait or channel.eof():
                        self._eagain(channel.close, timeout=self.timeout or 10)
                        continue
                    if is_eagain(self._io.call(channel.close)):
                        self._dropped.append(channel)  # not closed by the server yet
            except Timeout:
                self._dropped.append(channel)  # still running: next time
            except (SessionError, ConnectionErrorException) as exc:
                logger.debug("Could not close a dropped channel on %s: %s", self.host, exc)

    def execute(self, cmd: str, use_pty: bool = False, channel: Any = None) -> Any:
        """Execute command on remote server.

        :param cmd: Command to execute.
        :type cmd: str
        :param use_pty: Whether or not to obtain a PTY on the channel.
        :type use_pty: bool
        :param channel: Use provided channel for execute rather than creating
          a new one.
        :type channel: :py:class:`ssh2.channel.Channel`
        :rtype: :py:class:`ssh2.channel.Channel`
        """
        channel = self.open_session() if channel is None else channel
        with map_errors(self.host, "executing command"):
            if use_pty:
                self._eagain(channel.pty, timeout=self.timeout)
            self._eagain(channel.execute, cmd, timeout=self.timeout)
        return channel

    def run_command(
        self,
        command: str,
        sudo: bool = False,
        user: str | None = None,
        use_pty: bool = False,
        shell: str | None = None,
        encoding: str = "utf-8",
        timeout: float | None = None,
        *,
        max_line_length: int | None = None,
    ) -> tuple[Any, str, Iterator[str], Iterator[str], Stdin]:
        """Run remote command.

        :param command: Command to run.
        :type command: str
        :param sudo: Run command via sudo as super-user.
        :type sudo: bool
        :param user: Run command as user via sudo
        :type user: str
        :param use_pty: Whether or not to obtain a PTY on the channel.
        :type use_pty: bool
        :param shell: (Optional) Override shell to use to run command with.
          Defaults to login user's defined shell. Use the shell's command
          syntax, eg `shell='bash -c'` or `shell='zsh -c'`.
        :type shell: str
        :param encoding: Encoding to use for output. Must be valid
          `Python codec <https://docs.python.org/library/codecs.html>`_
        :type encoding: str
        :param timeout: (Optional) Seconds without output after which reading
          stdout or stderr raises :py:class:`pssh.exceptions.Timeout`.
        :type timeout: float
        :param max_line_length: (Optional, keyword only) Longest line, in
          characters, handed out whole; a longer line comes as several lines
          of this length, so that output without newlines cannot fill memory.
          Defaults to :data:`pssh.clients._lines.MAX_LINE_LENGTH` (64 MiB).
        :type max_line_length: int

        When both ``stdout`` and ``stderr`` have been read to their end, the
        command has finished: its channel is closed and its exit code is
        available (:py:meth:`get_exit_status`). Output that is dropped
        unread (every generator gone) closes its channel too.

        :rtype: (channel, host, stdout, stderr, stdin) tuple.
        """
        codec_name(encoding)  # an unknown codec fails here, before anything runs
        channel = self.execute(make_command(command, sudo, user, shell), use_pty=use_pty)
        out = ChannelOutput(channel, encoding, timeout, max_line_length)
        self._outputs[id(channel)] = out
        out.holders = Holders(functools.partial(_output_dropped, weakref.ref(self), out))
        stdout = out.holders.hold(self._iter_lines(out, out.stdout, timeout))
        stderr = out.holders.hold(self._iter_lines(out, out.stderr, timeout))
        stdin = out.holders.hold(Stdin(self, channel, encoding))
        return channel, self.host, stdout, stderr, stdin

    def _lookup(self, channel: Any) -> ChannelOutput | None:
        out = self._outputs.get(id(channel))
        return out if out is not None and out.channel is channel else None

    def _output_of(self, channel: Any, encoding: str | None = None) -> ChannelOutput:
        """The output state of ``channel``; for a channel not started by
        :py:meth:`run_command` (:py:meth:`execute`), made here, reading
        ``encoding`` lines (``None``: bytes)."""
        out = self._lookup(channel)
        if out is None:
            out = self._outputs[id(channel)] = ChannelOutput(channel, encoding)
        return out

    def output_streams(
        self, channel: Any, timeout: float | None = None, *, keep_timeout: bool = True
    ) -> tuple[Iterator[str], Iterator[str]]:
        """Fresh stdout and stderr line generators for ``channel``, resuming
        where earlier ones stopped (used to restart output after a timeout).

        :param timeout: Read timeout of the new generators; ``None`` keeps the
          command's own when ``keep_timeout``, else means no timeout.
        """
        out = self._output_of(channel, "utf-8")
        if timeout is None and keep_timeout:
            timeout = out.timeout
        stdout = self._text_lines(out, out.stdout, timeout)
        stderr = self._text_lines(out, out.stderr, timeout)
        if out.holders is not None:
            out.holders.hold(stdout)
            out.holders.hold(stderr)
        return stdout, stderr

    def _text_lines(
        self, out: ChannelOutput, stream: StreamState, timeout: float | None
    ) -> Iterator[str]:
        lines = self._iter_lines(out, stream, timeout)
        if out.encoding is None:  # a channel read as bytes so far
            return (line.decode("utf-8", "replace") for line in lines)
        return lines

    def _byte_lines(
        self, out: ChannelOutput, stream: StreamState, timeout: float | None
    ) -> Iterator[bytes]:
        lines = self._iter_lines(out, stream, timeout)
        if out.encoding is not None:  # a command's channel: lines were decoded
            codec = bomless(out.encoding)
            return (line.encode(codec) for line in lines)
        return lines

    def read_output(self, channel: Any, timeout: float | None = None) -> Iterator[bytes]:
        """Read standard output buffer from channel.

        A generator of the output's lines as ``bytes``, without their line
        endings, as 1.8.0 gave them: decode them with
        :py:meth:`read_output_buffer`. For a channel of :py:meth:`run_command`
        the lines are its decoded lines encoded again with its encoding.

        :param channel: Channel to read output from.
        :type channel: :py:class:`ssh2.channel.Channel`
        :param timeout: Seconds without output before
          :py:class:`pssh.exceptions.Timeout` is raised.
        """
        out = self._output_of(channel)
        return self._byte_lines(out, out.stdout, timeout)

    def read_stderr(self, channel: Any, timeout: float | None = None) -> Iterator[bytes]:
        """Read standard error buffer from channel: lines as ``bytes``, as
        :py:meth:`read_output`.

        :param channel: Channel to read output from.
        :type channel: :py:class:`ssh2.channel.Channel`
        """
        out = self._output_of(channel)
        return self._byte_lines(out, out.stderr, timeout)

    def _iter_lines(
        self, out: ChannelOutput, stream: StreamState, timeout: float | None
    ) -> Iterator[Any]:
        # One chunk's lines at a time through the stream's shared iterator:
        # ``yield from`` hands each line out without running any bytecode here.
        host = self.host
        log = host_logger.info if host_logger.isEnabledFor(logging.INFO) else None
        while True:
            lines = stream.current
            if lines is not None:
                if log is None:
                    yield from lines
                else:
                    for line in lines:
                        log("[%s]\t%s", host, line)
                        yield line
                if stream.current is lines:
                    stream.current = None
                continue
            if stream.next_lines():
                continue
            if stream.closed:
                self._complete(out, timeout)
                self._release(out)
                return
            stream.take(self._read_chunk(out, stream, timeout))

    def _read_chunk(self, out: ChannelOutput, stream: StreamState, timeout: float | None) -> bytes:
        """The next chunk of ``stream``. While it has nothing, what the other
        stream has is kept for its reader: a command blocked writing a stream
        nobody reads yet (stderr, while the user reads stdout to the end)
        would otherwise never finish the one being read."""
        if self.session is None:
            return b""
        other = out.stderr if stream is out.stdout else out.stdout

        def meanwhile() -> bool:
            if other.done:
                return False
            data = self._io.try_read(other.read, CHUNK)
            if data is None:
                # That read may have taken this stream's data off the socket
                # into libssh2's queue: then try again rather than wait.
                return _queued(out.channel)
            other.take(data)
            return True

        try:
            with map_errors(self.host, "reading output"):
                return self._io.read(stream.read, CHUNK, timeout, meanwhile)
        except Timeout:
            raise Timeout(
                "No output from host %s for %s seconds", self.host, timeout, host=self.host
            ) from None

    def _write(self, channel: Any, data: bytes) -> None:
        with map_errors(self.host, "writing to stdin"):
            for start in range(0, len(data), CHUNK):
                self._io.write(channel.write, data[start : start + CHUNK])

    def _send_eof(self, channel: Any) -> None:
        out = self._lookup(channel)
        if out is not None and (out.closed or out.closing):
            return  # the command has ended: closing its channel sends EOF
        with map_errors(self.host, "closing stdin"):
            self._eagain(channel.send_eof)

    # -- completion -------------------------------------------------------

    def _complete(self, out: ChannelOutput, timeout: float | None) -> None:
        """A stream was read to its end, which is the channel's end: finish
        the command (what is left of the other stream is kept for its
        reader), close the channel and keep its exit status, so that reading
        output is all a caller needs to do before asking for the exit code.
        A command that ended its output but not itself within ``timeout``
        keeps running; its exit code comes later."""
        if out.closed or self.session is None:
            return
        out.closing = True
        try:
            self._finish(out.channel, keep_output=True, timeout=timeout)
        except Timeout:
            logger.debug("Command on %s ended its output but is still running", self.host)
        finally:
            out.closing = False

    def wait_finished(self, channel: Any, timeout: float | None = None) -> None:
        """Wait for EOF from channel and close channel.

        Used to wait for remote command completion and be able to gather
        exit code. Output not yet read is kept for the output generators.

        :param channel: The channel to use.
        :type channel: :py:class:`ssh2.channel.Channel`
        :param timeout: Seconds to wait at most.
        :raises: :py:class:`pssh.exceptions.Timeout` when the command has not
          finished within ``timeout`` seconds.
        """
        self._finish(channel, keep_output=True, timeout=timeout)

    def _finish(self, channel: Any, keep_output: bool, timeout: float | None) -> None:
        if channel is None or self.session is None:
            return
        out = self._output_of(channel)
        expired = Timeout(
            "Command on host %s still running after %s seconds", self.host, timeout, host=self.host
        )
        with GTimeout(timeout, expired):
            self._drain(out, keep_output)
            self.close_channel(channel)

    def _drain(self, out: ChannelOutput, keep_output: bool) -> None:
        """Read both streams until the remote side ends them, keeping (or
        dropping) what arrives, so the remote command never stalls on a full
        window while we wait for it."""
        streams = (out.stdout, out.stderr)
        with map_errors(self.host, "waiting for command to finish"):
            while not out.finished:
                progressed = False
                for stream in streams:
                    if stream.done:
                        continue
                    data = self._io.try_read(stream.read, CHUNK)
                    if data is None:
                        continue
                    progressed = True
                    if data and not keep_output:
                        continue
                    stream.take(data)
                if not progressed and not _queued(out.channel):
                    self._io.wait()

    def close_channel(self, channel: Any) -> None:
        """Close channel: the remote side sees its end; with a PTY, the
        running command is terminated.

        :param channel: The channel to close.
        :type channel: :py:class:`ssh2.channel.Channel`
        """
        if self.session is None:
            return
        with map_errors(self.host, "closing channel"):
            self._eagain(channel.close)
            if channel.eof():
                # libssh2 can wait for the remote close only after its EOF;
                # a command still running is left to the server to end.
                self._eagain(channel.wait_closed)
        out = self._output_of(channel)
        out.stdout.done = out.stderr.done = out.closed = True
        out.exit_status = channel.get_exit_status()
        self._release(out)

    def _release(self, out: ChannelOutput) -> None:
        """Forget a channel's state once it is closed and fully read. A
        command's (:py:meth:`run_command`) is kept, with its exit status,
        until the user drops its output."""
        if out.holders is not None:
            return
        if out.exhausted and self._outputs.get(id(out.channel)) is out:
            del self._outputs[id(out.channel)]

    def get_exit_status(self, channel: Any) -> int | None:
        """Exit status of a finished command, ``None`` while it runs.

        A command has finished once its output was read to the end, or it was
        waited for with :py:meth:`wait_finished`, or its output has all
        arrived (what arrived is kept for the output generators): its
        channel is then closed, without waiting for output.
        """
        if channel is None:
            return None
        out = self._lookup(channel)
        if out is None:
            return channel.get_exit_status() if channel.eof() else None
        if not out.closed and not self._poll(out):
            return None
        return out.exit_status

    def _poll(self, out: ChannelOutput) -> bool:
        """Take what output has arrived for ``out`` (kept for its readers),
        without waiting; when both streams have ended, close the channel.
        Whether the channel is closed."""
        if self.session is None:
            return False
        with map_errors(self.host, "reading output"):
            for stream in (out.stdout, out.stderr):
                for _ in range(_POLL_CHUNKS):  # a fast talker is not "finished"
                    if stream.done:
                        break
                    data = self._io.try_read(stream.read, CHUNK)
                    if data is None:
                        break
                    stream.take(data)
        if not out.finished:
            return False
        self._complete(out, self.timeout)
        return out.closed

    def finished(self, channel: Any) -> bool:
        """Whether the command on ``channel`` has finished, without waiting
        for output (as :py:meth:`get_exit_status`)."""
        return channel is None or self.get_exit_status(channel) is not None
