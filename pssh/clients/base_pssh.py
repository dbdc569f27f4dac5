"""Abstract parallel SSH client package

:class:`BaseParallelSSHClient` is the public face of the parallel clients:
it runs each operation for every host in a gevent pool (``pool_size`` hosts
at a time) and hands the work to small parts, one concern each:
``_host_clients`` (one single-host client per host, made
lazily, reused), ``_tasks`` (per-host tasks and
arguments), ``_completion`` (join, results as hosts finish,
exit codes, cancelling), ``_watch`` (``on_line`` and
``on_finished``), ``_copy_fanout`` (copies),
``_rollout`` (batches and reruns) and
``_parallel_shells`` (interactive shells). A backend
supplies only ``_make_ssh_client``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import gevent
import gevent.pool

from .._batches import BatchOutput
from ..constants import DEFAULT_RETRIES, RETRY_DELAY
from ..output import HostOutput
from ._completion import Completion
from ._copy_fanout import CopyFanOut
from ._host_clients import HostClients
from ._host_config import check_host_config
from ._limits import raise_open_files_limit
from ._parallel_shells import ParallelShells
from ._rollout import Rollout
from ._shell import InteractiveShell
from ._tasks import (
    check_per_host,
    command_task,
    dedupe_key,
    format_per_host,
    host_output,
    run_for_host,
)
from ._watch import check_callbacks, watch

logger = logging.getLogger("pssh.clients")
host_logger = logging.getLogger("pssh.host_logger")


class BaseParallelSSHClient:
    """Parallel client base class."""

    def __init__(
        self,
        hosts: Iterable[str],
        user: str | None = None,
        password: str | None = None,
        port: int | None = None,
        pkey: Any = None,
        allow_agent: bool = True,
        num_retries: int = DEFAULT_RETRIES,
        timeout: float | None = 120,
        pool_size: int = 10,
        host_config: dict | None = None,
        retry_delay: float = RETRY_DELAY,
    ) -> None:
        if pool_size < 1:
            raise ValueError("pool_size must be at least 1, got %r" % (pool_size,))
        self.hosts = hosts  # type: ignore[assignment]
        self.user = user
        self.password = password
        self.port = port
        self.pkey = pkey
        self.allow_agent = allow_agent
        self.num_retries = num_retries
        self.timeout = timeout
        self.pool_size = pool_size
        self.pool = gevent.pool.Pool(pool_size)
        check_host_config(host_config, self._hosts)
        self.host_config = host_config or {}
        """Per-host settings (1.8.0's dict of ``user``, ``port``, ``password``,
        ``private_key`` by host name, or 2.x's list of
        :class:`pssh.config.HostConfig` by position): merged into each host's
        settings by ``settings_for`` (``pssh.clients._settings``)."""
        self.retry_delay = retry_delay
        self.host_clients: dict[Any, Any] = {}
        self.cmds: list[gevent.Greenlet] | None = None
        self._last_output: Any = None
        self._next_targets: list[tuple[int | None, str, str]] | None = None
        self._clients = HostClients(
            self.host_clients, self._new_client, lambda client: self._client_alive(client),
            lambda: isinstance(self.host_config, (list, tuple)),
        )  # fmt: skip
        self._completion = Completion(self._client_of, lambda: self._last_output)
        self._copies = CopyFanOut(self.pool, self._get_client, lambda: self._hosts)
        self._rollout = Rollout(self, self._run_targets)
        self._shells = ParallelShells(
            self.pool, self._get_client, lambda: self._hosts, lambda: self.timeout
        )
        # Connections stay open after each call, so every host needs its own
        # descriptor, however small the pool.
        raise_open_files_limit(max(pool_size, len(self._hosts)))

    # -- hosts and their clients -----------------------------------------

    @property
    def hosts(self) -> list[str]:
        """The hosts operations run on. Any iterable may be assigned (it is
        read once into a list); a plain string raises :py:class:`TypeError`."""
        return self._hosts

    @hosts.setter
    def hosts(self, value: Iterable[str]) -> None:
        if isinstance(value, (str, bytes)):
            raise TypeError(
                "Hosts must be a list or other iterable of host names, not a string: %r" % (value,)
            )
        hosts = list(value)
        for host in hosts:
            if not isinstance(host, str):
                raise TypeError("Host names must be strings, got %r" % (host,))
        self._hosts = hosts
        if "host_clients" in self.__dict__:  # hosts changed after construction
            raise_open_files_limit(max(self.pool_size, len(hosts) + len(self.host_clients)))

    def _get_client(self, host: str, index: int | None = None) -> Any:
        """The connected client for ``host`` (at position ``index`` of
        ``hosts``, when known), made on first use."""
        return self._clients.get(host, index, self._hosts)

    def _host_index(self, host: str, index: int | None) -> int | None:
        """``index``, else the host's first position in ``hosts`` (a list
        ``host_config`` is read by position)."""
        return self._clients.position(host, index, self._hosts)

    def _client_alive(self, client: Any) -> bool:
        return True

    def _new_client(self, host: str, index: int | None) -> Any:
        # looked up on each call: a subclass (or a test) may replace _make_ssh_client,
        # and one taking only the host (1.8.0's) is called so
        if index is None:
            return self._make_ssh_client(host)
        return self._make_ssh_client(host, index)

    def _make_ssh_client(self, host: str, index: int | None = None) -> Any:
        raise NotImplementedError

    def _client_of(self, host_out: HostOutput) -> Any:
        # the client that ran the command, else the host's current one
        client = host_out._client
        return client if client is not None else self.host_clients.get(host_out.host)

    # -- running commands -------------------------------------------------

    def run_command(
        self,
        command: str,
        user: str | None = None,
        stop_on_errors: bool = True,
        host_args: Any = None,
        use_pty: bool = False,
        shell: str | None = None,
        encoding: str = "utf-8",
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """Run command on all hosts in parallel, honoring ``self.pool_size``,
        and return output dictionary (see the backends' documentation).

        The 2.x and fleet keyword arguments (``read_timeout``, ``return_list``,
        ``on_started``, ``on_finished``, ``on_line``, ``keep_output``) are
        handled here, once, for both clients."""
        greenlet_timeout = kwargs.pop("greenlet_timeout", None)
        return_list = kwargs.pop("return_list", False)
        on_finished = kwargs.pop("on_finished", None)
        on_line = kwargs.pop("on_line", None)
        on_started = kwargs.pop("on_started", None)
        keep_output = kwargs.pop("keep_output", False)
        read_timeout = kwargs.pop("read_timeout", None)
        if read_timeout is not None:
            if kwargs.get("timeout") is not None:
                raise ValueError(
                    "Give either timeout (1.8.0) or read_timeout (2.x), not both: %r and %r"
                    % (kwargs["timeout"], read_timeout)
                )
            kwargs["timeout"] = read_timeout
        check_callbacks(on_finished=on_finished, on_line=on_line, on_started=on_started)
        targets, self._next_targets = self._next_targets, None
        if targets is None:
            hosts = self.hosts
            check_per_host(host_args, hosts, "host arguments")
            targets = [
                (
                    i,
                    host,
                    format_per_host(command, host_args[i]) if host_args is not None else command,
                )
                for i, host in enumerate(hosts)
            ]
        "".encode(encoding)
        watched = on_finished is not None or on_line is not None
        watching = (on_line, keep_output, on_finished) if watched else None
        self.cmds = [
            self.pool.spawn(
                self._start_host, host, text, index, (on_started, watching), *args,
                user=user, use_pty=use_pty, shell=shell, encoding=encoding, **kwargs,
            )
            for index, host, text in targets
        ]  # fmt: skip
        output: dict[str, HostOutput] = {}
        failure: BaseException | None = None
        for cmd in self.cmds:
            failed = self.get_output(cmd, output, timeout=greenlet_timeout)
            if failed is not None and stop_on_errors:
                failure = failed
                break
        self._last_output = output
        if failure is not None:
            raise failure
        return list(output.values()) if return_list else output

    def _run_targets(self, targets: list[tuple[int | None, str, str]], command: str,
                     kwargs: dict[str, Any]) -> Any:  # fmt: skip
        """``run_command`` on ``targets`` only: ``(position in hosts or None, host,
        command text)`` each (the rollout's batches and reruns; ``command`` is
        only the template they came from)."""
        self._next_targets = targets
        try:
            return self.run_command(command, **kwargs)
        finally:
            self._next_targets = None

    def _start_host(
        self, host: str, command: str, index: int | None, callbacks: tuple,
        *args: Any, **kwargs: Any,
    ) -> Any:  # fmt: skip
        # One host's pool task: start the command; with callbacks, make its output,
        # hand it to on_started and start its watcher at once (not when the caller's
        # loop reaches the host). That output waits on the task for get_output, which
        # takes it off (the task keeping it would make a cycle that holds the channel
        # after the user drops the output).
        result = command_task(
            host, self._run_command, host, command, *args, _host_index=index, **kwargs
        )
        on_started, watching = callbacks
        if on_started is not None or watching is not None:
            task = gevent.getcurrent()
            host_out = host_output(task, result, self.host_clients)
            task._pssh_output = host_out  # type: ignore[attr-defined]
            if on_started is not None:
                on_started(host_out)  # its error is raised by run_command
            if watching is not None:
                host_out._watcher = gevent.spawn(watch, host_out, self._client_of, *watching)
        return result

    def _run_command(self, host: str, command: str, *args: Any, **kwargs: Any) -> Any:
        index = kwargs.pop("_host_index", None)
        self._rollout.record(host, index, command, args, kwargs)  # before connecting
        client = self._get_client(host, index)
        # the client get_output gives the output (a host may have several)
        gevent.getcurrent()._pssh_client = client  # type: ignore[attr-defined]
        return client.run_command(command, *args, **kwargs)

    def get_output(
        self, cmd: gevent.Greenlet, output: dict, timeout: float | None = None
    ) -> BaseException | None:
        """Get output from command.

        :param cmd: Command to get output from
        :type cmd: :py:class:`gevent.Greenlet`
        :param output: Dictionary containing
          :py:class:`pssh.output.HostOutput` values to be updated with output
          from ``cmd``
        :type output: dict
        :param timeout: Seconds to wait for the command to start (raises
          :py:class:`gevent.Timeout`).
        :returns: the host's exception if it failed (it is also put in its
          output), else ``None``.
        :rtype: :py:class:`BaseException` or ``None``
        """
        result = cmd.get(timeout=timeout)
        host_out = cmd.__dict__.pop("_pssh_output", None)  # made by the task (callbacks)
        if host_out is None:
            host_out = host_output(cmd, result, self.host_clients)
        output[dedupe_key(host_out.host, output)] = host_out
        # failed to start (a watcher may set the exception of one that started, later)
        return host_out.exception if host_out.channel is None else None

    def get_last_output(
        self, cmds: list[gevent.Greenlet] | None = None
    ) -> dict[str, HostOutput] | None:
        """Get output for last commands executed by ``run_command``

        :param cmds: Commands to get output for. Defaults to ``client.cmds``
        :type cmds: list(:py:class:`gevent.Greenlet`)
        :rtype: dict, or ``None`` when no command has been run
        """
        cmds = self.cmds if cmds is None else cmds
        if cmds is None:
            return None
        output: dict[str, HostOutput] = {}
        for cmd in cmds:
            self.get_output(cmd, output)
        return output

    # -- completion (pssh.clients._completion) -----------------------------

    def join(
        self,
        output: Any = None,
        consume_output: bool = False,
        timeout: float | None = None,
        *,
        cancel_on_timeout: bool = False,
    ) -> None:
        """Wait until all remote commands in ``output`` have finished and
        retrieve exit codes (see the backends' documentation)."""
        self._completion.join(output, consume_output, timeout, cancel_on_timeout)

    def as_completed(
        self, output: Any = None, timeout: float | None = None
    ) -> Iterator[HostOutput]:
        """Yield each host output of ``output`` as soon as its command has
        ended: its exit code is set, or its ``exception`` (a host that failed
        to connect comes first). Output not yet read stays readable from the
        yielded :py:class:`pssh.output.HostOutput`.

        :param output: As returned by ``run_command`` (dict or list);
          defaults to the last run's.
        :param timeout: Seconds the whole iteration may take; ``None``: no
          limit.
        :raises: :py:class:`pssh.exceptions.Timeout` naming the hosts still
          running when ``timeout`` is reached (``args[2]``: the outputs
          yielded, ``args[3]``: those still running, as ``join``'s).
        """
        return self._completion.as_completed(output, timeout)

    def cancel(self, output: Any = None, signal: str = "TERM", grace: float | None = 5) -> None:
        """Stop the commands of ``output`` still running: send each the SSH
        ``signal`` request, wait up to ``grace`` seconds for them to end,
        then close the channels of those still running (which hangs up a
        PTY). Commands already finished are left alone. Whether a signal
        reaches the command is up to the server: see "Cancelling remote
        commands" in :doc:`/advanced`.

        :param output: As returned by ``run_command`` (dict or list), or a
          list of host outputs; defaults to the last run's.
        :param signal: Signal name without ``SIG`` (``'TERM'``, ``'KILL'``,
          ``'INT'``, ``'HUP'``...); ``None`` closes the channels at once.
        :param grace: Seconds to wait for the commands to end after the
          signal, before closing their channels.
        """
        self._completion.cancel(output, signal, grace)

    def finished(self, output: dict) -> bool:
        """Check if commands have finished without blocking

        :param output: As returned by
          :py:meth:`get_output`
        :rtype: bool
        """
        return self._completion.finished(output)

    def get_exit_code(self, host_output: HostOutput) -> int | None:
        """Get exit code from host output *if available*.

        :param host_output: Per host output as returned by
          :py:meth:`get_output`
        :rtype: int or None if exit code not ready (or ``host_output`` is
          not a :py:class:`pssh.output.HostOutput`)
        """
        return self._completion.exit_code(host_output)

    def get_exit_codes(self, output: dict) -> None:
        """Get exit code for all hosts in output *if available*.
        Output parameter is modified in-place.

        :param output: As returned by
          :py:meth:`get_output`
        :rtype: None
        """
        self._completion.set_exit_codes(output)

    def reset_output_generators(
        self,
        host_out: HostOutput,
        timeout: float | None = None,
        client: Any = None,
        channel: Any = None,
        encoding: str = "utf-8",
    ) -> tuple[Any, Any]:
        """Reset output generators for host output.

        The new generators resume where the old ones stopped; no output is
        lost.

        :param host_out: Host output
        :type host_out: :py:class:`pssh.output.HostOutput`
        :param client: (Optional) SSH client
        :type client: :py:class:`pssh.clients.native.single.SSHClient` or
          :py:class:`pssh.clients.miko.single.SSHClient`
        :param channel: (Optional) SSH channel
        :type channel: :py:class:`ssh2.channel.Channel`
        :param timeout: (Optional) Timeout setting of the new generators:
          seconds without output before reading raises
          :py:class:`pssh.exceptions.Timeout`. Defaults to no timeout.
        :type timeout: int
        :param encoding: (Optional) Kept for compatibility: output is decoded
          with the encoding given to ``run_command``.
        :type encoding: str

        :rtype: tuple(stdout, stderr)
        """
        return self._completion.reset_generators(
            host_out, timeout, client, channel, keep_timeout=False
        )

    # -- copying files (pssh.clients._copy_fanout) --------------------------

    def copy_file(
        self, local_file: str, remote_file: str, recurse: bool = False, copy_args: Any = None
    ) -> list[gevent.Greenlet]:
        """Copy local file to remote file in parallel

        This function returns a list of greenlets which can be
        `join`-ed on to wait for completion.

        :py:func:`gevent.joinall` function may be used to join on all greenlets
        and will also raise exceptions from them if called with
        ``raise_error=True`` - default is `False`.

        Alternatively call `.get` on each greenlet to raise any exceptions from
        it.

        Exceptions listed here are raised when either
        ``gevent.joinall(<greenlets>, raise_error=True)`` is called or ``.get``
        is called on each greenlet, not this function itself.

        :param local_file: Local filepath to copy to remote host
        :type local_file: str
        :param remote_file: Remote filepath on remote host to copy file to
        :type remote_file: str
        :param recurse: Whether or not to descend into directories recursively.
        :type recurse: bool
        :param copy_args: (Optional) format local_file and remote_file strings
          with per-host arguments in ``copy_args``. ``copy_args`` length must
          equal length of host list -
          :py:class:`pssh.exceptions.HostArgumentException` is raised otherwise
        :type copy_args: tuple or list

        :rtype: List(:py:class:`gevent.Greenlet`) of greenlets for remote copy
          commands

        :raises: :py:class:`ValueError` when a directory is supplied to
          local_file and recurse is not set
        :raises: :py:class:`pssh.exceptions.HostArgumentException` on number of
          per-host copy arguments not equal to number of hosts
        :raises: :py:class:`IOError` on I/O errors writing files
        :raises: :py:class:`OSError` on OS errors like permission denied

        .. note ::

          Remote directories in `remote_file` that do not exist will be
          created as long as permissions allow.

        .. note ::
          The remote file is created with its final permission bits before
          any data is written to it, so it is never readable more widely
          while the copy runs. See :doc:`/security`.
        """
        return self._copies.uploads("copy_file", local_file, remote_file, recurse, copy_args)

    def copy_remote_file(
        self,
        remote_file: str,
        local_file: str,
        recurse: bool = False,
        suffix_separator: str = "_",
        copy_args: Any = None,
        **kwargs: Any,
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
        :param copy_args: (Optional) Format remote_file and local_file strings
          with per-host arguments in ``copy_args``. ``copy_args`` length must
          equal length of host list -
          :py:class:`pssh.exceptions.HostArgumentException` is raised otherwise
        :type copy_args: tuple or list
        :rtype: list(:py:class:`gevent.Greenlet`) of greenlets for remote copy
          commands

        :raises: :py:class:`ValueError` when a directory is supplied to
          local_file and recurse is not set
        :raises: :py:class:`pssh.exceptions.HostArgumentException` on number of
          per-host copy arguments not equal to number of hosts
        :raises: :py:class:`IOError` on I/O errors writing files
        :raises: :py:class:`OSError` on OS errors like permission denied

        .. note ::
          Local directories in `local_file` that do not exist will be
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
        return self._copies.downloads(
            "copy_remote_file", remote_file, local_file, recurse, suffix_separator, copy_args,
            **kwargs,
        )  # fmt: skip

    # -- fleet operations (pssh.clients._rollout) ---------------------------

    def run_in_batches(
        self,
        command: str,
        batches: Sequence[int | str] = (1, "10%", "100%"),
        max_failures: int | str = 0,
        host_args: Any = None,
        join_timeout: float | None = None,
        *,
        cancel_on_timeout: bool = False,
        **run_command_kwargs: Any,
    ) -> BatchOutput:
        """Roll ``command`` out in batches, stopping when too many hosts fail.

        Runs the command on the first batch of hosts, waits for it to end there
        (``join``), counts the failed hosts so far (any cause of
        :func:`pssh.summary.summarize`), and starts the next batch only while
        they are within ``max_failures``. Hosts never started because the budget
        ran out are in the result with ``exception`` set to
        :class:`~pssh.exceptions.NotStartedError`; nothing is run on them (they
        are not even connected to).

        :param command: the command, as for ``run_command``
        :param batches: cumulative targets: a number of hosts or a percentage of
          all hosts (``'10%'``: up to 10% of all hosts done after this batch).
          Hosts past the last target run in one more batch.
        :param max_failures: most failed hosts allowed so far: a count (``0``:
          stop at the first failure) or a percentage of the hosts run so far
          (``'20%'``)
        :param host_args: per-host arguments for all the client's hosts, as
          for ``run_command``
        :param join_timeout: seconds each batch may run; hosts still running
          then count as failed (``'timeout'``) and their commands are left
          running, unless ``cancel_on_timeout``
        :param cancel_on_timeout: (keyword only) cancel the commands of a batch
          still running after ``join_timeout`` (as ``join`` does), before
          counting them
        :param run_command_kwargs: passed to ``run_command`` for every batch
          (``stop_on_errors`` defaults to ``False`` here: a host that cannot be
          reached is a failure to count, not an exception)
        :returns: every host's output, in host order, with ``batches`` (the
          output keys of each batch) and ``stopped_batch`` (the batch after
          which the rollout stopped, or ``None``): pass it to
          :func:`pssh.summary.summarize`, which reports both
        :rtype: :class:`pssh._batches.BatchOutput`
        :raises: :py:class:`ValueError` on a bad ``batches`` or ``max_failures``;
          :class:`~pssh.exceptions.HostArgumentException` on too few ``host_args``
        """
        return self._rollout.run_in_batches(
            command, batches, max_failures, host_args, join_timeout, cancel_on_timeout,
            run_command_kwargs,
        )  # fmt: skip

    def rerun(
        self, output: dict, failed_only: bool = True, **run_command_kwargs: Any
    ) -> dict[str, HostOutput]:
        """Run again, on the hosts of ``output`` that failed, what ran there.

        Each host gets the command it ran (its ``host_args`` entry already
        applied) with the options it ran with (``user``, ``use_pty``,
        ``shell``, ``encoding``, ``sudo``...), unless ``run_command_kwargs``
        says otherwise. Hosts a :meth:`run_in_batches` rollout never started
        get the command they would have run.

        :param output: an output of ``run_command``, ``run_in_batches`` or
          ``rerun`` made by this client
        :param failed_only: ``False`` runs again on every host of ``output``
        :param run_command_kwargs: passed to ``run_command`` (``stop_on_errors``
          defaults to ``False``; ``host_args`` is not allowed: the commands are
          those that ran)
        :returns: a new output dictionary with just those hosts (empty when
          nothing failed)
        :rtype: dict
        :raises: :py:class:`ValueError` for a host whose command this client
          did not run (an output made elsewhere)
        """
        return self._rollout.rerun(output, failed_only, run_command_kwargs)

    # -- interactive shells, parallel-ssh 2.x (pssh.clients._parallel_shells)

    def open_shell(
        self,
        encoding: str = "utf-8",
        read_timeout: float | None = None,
        *,
        stop_on_errors: bool = True,
    ) -> list[InteractiveShell]:
        """Open an interactive login shell on every host, in parallel.

        Give the shells commands with :py:meth:`run_shell_commands` (or each shell's
        ``run``), then wait for them with :py:meth:`join_shells` and read each shell's
        ``stdout``, ``stderr`` and ``exit_code`` (the last command's). See :doc:`/advanced`.

        :param encoding: Encoding of the commands written and of the output.
        :type encoding: str
        :param read_timeout: (Optional) Seconds without output after which reading a
          shell's ``stdout``/``stderr`` raises :py:class:`pssh.exceptions.Timeout`.
        :type read_timeout: float
        :param stop_on_errors: (Optional, keyword; not in parallel-ssh 2.x) ``True``
          (default, as 2.x): the first host's failure is raised, after the shells opened
          on the other hosts are closed. ``False``: a host that failed gets a closed shell
          whose ``output.exception`` is its error, which the other shell methods skip.
        :type stop_on_errors: bool
        :returns: The shells of ``self.hosts``, in order.
        :rtype: list(:py:class:`pssh.clients._shell.InteractiveShell`)
        :raises: the failed host's exception (naming it) when ``stop_on_errors``.
        """
        return self._shells.open(encoding, read_timeout, stop_on_errors)

    def run_shell_commands(self, shells: list[InteractiveShell], commands: Any) -> None:
        """Run command(s) on every shell, in parallel: each shell runs them in order.

        :param shells: Shells from :py:meth:`open_shell`; shells of failed hosts
          (``output.exception`` set) are skipped.
        :type shells: list(:py:class:`pssh.clients._shell.InteractiveShell`)
        :param commands: One command line (several lines run one after the other) or a
          list of them.
        :type commands: str or list(str)
        :raises: :py:class:`pssh.exceptions.ShellError` naming the host when a shell was
          closed (joined) already; a connection error of a host, naming it. Every shell is
          given the commands before the first error is raised.
        """
        self._shells.run(shells, commands)

    def join_shells(self, shells: list[InteractiveShell], timeout: float | None = None) -> None:
        """Wait for the shells' commands to finish and close the shells, in parallel: their
        output can then be read without waiting, and ``exit_code`` is each shell's last
        command's. Closed shells run no more commands.

        :param shells: Shells from :py:meth:`open_shell` (those of failed hosts are skipped).
        :type shells: list(:py:class:`pssh.clients._shell.InteractiveShell`)
        :param timeout: (Optional) Seconds to wait at most. Defaults to ``self.timeout``,
          as in parallel-ssh 2.x (``None`` there waits as long as the commands run).
        :type timeout: float
        :raises: :py:class:`pssh.exceptions.Timeout` when shells are still running after
          ``timeout``: its ``args`` are ``(message, timeout, finished_shells,
          unfinished_shells)`` as in 2.x (also the attributes ``finished_shells`` and
          ``unfinished_shells``); the unfinished shells keep running (join them again).
          Else a host's connection error, naming it.
        """
        self._shells.join(shells, timeout)

    # -- connections (parallel-ssh 2.x) -----------------------------------

    def connect_auth(self) -> list[gevent.Greenlet]:
        """Connect to and authenticate with every host now, in parallel
        (``pool_size`` at a time), without running anything: login and the
        remote commands can then be timed, or fail, apart. Not needed before
        other calls, which connect on first use; hosts already connected are
        not connected again.

        As in parallel-ssh 2.x it returns at once and raises nothing itself:
        a host's failure (:py:class:`pssh.exceptions.AuthenticationException`,
        :py:class:`pssh.exceptions.ConnectionErrorException`...) is raised,
        naming the host, when its greenlet is joined with
        ``gevent.joinall(greenlets, raise_error=True)`` or ``.get()``; the
        other hosts are still connected. ``stop_on_errors`` does not apply:
        ``gevent.joinall(greenlets)`` without ``raise_error`` leaves every
        failure in its greenlet's ``exception``. A host that failed here is
        tried again by the next call that needs it.

        :returns: One greenlet per entry of ``hosts``, in that order, each
          returning the host's connected single-host client.
        :rtype: list(:py:class:`gevent.Greenlet`)
        """
        return [
            self.pool.spawn(run_for_host, host, self._get_client, host, i)
            for i, host in enumerate(self.hosts)
        ]


__all__ = ["BaseParallelSSHClient", "host_logger", "logger"]
