"""Paramiko based parallel client: the paramiko backend of
:class:`pssh.clients.base_pssh.BaseParallelSSHClient`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import gevent

from ...constants import DEFAULT_RETRIES, RETRY_DELAY
from ...output import HostOutput
from .._host_keys import ConfigArg, KnownHostsArg, PolicyArg
from .._settings import ProxyArgs, settings_for
from ..base_pssh import BaseParallelSSHClient
from ._proxies import SharedProxies
from .single import PKeyArg, SSHClient, check_paramiko_kwargs, given, load_pkey

logger = logging.getLogger(__name__)


class ParallelSSHClient(BaseParallelSSHClient):
    """Parallel SSH client using paramiko based SSH client

    :param hosts: Hosts to connect to
    :type hosts: list(str)
    :param user: (Optional) User to login as. Defaults to logged in user or
      user from ~/.ssh/config or /etc/ssh/ssh_config if set
    :type user: str
    :param password: (Optional) Password to use for login. Defaults to
      no password
    :type password: str
    :param port: (Optional) Port number to use for SSH connection. Defaults
      to ``None`` which uses SSH default
    :type port: int
    :param pkey: (Optional) Client's private key to be used to connect with.
      A key file path is loaded with :func:`pssh.utils.load_private_key`.
    :type pkey: :py:class:`paramiko.pkey.PKey`
    :param num_retries: (Optional) Number of retries for connection attempts
      before the client gives up. Defaults to 3; 0 makes one attempt. Failed
      authentication is not retried.
    :type num_retries: int
    :param retry_delay: Number of seconds to wait between retries. Defaults
      to :py:data:`pssh.constants.RETRY_DELAY`
    :type retry_delay: int
    :param timeout: (Optional) Number of seconds to wait before connection
      and authentication attempt times out. Note that total time before
      timeout will be ``timeout`` * ``num_retries`` + (``retry_delay`` *
      (``num_retries``-1)) number of seconds.
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
    :param pool_size: (Optional) Greenlet pool size. Controls on how many
      hosts to execute tasks in parallel. Defaults to 10. Overhead in event
      loop will determine how high this can be set to, see scaling guide
      lines in project's readme.
    :type pool_size: int
    :param proxy_host: (Optional) SSH host to tunnel connection through
      so that SSH clients connect to host via client -> proxy_host -> host
    :type proxy_host: str
    :param proxy_port: (Optional) SSH port to use to login to proxy host if
      set. Defaults to 22.
    :type proxy_port: int
    :param proxy_user: (Optional) User to login to ``proxy_host`` as. Defaults
      to each host's user (as in 1.8.0).
    :type proxy_user: str
    :param proxy_password: (Optional) Password to login to ``proxy_host``
      with. Defaults to the hosts' ``password`` (as in 1.8.0).
    :type proxy_password: str
    :param proxy_pkey: (Optional) Private key to be used for authentication
      with ``proxy_host``. Defaults to the hosts' ``pkey`` (as in 1.8.0), then
      available keys from SSHAgent and user's home directory keys
    :type proxy_pkey: :py:class:`paramiko.pkey.PKey`
    :param agent: (Optional) SSH agent object to programmatically supply an
      agent to override system SSH agent with
    :type agent: :py:class:`pssh.agent.SSHAgent`
    :param host_config: (Optional) Per-host configuration for cases where
      not all hosts use the same configuration values.
    :type host_config: dict
    :param channel_timeout: (Optional) Time in seconds before reading from
      an SSH channel times out. For example with channel timeout set to one,
      trying to immediately gather output from a command producing no output
      for more than one second will timeout.
    :type channel_timeout: int
    :param allow_agent: (Optional) set to False to disable connecting to
      the system's SSH agent
    :type allow_agent: bool
    :param known_hosts: (Optional, keyword only) ``known_hosts`` file, or
      files, to check host keys against; new keys are recorded in the first.
      Defaults to ``UserKnownHostsFile`` from the OpenSSH configuration, else
      ``~/.ssh/known_hosts``, plus ``/etc/ssh/ssh_known_hosts``.
    :type known_hosts: str or list(str)
    :param host_key_policy: (Optional, keyword only) ``'strict'`` (an
      unknown or changed key fails the host), ``'accept-new'`` (an unknown
      key is recorded, a changed key fails the host) or ``'off'`` (no check).
      Defaults to ``StrictHostKeyChecking`` from the OpenSSH configuration (where ``no``
      means ``'accept-new'``: only this argument can turn checking off),
      else ``'accept-new'``. A refused key raises a
      :py:class:`pssh.exceptions.HostKeyError` subclass for that host only.
      See :doc:`/security`.
    :type host_key_policy: str
    :param ssh_config: (Optional, keyword only) OpenSSH client configuration
      file to read instead of ``~/.ssh/config`` and ``/etc/ssh/ssh_config``,
      or ``'none'`` for none.
    :type ssh_config: str

    :raises: :py:class:`pssh.exceptions.SSHException` for an OpenSSH
      configuration ``ssh`` would refuse.
    :raises: :py:class:`ValueError` for an unknown ``host_key_policy``.

    ``keepalive_seconds``, ``identity_auth``, ``ipv6_only``, ``compress`` and
    ``keyboard_interactive`` (keyword only, parallel-ssh 2.x): as on
    :class:`pssh.clients.miko.single.SSHClient`. ``host_config`` may also be
    a list of :class:`pssh.config.HostConfig`, one per entry of ``hosts``;
    hosts behind the same proxy share one connection to it
    (:doc:`/parallel-ssh-2x`).
    """

    def __init__(
        self,
        hosts: Iterable[str],
        user: str | None = None,
        password: str | None = None,
        port: int | None = None,
        pkey: PKeyArg = None,
        forward_ssh_agent: bool = False,
        num_retries: int = DEFAULT_RETRIES,
        timeout: float | None = 120,
        pool_size: int = 10,
        proxy_host: str | None = None,
        proxy_port: int = 22,
        proxy_user: str | None = None,
        proxy_password: str | None = None,
        proxy_pkey: PKeyArg = None,
        agent: Any = None,
        allow_agent: bool = True,
        host_config: dict | None = None,
        channel_timeout: float | None = None,
        retry_delay: float = RETRY_DELAY,
        *,
        known_hosts: KnownHostsArg = None,
        host_key_policy: PolicyArg = None,
        ssh_config: ConfigArg = None,
        keepalive_seconds: int | None = None,
        identity_auth: bool = True,
        ipv6_only: bool = False,
        compress: bool = False,
        keyboard_interactive: bool = False,
    ) -> None:
        pkey, proxy_pkey = load_pkey(pkey), load_pkey(proxy_pkey)
        # what every host's settings start from (pssh.clients._settings.settings_for)
        self._args = given(
            user=user, password=password, port=port, pkey=pkey, num_retries=num_retries,
            retry_delay=retry_delay, agent=agent, allow_agent=allow_agent, timeout=timeout,
            forward_ssh_agent=forward_ssh_agent, known_hosts=known_hosts,
            host_key_policy=host_key_policy, ssh_config=ssh_config,
            keepalive_seconds=keepalive_seconds, identity_auth=identity_auth,
            ipv6_only=ipv6_only, compress=compress, keyboard_interactive=keyboard_interactive,
            proxy=None if proxy_host is None else ProxyArgs(
                proxy_host, proxy_port, proxy_user, proxy_password, proxy_pkey
            ),
        )  # fmt: skip
        super().__init__(
            hosts, user=user, password=password, port=port, pkey=pkey,
            allow_agent=allow_agent, num_retries=num_retries, timeout=timeout,
            pool_size=pool_size, host_config=host_config, retry_delay=retry_delay,
        )  # fmt: skip
        self.forward_ssh_agent = forward_ssh_agent
        self.proxy_host = proxy_host
        self.proxy_port = proxy_port
        self.proxy_user = proxy_user
        self.proxy_password = proxy_password
        self.proxy_pkey = proxy_pkey
        self.agent = agent
        self.channel_timeout = channel_timeout
        self.known_hosts = known_hosts
        self.host_key_policy = self._args.host_key_policy
        self._ssh_config = self._args.ssh_config
        self._known_hosts_cache = self._args.known_hosts_cache  # one KnownHosts per set of files
        self._paramiko_kwargs: dict[str, Any] = {}
        # one connection per proxy (and credentials), shared by the hosts behind it
        self._proxies = SharedProxies()

    def run_command(  # type: ignore[override]
        self,
        command: str,
        sudo: bool = False,
        user: str | None = None,
        stop_on_errors: bool = True,
        shell: str | None = None,
        use_shell: bool = True,
        use_pty: bool = True,
        host_args: Any = None,
        encoding: str = "utf-8",
        *,
        read_timeout: float | None = None,
        return_list: bool = False,
        on_finished: Callable[[HostOutput], Any] | None = None,
        on_line: Callable[[str, str, str], Any] | None = None,
        keep_output: bool = False,
        on_started: Callable[[HostOutput], Any] | None = None,
        **paramiko_kwargs: Any,
    ) -> dict[str, HostOutput] | list[HostOutput]:
        """Run command on all hosts in parallel, honoring `self.pool_size`,
        and return output buffers.

        This function will block until all commands have been received
        by remote servers and then return immediately.

        More explicitly, function will return after connection and
        authentication establishment and after commands have been received
        by successfully established SSH channels.

        Any connection and/or authentication exceptions will be raised here
        and need catching *unless* ``run_command`` is called with
        ``stop_on_errors=False`` in which case exceptions are added to host
        output instead.

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
        :param use_shell: (Optional) Run command with or without shell.
          Defaults to True - use shell defined in user login to run command
          string
        :type use_shell: bool
        :param use_pty: (Optional) Enable/Disable use of pseudo terminal
          emulation. Disabling it will prohibit capturing standard input/output.
          This is required in majority of cases, exceptions being where a shell
          is not used and/or input/output is not required. In particular when
          running a command which deliberately closes input/output pipes, such
          as a daemon process, you may want to disable ``use_pty``.
          Defaults to ``True``
        :type use_pty: bool
        :param host_args: (Optional) Format command string with per-host
          arguments in ``host_args``. ``host_args`` length must equal length of
          host list - :py:class:`pssh.exceptions.HostArgumentException` is
          raised otherwise
        :type host_args: tuple or list
        :param encoding: Encoding to use for output. Must be valid
          `Python codec <https://docs.python.org/library/codecs.html>`_
        :type encoding: str
        :param paramiko_kwargs: (Optional) Extra keyword arguments to be
          passed on to :py:func:`paramiko.client.SSHClient.connect` when
          connecting to hosts not yet connected (``compress=True``, for
          example). ``greenlet_timeout`` and ``max_line_length`` (longest
          output line handed out whole, see
          :py:meth:`pssh.clients.miko.single.SSHClient.run_command`) are
          taken as the native client takes them.
        :type paramiko_kwargs: dict

        The keyword-only ``read_timeout``, ``return_list``, ``on_started``,
        ``on_finished``, ``on_line`` and ``keep_output`` work as in
        :py:meth:`pssh.clients.native.parallel.ParallelSSHClient.run_command`.

        :rtype: Dictionary with host as key and
          :py:class:`pssh.output.HostOutput` as value as per
          :py:meth:`get_output` (a list
          with ``return_list``)

        :raises: :py:class:`pssh.exceptions.AuthenticationException` on
          authentication error
        :raises: :py:class:`pssh.exceptions.UnknownHostException` on DNS
          resolution error
        :raises: :py:class:`pssh.exceptions.ConnectionErrorException` on error
          connecting
        :raises: :py:class:`pssh.exceptions.SSHException` on other undefined
          SSH errors
        :raises: :py:class:`pssh.exceptions.HostArgumentException` on number
          of host arguments not equal to number of hosts
        :raises: :py:class:`TypeError` on not enough host arguments for cmd
          string format, or on keyword arguments paramiko does not take
        :raises: :py:class:`KeyError` on no host argument key in arguments
          dict for cmd string format
        :raises: :py:class:`pssh.exceptions.ProxyError` on errors connecting
          to proxy if a proxy host has been set.
        """
        greenlet_timeout = paramiko_kwargs.pop("greenlet_timeout", None)
        max_line_length = paramiko_kwargs.pop("max_line_length", None)
        extras = {
            "read_timeout": read_timeout, "return_list": return_list,
            "on_finished": on_finished, "on_line": on_line, "keep_output": keep_output,
            "on_started": on_started,
        }  # fmt: skip
        check_paramiko_kwargs(paramiko_kwargs)
        self._paramiko_kwargs = paramiko_kwargs
        return super().run_command(
            command, user=user, stop_on_errors=stop_on_errors, host_args=host_args,
            use_pty=use_pty, shell=shell, encoding=encoding, sudo=sudo, use_shell=use_shell,
            greenlet_timeout=greenlet_timeout, max_line_length=max_line_length, **extras,
        )  # fmt: skip

    def get_output(  # type: ignore[override]
        self, cmd: gevent.Greenlet, output: dict, encoding: str = "utf-8",
        timeout: float | None = None,
    ) -> BaseException | None:  # fmt: skip
        """Get output from command ``greenlet``.

        ``output`` parameter is modified in-place.

        :param cmd: Command to get output from
        :type cmd: :py:class:`gevent.Greenlet`
        :param output: Dictionary containing
          :py:class:`pssh.output.HostOutput` values to be updated with output
          from ``cmd``
        :type output: dict
        :param encoding: Kept for compatibility: output is decoded with the
          encoding given to ``run_command``.
        :type encoding: str
        :param timeout: Seconds to wait for the command to start (raises
          :py:class:`gevent.Timeout`).
        :returns: the host's exception if it failed (it is also put in its
          output), else ``None``.
        :rtype: :py:class:`BaseException` or ``None``
        """
        return super().get_output(cmd, output, timeout=timeout)

    def _make_ssh_client(self, host: str, index: int | None = None) -> SSHClient:
        settings = settings_for(host, self._args, self.host_config, self._host_index(host, index))
        return SSHClient(
            host, channel_timeout=self.channel_timeout, _settings=settings,
            _proxies=self._proxies, **self._paramiko_kwargs,
        )  # fmt: skip

    def _client_alive(self, client: Any) -> bool:
        return bool(client.connected)

    def join(  # type: ignore[override]
        self,
        output: Any = None,
        consume_output: bool = False,
        timeout: float | None = None,
        *,
        cancel_on_timeout: bool = False,
    ) -> None:
        """Block until all remote commands in output have finished
        and retrieve exit codes

        Output not yet read is kept for the output generators, unless
        ``consume_output`` is set.

        :param output: Output of commands to join on
        :type output: dict as returned by
          :py:meth:`get_output`
        :param consume_output: Whether or not join should consume output
          buffers. Output buffers will be empty after ``join`` if set
          to ``True``. Must be set to ``True`` to allow host logger to log
          output on call to ``join``.
        :type consume_output: bool
        :param timeout: (Optional) Timeout in seconds for all hosts together.
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


__all__ = ["ParallelSSHClient", "logger"]
