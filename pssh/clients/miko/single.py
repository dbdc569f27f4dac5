"""Paramiko based single host client.

paramiko does blocking network I/O only; importing :mod:`pssh.clients.miko`
monkey patches the standard library with gevent so that its blocking calls
yield to the event loop, and many clients run concurrently in one thread.

The TCP connection is opened by ``open_socket`` (``pssh.clients._sock``) (or,
through a proxy host, is a ``direct-tcpip`` channel of a connection to the
proxy) and handed to :meth:`paramiko.client.SSHClient.connect` as ``sock``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from typing import Any

import paramiko
from gevent import Timeout as GTimeout

from ...constants import DEFAULT_RETRIES, RETRY_DELAY
from ...exceptions import (
    AuthenticationException,
    ConnectionErrorException,
    HostKeyError,
    ProxyError,
    SessionError,
    SSHException,
    Timeout,
    UnknownHostException,
)
from .._host_keys import ConfigArg, KnownHostsArg, PolicyArg
from .._lines import codec_name
from .._route import Via
from .._settings import HostSettings, ProxyArgs, settings_for
from .._shell import InteractiveShell
from ..base_single import BaseSSHClient, Holders, delegate
from ._connect import Connector
from ._errors import map_errors
from ._forward import forward_agent
from ._options import (
    PKeyArg,
    check_paramiko_kwargs,
    load_pkey,
    wrap_command,
)
from ._output import ChannelOutput, Stdin, iter_lines, output_dropped, send_signal
from ._proxies import SharedProxies
from ._sftp import SFTPCopies
from ._shell import open_shell as _open_shell

logger = logging.getLogger(__name__)
host_logger = logging.getLogger("pssh.host_logger")

# as in 1.8.0, except failed authentication: a retry only costs time and lockouts
_RETRY_ON = (UnknownHostException, ConnectionErrorException, Timeout, SessionError, ProxyError,
             SSHException)  # fmt: skip


def given(**kwargs: Any) -> HostSettings:
    """:meth:`pssh.clients._settings.HostSettings.given` with the paramiko clients'
    proxy rules (as 1.8.0): a ``proxy_host`` without its own user, password
    or key uses the host's, and proxy and jump hosts get one connection
    attempt each."""
    return HostSettings.given(proxy_inherits_credentials=True, hop_num_retries=1, **kwargs)


class SSHClient(BaseSSHClient):
    """SSH client based on Paramiko with sane defaults.

    Honours ``~/.ssh/config`` and ``/etc/ssh/ssh_config`` host entries for
    host, user name, port and key overrides, ``ProxyJump`` and
    ``ProxyCommand`` (when no ``proxy_host`` is given; unsupported options
    that change where or how ``ssh`` connects are logged as a warning once
    per host), ``ServerAliveInterval`` and the host key
    settings (``StrictHostKeyChecking``, ``UserKnownHostsFile``,
    ``HashKnownHosts``, ``HostKeyAlias``). Host keys are verified before
    authentication; see :doc:`/security`.

    :param host: Hostname to connect to
    :type host: str
    :param user: (Optional) User to login as. Defaults to logged in user or
      user from ~/.ssh/config if set
    :type user: str
    :param password: (Optional) Password to use for login. Defaults to
      no password
    :type password: str
    :param port: (Optional) Port number to use for SSH connection. Defaults
      to ``None`` which uses SSH default
    :type port: int
    :param pkey: (Optional) Client's private key to be used to connect with.
      A key file path or file object is loaded with
      :func:`pssh.utils.load_private_key`.
    :type pkey: :py:class:`paramiko.pkey.PKey`
    :param num_retries: (Optional) Number of retries for connection attempts
      before the client gives up. Defaults to 3; 0 makes one attempt. Failed
      authentication is not retried (a retry only costs time and lockouts).
    :type num_retries: int
    :param timeout: (Optional) Number of seconds to timeout connection
      attempts before the client gives up
    :type timeout: int
    :param forward_ssh_agent: (Optional) Turn on SSH agent forwarding -
      equivalent to `ssh -A` from the `ssh` command line utility.
      Defaults to ``False`` (parallel-ssh 1.8.0: ``True``): a forwarded agent
      lets anyone with root on a host sign with the user's keys while
      connected, so it is only given to hosts the caller names. Only the
      agent allowed for authentication is forwarded: the keys of ``agent``
      when given (never the system agent then), else the agent at
      ``SSH_AUTH_SOCK`` if ``allow_agent``, else none. See :doc:`/security`.
    :type forward_ssh_agent: bool
    :param agent: (Optional) Override SSH agent object with the provided.
      This allows for overriding of the default paramiko behaviour of
      connecting to local SSH agent to lookup keys with our own SSH agent
      object.
    :type agent: :py:class:`paramiko.agent.Agent`
    :param proxy_host: (Optional) SSH host to tunnel connection through
      so that SSH clients connects to self.host via
      client -> proxy_host -> host
    :type proxy_host: str
    :param proxy_port: (Optional) SSH port to use to login to proxy host if
      set. Defaults to 22.
    :type proxy_port: int
    :param proxy_user: (Optional) User to login to ``proxy_host`` as.
      Defaults to ``user`` (the host's user), as in 1.8.0.
    :type proxy_user: str
    :param proxy_password: (Optional) Password to login to ``proxy_host``
      with. Defaults to ``password`` (the host's), as in 1.8.0.
    :type proxy_password: str
    :param proxy_pkey: (Optional) Private key to be used for authentication
      with ``proxy_host``. Defaults to ``pkey`` (the host's), as in 1.8.0.
    :type proxy_pkey: :py:class:`paramiko.pkey.PKey`
    :param channel_timeout: (Optional) Time in seconds before an SSH operation
      times out: reading output raises :py:class:`pssh.exceptions.Timeout`
      when no output arrives for this long.
    :type channel_timeout: int
    :param allow_agent: (Optional) set to False to disable connecting to
      the SSH agent
    :type allow_agent: bool
    :param retry_delay: (Optional, keyword only) Number of seconds to wait
      between connection attempts. Defaults to
      :py:data:`pssh.constants.RETRY_DELAY`.
    :type retry_delay: int
    :param known_hosts: (Optional, keyword only) ``known_hosts`` file, or
      files, to check the host's key against; new keys are recorded in the
      first. Defaults to ``UserKnownHostsFile`` from the OpenSSH
      configuration, else ``~/.ssh/known_hosts``, plus
      ``/etc/ssh/ssh_known_hosts``.
    :type known_hosts: str or list(str)
    :param host_key_policy: (Optional, keyword only) ``'strict'`` (an unknown
      or changed key fails), ``'accept-new'`` (an unknown key is recorded, a
      changed key fails) or ``'off'`` (no check). Defaults to
      ``StrictHostKeyChecking`` from the OpenSSH configuration (where ``no``
      means ``'accept-new'``: only this argument can turn checking off), else
      ``'accept-new'``.
    :type host_key_policy: str
    :param ssh_config: (Optional, keyword only) OpenSSH client configuration
      file to read instead of ``~/.ssh/config`` and ``/etc/ssh/ssh_config``,
      or ``'none'`` for none.
    :type ssh_config: str
    :param alias: (Optional, 2.x) The host's name in output (``self.alias``).
    :type alias: str
    :param keepalive_seconds: (Optional, 2.x) Seconds between keepalives;
      defaults to ``ServerAliveInterval`` of the OpenSSH configuration, else
      none (1.8.0); paramiko's keepalives ask for no reply.
    :type keepalive_seconds: int
    :param identity_auth: (Optional, 2.x) ``False``: do not look for keys
      under ``~/.ssh`` (paramiko's ``look_for_keys``).
    :type identity_auth: bool
    :param ipv6_only: (Optional, 2.x) Connect over IPv6 only.
    :type ipv6_only: bool
    :param keyboard_interactive: (Optional, 2.x) Accepted for 2.x code: paramiko
      answers a keyboard-interactive-only server with the password by itself
      (whatever this is); :py:class:`ValueError` without a password.
    :type keyboard_interactive: bool
    :param paramiko_kwargs: (Optional) Extra keyword arguments to be passed on
      to :py:func:`paramiko.client.SSHClient.connect` (2.x ``compress=True`` is
      one of them).
    :type paramiko_kwargs: dict

    :raises: :py:class:`TypeError` for keyword arguments
      :py:func:`paramiko.client.SSHClient.connect` does not take.
    :raises: :py:class:`pssh.exceptions.PKeyFileError` when a key file path
      does not exist.
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
        pkey: PKeyArg = None,
        forward_ssh_agent: bool = False,
        num_retries: int = DEFAULT_RETRIES,
        agent: paramiko.agent.AgentSSH | None = None,
        allow_agent: bool = True,
        timeout: float | None = 10,
        proxy_host: str | None = None,
        proxy_port: int = 22,
        proxy_user: str | None = None,
        proxy_password: str | None = None,
        proxy_pkey: PKeyArg = None,
        channel_timeout: float | None = None,
        _openssh_config_file: str | None = None,
        *,
        retry_delay: float = RETRY_DELAY,
        known_hosts: KnownHostsArg = None,
        host_key_policy: PolicyArg = None,
        ssh_config: ConfigArg = None,
        alias: str | None = None,
        keepalive_seconds: int | None = None,
        identity_auth: bool = True,
        ipv6_only: bool = False,
        keyboard_interactive: bool = False,
        _settings: HostSettings | None = None,
        _proxies: SharedProxies | None = None,
        **paramiko_kwargs: Any,
    ) -> None:
        settings = _settings or settings_for(host, given(
            alias=alias, keepalive_seconds=keepalive_seconds, identity_auth=identity_auth,
            ipv6_only=ipv6_only, keyboard_interactive=keyboard_interactive,
            user=user, password=password, port=port, pkey=pkey, num_retries=num_retries,
            retry_delay=retry_delay, agent=agent, allow_agent=allow_agent, timeout=timeout,
            forward_ssh_agent=forward_ssh_agent, known_hosts=known_hosts,
            host_key_policy=host_key_policy,
            ssh_config=ssh_config if ssh_config is not None else _openssh_config_file,
            proxy=None if proxy_host is None else ProxyArgs(
                proxy_host, proxy_port, proxy_user, proxy_password, load_pkey(proxy_pkey)
            ),
        ))  # fmt: skip
        check_paramiko_kwargs(paramiko_kwargs)
        self.settings = settings
        """The host's settings (``HostSettings``, ``pssh.clients._settings``), route included."""
        cfg = settings.resolved
        route = settings.route
        # the proxy_host, or the last ProxyJump hop (reached through the others)
        proxy = route.proxy if isinstance(route, Via) else None
        super().__init__(
            host, user=cfg.user, password=settings.password, port=cfg.port,
            pkey=load_pkey(settings.pkey if settings.pkey is not None else settings.identity_file),
            num_retries=settings.num_retries, retry_delay=settings.retry_delay,
            allow_agent=settings.allow_agent, timeout=settings.timeout,
            forward_ssh_agent=settings.forward_ssh_agent,
            proxy_host=proxy.host if proxy is not None else None,
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
        self.agent = settings.agent
        self.proxy_port = proxy.login_port if proxy is not None else proxy_port
        self.proxy_user = proxy.user if proxy is not None else proxy_user
        self.proxy_password = proxy.password if proxy is not None else proxy_password
        self.proxy_pkey = load_pkey(proxy.pkey) if proxy is not None else load_pkey(proxy_pkey)
        self.channel_timeout = channel_timeout
        self.paramiko_kwargs = paramiko_kwargs
        self._openssh_config_file = _openssh_config_file
        self.client: paramiko.SSHClient | None = None
        self.sftp_copies = SFTPCopies(self.host, self.transport)
        """SFTP copies (``SFTPCopies``, ``pssh.clients.miko._sftp``)."""
        login = {
            "username": self.user, "password": self.password, "pkey": self.pkey,
            "port": self.port, "timeout": self.timeout, "allow_agent": self.allow_agent,
        }  # fmt: skip
        self._connector = Connector(
            settings, login, self.host_keys, self.agent, paramiko_kwargs, _proxies,
            _proxy_client_for,
        )  # fmt: skip
        # until the user drops the command's output (see Holders)
        self._outputs: dict[Any, ChannelOutput] = {}
        # a refused host key or failed authentication is final: no retry can change it
        self.retry.call(
            self._connect, retry_on=_RETRY_ON, give_up_on=(HostKeyError, AuthenticationException)
        )

    # -- connection -------------------------------------------------------

    def _connect(self) -> None:
        self.client = self._connector.connect(self.hostname)

    @property
    def proxy_client(self) -> SSHClient | None:
        """The client of the proxy host (or last ``ProxyJump`` hop) this host is
        reached through, once connected; ``None`` for a direct route."""
        return self._connector.proxy_client  # type: ignore[no-any-return]

    @property
    def connected(self) -> bool:
        """Whether the connection to the host is up."""
        transport = self.client.get_transport() if self.client is not None else None
        return transport is not None and transport.is_active()

    def transport(self) -> paramiko.Transport:
        """The connection's paramiko transport (for a proxied host's
        channel, SFTP and shells).

        :raises: :py:class:`pssh.exceptions.SessionError` when disconnected.
        """
        transport = self.client.get_transport() if self.client is not None else None
        if transport is None or not transport.is_active():
            raise SessionError("Client for host %s is disconnected", self.host, host=self.host)
        return transport

    def disconnect(self) -> None:
        """Close the connection (and the one to the proxy host, if any)."""
        for out in list(self._outputs.values()):
            out.stop()
        self._outputs.clear()
        if self.client is not None:
            client, self.client = self.client, None
            try:
                client.close()
            except (EOFError, OSError, paramiko.SSHException) as exc:
                # the connection (or the proxy it goes through) is gone already
                logger.debug("Ignoring error disconnecting from %s: %r", self.host, exc)
        self._connector.close()

    # Thin delegations to the SFTP part: same signatures and documentation.
    _make_sftp = delegate("sftp_copies", SFTPCopies.make_sftp)
    mkdir = delegate("sftp_copies", SFTPCopies.mkdir)
    copy_file = delegate("sftp_copies", SFTPCopies.copy_file)
    copy_remote_file = delegate("sftp_copies", SFTPCopies.copy_remote_file)

    def __enter__(self) -> SSHClient:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.disconnect()

    # -- commands ---------------------------------------------------------

    def exec_command(
        self,
        command: str,
        sudo: bool = False,
        user: str | None = None,
        shell: str | None = None,
        use_shell: bool = True,
        use_pty: bool = True,
    ) -> tuple[Any, str, Iterator[str], Iterator[str], Stdin]:
        """Wrapper to :py:func:`paramiko.SSHClient.exec_command`

        Opens a new SSH session with a new pty and runs command before yielding
        the main event loop to allow other greenlets to execute.

        :param command: Command to execute
        :type command: str
        :param sudo: (Optional) Run with sudo. Defaults to False
        :type sudo: bool
        :param user: (Optional) User to switch to via sudo to run command as.
          Defaults to user running the python process
        :type user: str
        :param shell: (Optional) Shell override to use instead of user login
          configured shell. For example ``shell='bash -c'``
        :param use_shell: (Optional) Force use of shell on/off.
          Defaults to `True` for on
        :type use_shell: bool
        :param use_pty: (Optional) Enable/Disable use of pseudo terminal
          emulation. This is required in vast majority of cases, exception
          being where a shell is not used and/or stdout/stderr/stdin buffers
          are not required. Defaults to ``True``
        :type use_pty: bool
        :returns: Tuple of ``(channel, hostname, stdout, stderr, stdin)``.
          Channel is the remote SSH channel, needed to ensure all of stdout has
          been got, hostname is remote hostname the copy is to, stdout and
          stderr are buffers containing command output and stdin is standard
          input channel
        """
        return self.run_command(
            command, sudo=sudo, user=user, use_pty=use_pty, shell=shell, use_shell=use_shell
        )

    def run_command(
        self,
        command: str,
        sudo: bool = False,
        user: str | None = None,
        use_pty: bool = True,
        shell: str | None = None,
        encoding: str = "utf-8",
        use_shell: bool = True,
        timeout: float | None = None,
        *,
        max_line_length: int | None = None,
    ) -> tuple[Any, str, Iterator[str], Iterator[str], Stdin]:
        """Run remote command: :py:meth:`exec_command` with an output
        encoding and a read timeout, the signature the native client has.

        :param encoding: Encoding to use for output. Must be valid
          `Python codec <https://docs.python.org/library/codecs.html>`_
        :type encoding: str
        :param timeout: (Optional) Seconds without output after which reading
          stdout or stderr raises :py:class:`pssh.exceptions.Timeout`.
          Defaults to ``channel_timeout``.
        :type timeout: float
        :param max_line_length: (Optional, keyword only) Longest line, in
          characters, handed out whole; a longer line comes as several lines
          of this length, so that output without newlines cannot fill memory.
          Defaults to ``pssh.clients._lines.MAX_LINE_LENGTH`` (64 MiB).
        :type max_line_length: int
        :rtype: tuple ``(channel, host, stdout, stderr, stdin)``

        The channel is closed when the command has ended, read or not; once
        ``stdout`` or ``stderr`` has been read to its end, the exit code is
        known (:py:meth:`get_exit_status`).
        """
        codec_name(encoding)  # an unknown codec fails here, before anything runs
        cmd = wrap_command(command, sudo, user, shell, use_shell)
        channel = self.open_session()
        with map_errors(self.host, "executing command"):
            if self.forward_ssh_agent:
                forward_agent(channel, self.host, self.agent, self.allow_agent)
            if use_pty:
                channel.get_pty()
            channel.exec_command(cmd)
        stdout, stderr, stdin = self.keep_output(
            channel, encoding, timeout, max_line_length, command=cmd
        )
        return channel, self.host, stdout, stderr, stdin

    def open_session(self) -> Any:
        """Open a new channel on the connection (as the native client's
        ``open_session``).

        :rtype: :py:class:`paramiko.channel.Channel`
        :raises: :py:class:`pssh.exceptions.SessionError` naming the host when
          the connection is gone or the server refuses the channel.
        """
        try:
            with map_errors(self.host, "opening a channel"):
                return self.transport().open_session(timeout=self.timeout)
        except (SSHException, ConnectionErrorException) as exc:
            # the connection died under us: as 1.8.0, that is a SessionError
            raise SessionError(
                "Error opening a channel on host %s: the session is no longer connected - %s",
                self.host, exc, host=self.host,
            ) from exc  # fmt: skip

    def keep_output(
        self,
        channel: Any,
        encoding: str,
        timeout: float | None = None,
        max_line_length: int | None = None,
        command: str | None = None,
    ) -> tuple[Iterator[str], Iterator[str], Stdin]:
        """Start keeping ``channel``'s output (until the user drops it) and
        return its ``(stdout, stderr, stdin)``: for a command just started on
        it or a shell. ``timeout``: the read timeout (``None``: the client's
        ``channel_timeout``)."""
        out = ChannelOutput(
            channel, encoding, self.channel_timeout if timeout is None else timeout,
            max_line_length,
        )  # fmt: skip
        out.command = command
        self._outputs[channel] = out
        out.holders = Holders(functools.partial(output_dropped, self._outputs, channel))
        stdout, stderr = self.output_streams(channel)
        return stdout, stderr, out.holders.hold(Stdin(self.host, channel, encoding))

    def output_streams(
        self, channel: Any, timeout: float | None = None, *, keep_timeout: bool = True
    ) -> tuple[Iterator[str], Iterator[str]]:
        """Fresh stdout and stderr line generators for ``channel``, resuming
        where earlier ones stopped (used to restart output after a timeout).

        :param timeout: Read timeout of the new generators; ``None`` keeps the
          command's own when ``keep_timeout``, else means no timeout.
        """
        out = self._outputs.get(channel)
        if out is None:
            return iter(()), iter(())
        if timeout is None and keep_timeout:
            timeout = out.timeout
        stdout = out.holders.hold(iter_lines(self.host, out, out.stdout, timeout))
        stderr = out.holders.hold(iter_lines(self.host, out, out.stderr, timeout))
        return stdout, stderr

    # -- completion -------------------------------------------------------

    def wait_finished(self, channel: Any, timeout: float | None = None) -> None:
        """Wait for the command on ``channel`` to finish and close the
        channel. Output not yet read is kept for the output generators.

        :raises: :py:class:`pssh.exceptions.Timeout` when the command has not
          finished within ``timeout`` seconds.
        """
        if channel is None:
            return
        expired = Timeout(
            "Command on host %s still running after %s seconds", self.host, timeout, host=self.host
        )
        with GTimeout(timeout, expired):
            out = self._outputs.get(channel)
            if out is not None:
                out.wait_done()
            channel.recv_exit_status()
        self.close_channel(channel)

    def close_channel(self, channel: Any) -> None:
        """Close channel: the remote side sees its end; with a PTY, the
        running command is terminated."""
        with map_errors(self.host, "closing channel"):
            channel.close()

    def get_exit_status(self, channel: Any) -> int | None:
        """Exit status of a finished command, ``None`` while it runs."""
        if channel is None or not channel.exit_status_ready():
            return None
        return channel.recv_exit_status()

    def finished(self, channel: Any) -> bool:
        """Whether the command on ``channel`` has finished, without waiting."""
        return channel is None or bool(channel.exit_status_ready())

    def open_shell(
        self, encoding: str = "utf-8", read_timeout: float | None = None
    ) -> InteractiveShell:
        """Open an interactive login shell on a new channel (parallel-ssh 2.x).

        Commands given to the shell's ``run`` run in order in that one shell, sharing its
        state (``cd``, variables); closing it (``close()``, or leaving its ``with`` block)
        ends its input and waits for it to exit. Its ``stdout``/``stderr`` then hold every
        command's output and its ``exit_code`` is the last command's.

        .. code-block:: python

          with client.open_shell() as shell:
              shell.run('cd /tmp')
              shell.run('pwd')
          print(list(shell.stdout), shell.exit_code)

        :param encoding: Encoding of the commands written and of the output.
        :type encoding: str
        :param read_timeout: (Optional) Seconds without output after which reading
          ``stdout``/``stderr`` raises :py:class:`pssh.exceptions.Timeout`; defaults to
          ``channel_timeout``.
        :type read_timeout: float
        :rtype: :py:class:`pssh.clients._shell.InteractiveShell`
        :raises: :py:class:`pssh.exceptions.SessionError` naming the host when no channel
          or shell can be opened.
        """
        return _open_shell(self, encoding, read_timeout)

    def command_info(self, channel: Any) -> tuple[str | None, float | None]:
        """The exact command string sent for ``channel`` and its read timeout
        (``(None, None)`` for a channel not started by :py:meth:`run_command`)."""
        out = self._outputs.get(channel)
        return (None, None) if out is None else (out.command, out.timeout)

    def hang_up(self, channel: Any) -> None:
        """Close ``channel`` now (paramiko does not wait for the command): a
        command with a PTY is hung up; one without keeps running until it
        ends by itself. Its exit code is ``-1`` unless it had already sent one."""
        self.close_channel(channel)

    def send_signal(self, channel: Any, signame: str) -> None:
        """Send the SSH ``signal`` channel request (RFC 4254 6.9) for the
        command on ``channel``: ``signame`` without ``SIG`` (``'TERM'``).

        paramiko's :py:class:`~paramiko.channel.Channel` has no method for it,
        so the request is built with paramiko's message API and sent on the
        channel's transport, as paramiko sends its own channel requests. The
        server may ignore it (see :doc:`/advanced`)."""
        with map_errors(self.host, "sending signal %s" % (signame,)):
            send_signal(channel, signame)


def _proxy_client_for(settings: HostSettings) -> SSHClient:
    # a shared proxy's client, made from its settings (its route reaches an
    # earlier ProxyJump hop the same way)
    return SSHClient(settings.host, _settings=settings)


__all__ = ["SSHClient", "host_logger", "logger"]
