"""ssh2-python (libssh2) based parallel client: the native backend of
:class:`pssh.clients.base_pssh.BaseParallelSSHClient`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import gevent

from ...constants import DEFAULT_RETRIES, RETRY_DELAY
from ...output import HostOutput
from .._host_keys import ConfigArg, KnownHostsArg, PolicyArg
from .._settings import KEEPALIVE_DEFAULT, HostSettings, ProxyArgs, settings_for
from ..base_pssh import BaseParallelSSHClient
from ._route import Hop, Router
from .single import SSHClient, _validate_pkey

logger = logging.getLogger(__name__)


class ParallelSSHClient(BaseParallelSSHClient):
    """ssh2-python based parallel client.

    :param hosts: Hosts to connect to
    :type hosts: list(str)
    :param user: (Optional) User to login as. Defaults to logged in user
    :type user: str
    :param password: (Optional) Password to use for login. Defaults to
      no password
    :type password: str
    :param port: (Optional) Port number to use for SSH connection. Defaults
      to 22.
    :type port: int
    :param pkey: Private key file path to use. Path must be either absolute
      path or relative to user home directory like ``~/<path>``. The key's
      contents and a paramiko key object
      (:func:`pssh.utils.load_private_key`) work too, kept in memory.
    :type pkey: str
    :param num_retries: (Optional) Number of connection attempts before the
      client gives up. Defaults to 3; 0 makes one attempt. Failed
      authentication is not retried.
    :type num_retries: int
    :param retry_delay: Number of seconds to wait between retries. Defaults
      to :py:data:`pssh.constants.RETRY_DELAY`
    :type retry_delay: int
    :param timeout: (Optional) SSH session timeout setting in seconds. This
      controls timeout setting of socket operations used for SSH sessions.
      Defaults to OS default - usually 60 seconds.
    :type timeout: float
    :param pool_size: (Optional) Greenlet pool size. Controls
      concurrency, on how many hosts to execute tasks in parallel. Defaults
      to 10. Overhead in event loop will determine how high this can be set
      to, see scaling guide lines in project's readme.
    :type pool_size: int
    :param host_config: (Optional) Per-host configuration for cases where
      not all hosts use the same configuration.
    :type host_config: dict
    :param allow_agent: (Optional) set to False to disable connecting to
      the system's SSH agent.
    :type allow_agent: bool
    :param proxy_host: (Optional) SSH host to tunnel connection through
      so that SSH clients connect to host via client -> proxy_host -> host
    :type proxy_host: str
    :param proxy_port: (Optional) SSH port to use to login to proxy host if
      set. Defaults to 22.
    :type proxy_port: int
    :param proxy_user: (Optional) User to login to ``proxy_host`` as.
      Defaults to logged in user.
    :type proxy_user: str
    :param proxy_password: (Optional) Password to login to ``proxy_host``
      with. Defaults to no password.
    :type proxy_password: str
    :param proxy_pkey: (Optional) Private key file to be used for
      authentication with ``proxy_host`` (or its contents, or a paramiko key
      object). Defaults to available keys from SSHAgent and user's SSH
      identities.
    :type proxy_pkey: str, bytes or :py:class:`paramiko.pkey.PKey`
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
    :param tunnel_timeout: (Optional) Timeout setting for proxy tunnel
      connections.
    :type tunnel_timeout: float
    :param known_hosts: (Optional, keyword) ``known_hosts`` file, or files,
      to check host keys against; new keys are recorded in the first.
      Defaults to ``UserKnownHostsFile`` from the OpenSSH configuration, else
      ``~/.ssh/known_hosts``, plus ``/etc/ssh/ssh_known_hosts``.
    :type known_hosts: str or list(str)
    :param host_key_policy: (Optional, keyword) ``'strict'`` (an unknown or
      changed key fails the host), ``'accept-new'`` (an unknown key is
      recorded, a changed key fails the host) or ``'off'`` (no check).
      Defaults to ``StrictHostKeyChecking`` from the OpenSSH configuration (where ``no``
      means ``'accept-new'``: only this argument can turn checking off),
      else ``'accept-new'``. A refused key raises a
      :py:class:`pssh.exceptions.HostKeyError` subclass for that host only
      (in its output's ``exception`` with ``stop_on_errors=False``). See
      :doc:`/security`.
    :type host_key_policy: str
    :param ssh_config: (Optional, keyword) OpenSSH client configuration file
      to read, or ``'none'`` for none. Defaults to ``~/.ssh/config`` then
      ``/etc/ssh/ssh_config``. ``HostName`` changes the address connected to,
      not the host's name in output; ``User``, ``Port``, ``IdentityFile``,
      ``IdentitiesOnly``, ``ProxyJump``, ``ConnectTimeout``,
      ``ServerAliveInterval``, ``StrictHostKeyChecking``,
      ``UserKnownHostsFile``, ``HashKnownHosts``, ``HostKeyAlias`` and
      ``ProxyCommand`` apply; options that change where or how ``ssh``
      connects but are not supported are logged as a warning once per host.
      Arguments given here and ``host_config`` win over the file, except
      that ``port=22`` (the default) gives way to a ``Port`` of the file;
      ``proxy_host`` wins over ``ProxyJump`` and ``ProxyCommand``.
    :type ssh_config: str
    :param keepalive_seconds: (Optional, keyword; parallel-ssh 2.x) Seconds
      between keepalive messages on each connection; 0 for none. Defaults
      to ``ServerAliveInterval`` of the OpenSSH configuration, else 60.
    :type keepalive_seconds: int
    :param identity_auth: (Optional, keyword; 2.x) ``False``: do not try the
      default identities under ``~/.ssh`` (``pkey``, the agent and the
      OpenSSH configuration's ``IdentityFile`` still apply).
    :type identity_auth: bool
    :param ipv6_only: (Optional, keyword; 2.x) Connect over IPv6 only.
    :type ipv6_only: bool
    :param compress: (Optional, keyword; 2.x) Ask for compression.
    :type compress: bool
    :param keyboard_interactive: (Optional, keyword; 2.x) Answer
      keyboard-interactive prompts with ``password``, for servers that do
      not offer password authentication; :py:class:`ValueError` without a
      password.
    :type keyboard_interactive: bool

    ``host_config`` may also be a list of :class:`pssh.config.HostConfig`,
    one per entry of ``hosts`` (2.x; see :doc:`/parallel-ssh-2x`).

    :raises: :py:class:`pssh.exceptions.PKeyFileError` on errors finding
      provided private key.
    :raises: :py:class:`pssh.exceptions.SSHException` for an OpenSSH
      configuration ``ssh`` would refuse.
    :raises: :py:class:`ValueError` for an unknown ``host_key_policy``.
    """

    def __init__(
        self,
        hosts: Iterable[str],
        user: str | None = None,
        password: str | None = None,
        port: int = 22,
        pkey: str | bytes | None = None,
        num_retries: int = DEFAULT_RETRIES,
        timeout: float | None = None,
        pool_size: int = 10,
        allow_agent: bool = True,
        host_config: dict | None = None,
        retry_delay: float = RETRY_DELAY,
        proxy_host: str | None = None,
        proxy_port: int = 22,
        proxy_user: str | None = None,
        proxy_password: str | None = None,
        proxy_pkey: str | bytes | None = None,
        forward_ssh_agent: bool = False,
        tunnel_timeout: float | None = None,
        *,
        known_hosts: KnownHostsArg = None,
        host_key_policy: PolicyArg = None,
        ssh_config: ConfigArg = None,
        keepalive_seconds: int | None = KEEPALIVE_DEFAULT,
        identity_auth: bool = True,
        ipv6_only: bool = False,
        compress: bool = False,
        keyboard_interactive: bool = False,
    ) -> None:
        pkey, proxy_pkey = _validate_pkey(pkey), _validate_pkey(proxy_pkey)
        # what every host's settings start from (pssh.clients._settings.settings_for)
        self._args = HostSettings.given(
            user=user, password=password, port=port, port_default=22, pkey=pkey,
            num_retries=num_retries, retry_delay=retry_delay,
            allow_agent=allow_agent, timeout=timeout, forward_ssh_agent=forward_ssh_agent,
            tunnel_timeout=tunnel_timeout, known_hosts=known_hosts,
            host_key_policy=host_key_policy, ssh_config=ssh_config,
            identity_auth=identity_auth, ipv6_only=ipv6_only, compress=compress,
            keyboard_interactive=keyboard_interactive, keepalive_seconds=keepalive_seconds,
            keepalive_default=KEEPALIVE_DEFAULT,
            proxy=None if proxy_host is None else ProxyArgs(
                proxy_host, proxy_port, proxy_user, proxy_password, proxy_pkey
            ),
        )  # fmt: skip
        super().__init__(
            hosts, user=user, password=password, port=port, pkey=pkey,
            allow_agent=allow_agent, num_retries=num_retries, timeout=timeout,
            pool_size=pool_size, host_config=host_config, retry_delay=retry_delay,
        )  # fmt: skip
        self.proxy_host = proxy_host
        self.proxy_port = proxy_port
        self.proxy_user = proxy_user
        self.proxy_password = proxy_password
        self.proxy_pkey = proxy_pkey
        self.forward_ssh_agent = forward_ssh_agent
        self.tunnel_timeout = tunnel_timeout
        self.keepalive_seconds = keepalive_seconds
        self.identity_auth = identity_auth
        self.ipv6_only = ipv6_only
        self.compress = compress
        self.keyboard_interactive = keyboard_interactive
        self.known_hosts = known_hosts
        self.host_key_policy = self._args.host_key_policy
        self._ssh_config = self._args.ssh_config
        self._known_hosts_cache = self._args.known_hosts_cache  # one KnownHosts per set of files
        # the connections to proxy_host and the ProxyJump hops, shared by the hosts
        self._router = Router(SSHClient)

    def run_command(  # type: ignore[override]
        self,
        command: str,
        sudo: bool = False,
        user: str | None = None,
        stop_on_errors: bool = True,
        use_pty: bool = False,
        host_args: Any = None,
        shell: str | None = None,
        encoding: str = "utf-8",
        timeout: float | None = None,
        greenlet_timeout: float | None = None,
        *,
        max_line_length: int | None = None,
        read_timeout: float | None = None,
        return_list: bool = False,
        on_finished: Callable[[HostOutput], Any] | None = None,
        on_line: Callable[[str, str, str], Any] | None = None,
        keep_output: bool = False,
        on_started: Callable[[HostOutput], Any] | None = None,
    ) -> dict[str, HostOutput] | list[HostOutput]:
        """Run command on all hosts in parallel, honoring self.pool_size,
        and return output dictionary.

        This function will block until all commands have been received
        by remote servers and then return immediately.

        More explicitly, function will return after connection and
        authentication establishment and after commands have been accepted by
        successfully established SSH channels.

        Any connection and/or authentication exceptions will be raised here
        and need catching *unless* ``run_command`` is called with
        ``stop_on_errors=False`` in which case exceptions are added to
        individual host output instead.

        :param command: Command to run
        :type command: str
        :param sudo: (Optional) Run with sudo. Defaults to False
        :type sudo: bool
        :param user: (Optional) User to run command as. Requires sudo access
          for that user from the logged in user account.
        :type user: str
        :param stop_on_errors: (Optional) Raise exception on errors running
          command. Defaults to True. With stop_on_errors set to False,
          exceptions are instead added to output of `run_command`.
        :type stop_on_errors: bool
        :param shell: (Optional) Override shell to use to run command with.
          Defaults to login user's defined shell. Use the shell's command
          syntax, eg `shell='bash -c'` or `shell='zsh -c'`.
        :type shell: str
        :param use_pty: (Optional) Enable/Disable use of pseudo terminal
          emulation. With a PTY, stdout and stderr are combined into stdout.
          Defaults to False.
        :type use_pty: bool
        :param host_args: (Optional) Format command string with per-host
          arguments in ``host_args``. ``host_args`` length must equal length
          of host list - :py:class:`pssh.exceptions.HostArgumentException` is
          raised otherwise
        :type host_args: tuple or list
        :param encoding: Encoding to use for output. Must be valid
          `Python codec <https://docs.python.org/library/codecs.html>`_
        :type encoding: str
        :param timeout: (Optional) Timeout in seconds for reading from stdout
          or stderr. Defaults to no timeout. Reading from stdout/stderr will
          raise :py:class:`pssh.exceptions.Timeout`
          after ``timeout`` number seconds if remote output is not ready.
        :type timeout: int
        :param greenlet_timeout: (Optional) Greenlet timeout setting.
          Defaults to no timeout. If set, this function will raise
          :py:class:`gevent.Timeout` after ``greenlet_timeout`` seconds if no
          result is available from greenlets. Note that
          :py:class:`gevent.Timeout` is a special class that inherits from
          ``BaseException`` and thus **can not be caught** by
          ``stop_on_errors=False``.
        :type greenlet_timeout: float
        :param max_line_length: (Optional, keyword only) Longest output line,
          in characters, handed out whole; a longer one comes as several
          lines of this length. Defaults to 64 MiB
          (``pssh.clients._lines.MAX_LINE_LENGTH``).
        :type max_line_length: int
        :param read_timeout: (Optional, keyword only) The 2.x name of
          ``timeout``: seconds without output after which reading stdout or
          stderr raises :py:class:`pssh.exceptions.Timeout`. Giving both
          ``timeout`` and ``read_timeout`` raises :py:class:`ValueError`.
        :type read_timeout: float
        :param return_list: (Optional, keyword only) Return the outputs as a
          list in host order (as parallel-ssh 1.10 and later do) instead of
          the 1.8.0 dictionary. Defaults to ``False``.
        :type return_list: bool
        :param on_finished: (Optional, keyword only) Called as
          ``on_finished(host_output)`` once per host, in the order the hosts
          finish, whether the command succeeded, failed or the host could not
          be reached (with ``stop_on_errors=False``). Callbacks run in the
          client's greenlets while the caller waits (``join``,
          ``as_completed``, or any other gevent wait); ``join`` returns after
          the last one and re-raises an exception a callback raised.
        :type on_finished: :py:class:`~collections.abc.Callable`
        :param on_line: (Optional, keyword only) When given, the client reads
          every host's output itself and calls ``on_line(host, stream, line)``
          (``stream`` is ``'stdout'`` or ``'stderr'``) for each line as it
          arrives, holding no more of the output than the line readers do
          (``max_line_length``). The lines are then not kept: ``stdout`` and
          ``stderr`` of the output are empty afterwards, unless
          ``keep_output=True``. A read timeout (``read_timeout``) or lost
          connection while reading becomes the host output's ``exception``.
        :type on_line: :py:class:`~collections.abc.Callable`
        :param keep_output: (Optional, keyword only) With ``on_line``, also
          keep every line so that ``stdout``/``stderr`` can be read once the
          command has finished (memory grows with the output). Defaults to
          ``False``.
        :type keep_output: bool
        :param on_started: (Optional, keyword only) Called as
          ``on_started(host_output)`` once per host, from that host's greenlet,
          as soon as its command has started (``stdin`` is ready to write to)
          or it failed to start (``exception`` set): the moment to send a
          host its input or note when it connected. Called before that
          host's ``on_finished``; an exception it raises is raised by
          ``run_command``.
        :type on_started: :py:class:`~collections.abc.Callable`
        :rtype: Dictionary with host as key and
          :py:class:`pssh.output.HostOutput` as value as per
          :py:meth:`get_output` (a list with ``return_list``)

        :raises: :py:class:`pssh.exceptions.AuthenticationException` on
          authentication error
        :raises: :py:class:`pssh.exceptions.UnknownHostException` on DNS
          resolution error
        :raises: :py:class:`pssh.exceptions.ConnectionErrorException` on error
          connecting
        :raises: :py:class:`pssh.exceptions.HostArgumentException` on number
          of host arguments not equal to number of hosts
        :raises: :py:class:`TypeError` on not enough host arguments for cmd
          string format
        :raises: :py:class:`KeyError` on no host argument key in arguments
          dict for cmd string format
        :raises: :py:class:`pssh.exceptions.ProxyError` on errors connecting
          to proxy if a proxy host has been set.
        :raises: :py:class:`gevent.Timeout` on greenlet timeout. Gevent timeout
          can not be caught by ``stop_on_errors=False``.
        """
        return super().run_command(
            command,
            user=user,
            stop_on_errors=stop_on_errors,
            host_args=host_args,
            use_pty=use_pty,
            shell=shell,
            encoding=encoding,
            sudo=sudo,
            timeout=timeout,
            greenlet_timeout=greenlet_timeout,
            max_line_length=max_line_length,
            read_timeout=read_timeout,
            return_list=return_list,
            on_finished=on_finished,
            on_line=on_line,
            keep_output=keep_output,
            on_started=on_started,
        )

    def _make_ssh_client(self, host: str, index: int | None = None) -> SSHClient:
        settings = settings_for(host, self._args, self.host_config, self._host_index(host, index))
        return SSHClient(host, _settings=settings, _router=self._router)

    @property
    def _proxy(self) -> Hop | None:
        """The connection to ``proxy_host``, once made."""
        return self._router.connections.get(("proxy_host",))

    def disconnect(self) -> None:
        """Disconnect every host's client and close the proxy connections
        and their tunnels, if any. The client connects again when used again."""
        clients = list(self.host_clients.values())
        self.host_clients.clear()
        for client in clients:
            client.disconnect()
        self._router.close()

    def __del__(self) -> None:
        router = self.__dict__.get("_router")
        if router is not None:
            router.abort()

    def _client_alive(self, client: Any) -> bool:
        return client.session is not None

    def join(  # type: ignore[override]
        self,
        output: Any = None,
        consume_output: bool = False,
        timeout: float | None = None,
        *,
        cancel_on_timeout: bool = False,
    ) -> None:
        """Wait until all remote commands in output have finished
        and retrieve exit codes. Does *not* block other commands from
        running in parallel.

        Output not yet read is kept for the output generators, unless
        ``consume_output`` is set.

        :param output: Output of commands to join on
        :type output: dict as returned by
          :py:meth:`get_output`
        :param consume_output: Whether or not join should consume output
          buffers. Output buffers will be empty after ``join`` if set
          to ``True``. Must be set to ``True`` to allow host logger to log
          output on call to ``join`` when host logger has been enabled.
        :type consume_output: bool
        :param timeout: Timeout in seconds if remote command is not yet
          finished, for all hosts together.
        :type timeout: int
        :param output: Output of commands to join on; defaults to the output of
          the last ``run_command`` (2.x). A list (``return_list=True``) works too.
        :param cancel_on_timeout: (Optional, keyword only) When ``timeout``
          is reached, cancel the commands still running
          (:py:meth:`cancel` with its defaults: ``TERM``, then their channels
          are closed after 5 seconds) before raising.
        :type cancel_on_timeout: bool
        :raises: :py:class:`pssh.exceptions.Timeout` on timeout requested and
          reached with commands still running; as in 2.x, ``args[2]`` is the
          list of outputs that finished and ``args[3]`` those still running.
        :rtype: ``None``
        """
        super().join(
            output, consume_output=consume_output, timeout=timeout,
            cancel_on_timeout=cancel_on_timeout,
        )  # fmt: skip

    def copy_remote_file(  # type: ignore[override]
        self,
        remote_file: str,
        local_file: str,
        recurse: bool = False,
        suffix_separator: str = "_",
        copy_args: Any = None,
        encoding: str = "utf-8",
    ) -> list[gevent.Greenlet]:
        """Copy remote file(s) in parallel as
        <local_file><suffix_separator><host>

        With a ``local_file`` value of ``myfile`` and default separator ``_``
        the resulting filename will be ``myfile_myhost`` for the file from host
        ``myhost``.

        This function, like :py:meth:`copy_file`, returns a
        list of greenlets which can be `join`-ed on to wait for completion.

        :py:func:`gevent.joinall` function may be used to join on all greenlets
        and will also raise exceptions if called with ``raise_error=True`` -
        default is `False`.

        Alternatively call `.get` on each greenlet to raise any exceptions from
        it.

        Exceptions listed here are raised when either
        ``gevent.joinall(<greenlets>, raise_error=True)`` is called or ``.get``
        is called on each greenlet, not this function itself.

        :param remote_file: remote filepath to copy to local host
        :type remote_file: str
        :param local_file: local filepath on local host to copy file to
        :type local_file: str
        :param recurse: whether or not to recurse
        :type recurse: bool
        :param suffix_separator: (Optional) Separator string between
          filename and host, defaults to ``_``. For example, for a
          ``local_file`` value of ``myfile`` and default separator the
          resulting filename will be ``myfile_myhost`` for the file from
          host ``myhost``. ``suffix_separator`` has no meaning if
          ``copy_args`` is provided
        :type suffix_separator: str
        :param copy_args: (Optional) format remote_file and local_file strings
          with per-host arguments in ``copy_args``. ``copy_args`` length must
          equal length of host list -
          :py:class:`pssh.exceptions.HostArgumentException` is raised otherwise
        :type copy_args: tuple or list
        :param encoding: Encoding to use for file paths.
        :type encoding: str
        :rtype: list(:py:class:`gevent.Greenlet`) of greenlets for remote copy
          commands

        :raises: :py:class:`ValueError` when a directory is supplied to
          local_file and recurse is not set
        :raises: :py:class:`pssh.exceptions.HostArgumentException` on number of
          per-host copy arguments not equal to number of hosts
        :raises: :py:class:`pssh.exceptions.SFTPError` on SFTP initialisation
          errors
        :raises: :py:class:`pssh.exceptions.SFTPIOError` on I/O errors reading
          from SFTP
        :raises: :py:class:`OSError` on local OS errors like permission denied

        .. note ::
          Local directories in ``local_file`` that do not exist will be
          created as long as permissions allow.

        .. note ::
          File names will be de-duplicated by appending the hostname to the
          filepath separated by ``suffix_separator``.

        .. note ::
          Downloaded files and folders get the remote permission bits
          without setuid, setgid and sticky bits and within the local umask
          (``remote mode & 0o777 & ~umask``). Remote names that are not one
          plain file name (``..``, ``.``, empty, holding ``/`` or NUL once
          decoded) are skipped with a warning naming host and name, and a
          symbolic link found in the local destination is never followed
          (the copy of that host fails instead). See :doc:`/security`.
        """
        return super().copy_remote_file(
            remote_file,
            local_file,
            recurse=recurse,
            suffix_separator=suffix_separator,
            copy_args=copy_args,
            encoding=encoding,
        )

    def scp_send(
        self, local_file: str, remote_file: str, recurse: bool = False, copy_args: Any = None
    ) -> list[gevent.Greenlet]:
        """Copy local file to remote file in parallel via SCP.

        Like :py:meth:`copy_file`, returns greenlets to join; exceptions
        (:py:class:`pssh.exceptions.SCPError` among them) are raised by
        ``gevent.joinall(greenlets, raise_error=True)`` or ``.get()``.

        :param local_file: Local filepath to copy to remote host
        :type local_file: str
        :param remote_file: Remote filepath on remote host to copy file to
        :type remote_file: str
        :param recurse: Whether or not to descend into directories recursively.
        :type recurse: bool
        :param copy_args: (Optional) per-host format arguments for both paths
        :type copy_args: tuple or list
        :rtype: list(:py:class:`gevent.Greenlet`)

        .. note ::
          A new remote file is created by the remote scp with the local
          file's permission bits from its first byte (a file that exists
          keeps its own, as with OpenSSH's ``scp``). See :doc:`/security`.
        """
        return self._copies.uploads("scp_send", local_file, remote_file, recurse, copy_args)

    def scp_recv(
        self,
        remote_file: str,
        local_file: str,
        recurse: bool = False,
        copy_args: Any = None,
        suffix_separator: str = "_",
    ) -> list[gevent.Greenlet]:
        """Copy remote file(s) in parallel via SCP as
        ``<local_file><suffix_separator><host>``.

        Like :py:meth:`copy_remote_file`, returns greenlets to join.

        :param remote_file: remote filepath to copy to local host
        :type remote_file: str
        :param local_file: local filepath on local host to copy file to
        :type local_file: str
        :param recurse: whether or not to recurse
        :type recurse: bool
        :param copy_args: (Optional) per-host format arguments for both paths;
          ``suffix_separator`` has no meaning when it is given
        :type copy_args: tuple or list
        :param suffix_separator: Separator between file name and host
        :type suffix_separator: str
        :rtype: list(:py:class:`gevent.Greenlet`)

        .. note ::
          Downloaded files and folders get the remote permission bits
          without setuid, setgid and sticky bits and within the local umask
          (``remote mode & 0o777 & ~umask``). Remote names that are not one
          plain file name (``..``, ``.``, empty, holding ``/`` or NUL once
          decoded) are skipped with a warning naming host and name, and a
          symbolic link found in the local destination is never followed
          (the copy of that host fails instead). See :doc:`/security`.
        """
        return self._copies.downloads(
            "scp_recv", remote_file, local_file, recurse, suffix_separator, copy_args
        )
