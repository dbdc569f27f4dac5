"""Abstract parallel SSH client package

:class:`BaseParallelSSHClient` owns all fan-out: it runs each operation for
every host in a gevent pool (``pool_size`` hosts at a time), keeps one
single-host client per host (made lazily, reused by later calls), formats
per-host arguments, builds :class:`pssh.output.HostOutput` and joins. A
backend supplies only :meth:`BaseParallelSSHClient._make_ssh_client`.
"""

from __future__ import annotations

import inspect
import logging
import time
import weakref
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import gevent
import gevent.pool
from gevent.lock import Semaphore
from gevent.queue import Empty, Queue

from .._batches import BatchOutput, budget_spent, parse_budget, plan_batches
from ..constants import DEFAULT_RETRIES, RETRY_DELAY
from ..exceptions import HostArgumentException, NotStartedError, Timeout
from ..output import HostOutput
from ._limits import raise_open_files_limit
from ._settings import check_host_config
from ._shell import InteractiveShell

logger = logging.getLogger("pssh.clients")
host_logger = logging.getLogger("pssh.host_logger")


class _Failed:
    """What a per-host command task returns when it failed (so that gevent
    does not print a traceback for every unreachable host)."""

    __slots__ = ("exception", "host")

    def __init__(self, exception: BaseException, host: str) -> None:
        self.exception = exception
        self.host = host
        """The host as the user named it: the output key, even when the
        error names another (the ``HostName`` or a ``ProxyJump`` hop)."""


def _tag_host(exc: BaseException, host: str) -> None:
    """The one place a foreign exception leaving a per-host task is given
    its host (pssh's own exceptions carry it from construction)."""
    if getattr(exc, "host", None) is None:
        try:
            exc.host = host  # type: ignore[attr-defined]
        except AttributeError:
            pass


class _CallbackError(Exception):
    """Wraps an exception raised by a user's callback, so that it is told
    apart from the host's own errors and re-raised as it was."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(error)
        self.error = error


class CommandsTimeout(Timeout):
    """:py:class:`pssh.exceptions.Timeout` raised by ``join`` and
    ``as_completed`` with commands still running. Its ``args`` are 2.x's:
    ``(message, timeout, finished_output, unfinished_output)`` (lists of
    :py:class:`pssh.output.HostOutput`); its message names the hosts still
    running (the first ten)."""

    def __str__(self) -> str:
        timeout, unfinished = self.args[1], self.args[3]
        names = ", ".join(out.host for out in unfinished[:10])
        more = ", ..." if len(unfinished) > 10 else ""
        return "Commands still running after %s seconds on %s host(s): %s%s" % (
            timeout, len(unfinished), names, more,
        )  # fmt: skip


def still_running(
    timeout: float | None, finished: list[HostOutput], unfinished: list[HostOutput]
) -> CommandsTimeout:
    """The :class:`CommandsTimeout` for ``unfinished`` outputs after ``timeout``."""
    return CommandsTimeout(
        "Timeout of %s sec(s) reached with commands still running",
        timeout,
        finished,
        unfinished,
        host=unfinished[0].host if len(unfinished) == 1 else None,
    )


def _consume(lines: Any) -> None:
    if lines is not None:
        for _ in lines:
            pass


def format_per_host(template: str, args: Any) -> str:
    """``template % args``: a tuple fills positional, a dict named, anything
    else a single ``%s``. Raises TypeError/KeyError as ``%`` does."""
    return template % args


def dedupe_key(host: str, output: dict) -> str:
    """An output key for ``host`` not yet in ``output``: the host name, or
    ``host_1``, ``host_2``... for repeats of the same host."""
    if host not in output:
        return host
    n = 1
    while "%s_%d" % (host, n) in output:
        n += 1
    return "%s_%d" % (host, n)


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
        settings by :func:`pssh.clients._settings.settings_for`."""
        self.retry_delay = retry_delay
        self.host_clients: dict[str, Any] = {}
        self.cmds: list[gevent.Greenlet] | None = None
        self._connect_locks: dict[str, Semaphore] = {}
        self._ran: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._not_started: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        """Per command task: the command (host arguments applied) and options
        it ran with, for :meth:`rerun`."""
        # Connections stay open after each call, so every host needs its own
        # descriptor, however small the pool.
        raise_open_files_limit(max(pool_size, len(self._hosts)))

    # -- hosts ------------------------------------------------------------

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

    def _client_key(self, host: str, index: int | None) -> Any:
        """Where ``host_clients`` keeps the client of the host at position
        ``index`` of ``hosts``: the host name, or ``(index, host)`` for a host
        named more than once with a list ``host_config`` (2.x: each entry
        may have its own port, user or proxy)."""
        if index is None or not isinstance(self.host_config, (list, tuple)):
            return host
        return (index, host) if self._hosts.count(host) > 1 else host

    def _get_client(self, host: str, index: int | None = None) -> Any:
        """The connected client for ``host`` (at position ``index`` of
        ``hosts``, when known), made on first use."""
        key = self._client_key(host, index)
        client = self.host_clients.get(key)
        if client is not None and self._client_alive(client):
            return client
        lock = self._connect_locks.get(key)
        if lock is None:
            lock = self._connect_locks[key] = Semaphore()
        with lock:
            client = self.host_clients.get(key)
            if client is None or not self._client_alive(client):
                if isinstance(self.host_config, (list, tuple)):
                    client = self._make_ssh_client(host, index)
                else:
                    client = self._make_ssh_client(host)
                self.host_clients[key] = client
        return client

    def _host_index(self, host: str, index: int | None) -> int | None:
        """``index``, else the host's first position in ``hosts`` (a list
        ``host_config`` is read by position)."""
        if index is not None or not isinstance(self.host_config, (list, tuple)):
            return index
        return self._hosts.index(host) if host in self._hosts else None

    def _client_alive(self, client: Any) -> bool:
        return True

    def _make_ssh_client(self, host: str, index: int | None = None) -> Any:
        raise NotImplementedError

    def _check_args(self, args: Any, what: str) -> None:
        if args is not None and len(args) < len(self.hosts):
            raise HostArgumentException(
                "Number of %s (%s) is less than the number of hosts (%s)",
                what,
                len(args),
                len(self.hosts),
            )

    # -- running commands -------------------------------------------------

    def _spawn_per_host(self, host: str, func: Any, *args: Any, **kwargs: Any) -> gevent.Greenlet:
        return self.pool.spawn(self._run_for_host, host, func, *args, **kwargs)

    def _run_for_host(self, host: str, func: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            _tag_host(exc, host)
            raise

    def _command_task(self, host: str, func: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            _tag_host(exc, host)
            return _Failed(exc, host)

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
        ``on_finished``, ``on_line``, ``keep_output``) are handled here, once,
        for both clients."""
        greenlet_timeout = kwargs.pop("greenlet_timeout", None)
        return_list = kwargs.pop("return_list", False)
        on_finished = kwargs.pop("on_finished", None)
        on_line = kwargs.pop("on_line", None)
        keep_output = kwargs.pop("keep_output", False)
        read_timeout = kwargs.pop("read_timeout", None)
        if read_timeout is not None:
            if kwargs.get("timeout") is not None:
                raise ValueError(
                    "Give either timeout (1.8.0) or read_timeout (2.x), not both: %r and %r"
                    % (kwargs["timeout"], read_timeout)
                )
            kwargs["timeout"] = read_timeout
        for name, func in (("on_finished", on_finished), ("on_line", on_line)):
            if func is not None and not callable(func):
                raise TypeError("%s must be callable, got %r" % (name, func))
        hosts = self.hosts
        self._check_args(host_args, "host arguments")
        commands = [
            format_per_host(command, host_args[i]) if host_args is not None else command
            for i in range(len(hosts))
        ]
        "".encode(encoding)
        self.cmds = [
            self.pool.spawn(
                self._command_task,
                host,
                self._run_command,
                host,
                commands[i],
                *args,
                user=user,
                use_pty=use_pty,
                shell=shell,
                encoding=encoding,
                _host_index=i,
                **kwargs,
            )
            for i, host in enumerate(hosts)
        ]
        output: dict[str, HostOutput] = {}
        watch = on_finished is not None or on_line is not None
        failure: BaseException | None = None
        for cmd in self.cmds:
            failed = self.get_output(cmd, output, timeout=greenlet_timeout)
            if watch:
                host_out = list(output.values())[-1]
                host_out._watcher = gevent.spawn(
                    self._watch, host_out, on_line, keep_output, on_finished
                )
            if failed is not None and stop_on_errors:
                failure = failed
                break
        self._last_output = output
        if failure is not None:
            raise failure
        return list(output.values()) if return_list else output

    def _run_command(self, host: str, command: str, *args: Any, **kwargs: Any) -> Any:
        index = kwargs.pop("_host_index", None)
        # What ran, for rerun(): keyed by this task (the output's ``cmd``), recorded
        # before connecting, so that a host that cannot be reached can be rerun too.
        self._ran[gevent.getcurrent()] = (command, args, kwargs)
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
        :rtype: None (the host's exception, if it failed, is in its output)
        """
        result = cmd.get(timeout=timeout)
        if isinstance(result, _Failed):
            exc = result.exception
            host = result.host
            key = dedupe_key(host, output)
            alias = getattr(self.host_clients.get(host), "alias", None)
            output[key] = HostOutput(host, cmd, None, None, None, None, exception=exc, alias=alias)
            return exc
        channel, host, stdout, stderr, stdin = result
        key = dedupe_key(host, output)
        # the client that ran it (a host may have several, see HostConfig lists)
        client = getattr(cmd, "_pssh_client", None) or self.host_clients.get(host)
        command_info = getattr(client, "command_info", None)
        sent, read_timeout = command_info(channel) if command_info else (None, None)
        host_out = output[key] = HostOutput(
            host, cmd, channel, stdout, stderr, stdin,
            alias=getattr(client, "alias", None), read_timeout=read_timeout,
            fully_qualified_command=sent,
        )  # fmt: skip
        # The exit code is asked of the host's client when it is read.
        host_out._client = client
        return None

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

    # -- completion -------------------------------------------------------

    def _client_of(self, host_out: HostOutput) -> Any:
        # the client that ran the command, else the host's current one
        client = getattr(host_out, "_client", None)
        return client if client is not None else self.host_clients.get(host_out.host)

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
        outputs = self._outputs_of(output)
        todo = [
            out
            for out in outputs
            # a watcher (callbacks) is waited for even for a host that failed
            if out._watcher is not None or (out.exception is None and out.channel is not None)
        ]
        watchers = [out._watcher for out in outputs if out._watcher is not None]
        tasks = [
            gevent.spawn(self._run_for_host, out.host, self._join_host, out, consume_output)
            for out in todo
        ]
        finished = gevent.joinall(tasks, timeout=timeout)
        if len(finished) < len(tasks):
            running = [out for out, task in zip(todo, tasks) if not task.ready()]
            gevent.killall([task for task in tasks if not task.ready()], block=True)
            for out in todo:
                if out._watcher is None:  # a watcher's reading stays as it is
                    self._reset_generators(out)
            if cancel_on_timeout:
                self.cancel(running)
            done = [out for out in outputs if not any(out is r for r in running)]
            raise still_running(timeout, done, running)
        for out in todo:
            if out._watcher is None:
                self._reset_generators(out)
        for task in tasks:
            if task.exception is not None:
                raise task.exception
        for watcher in watchers:  # a failed callback is the caller's error
            if watcher.exception is not None:
                raise watcher.exception

    def _outputs_of(self, output: Any) -> list[HostOutput]:
        """The host outputs of ``output``: a dict or list as ``run_command``
        returns it, or ``None`` for the last run's."""
        if output is None:
            output = getattr(self, "_last_output", None)
            if output is None:
                raise ValueError("No output given and no command has been run yet")
        if isinstance(output, dict):
            values = list(output.values())
        elif isinstance(output, (list, tuple)):
            values = list(output)
        else:
            raise TypeError(
                "output must be a dict or list as returned by run_command, got %r" % (output,)
            )
        return [out for out in values if isinstance(out, HostOutput)]

    def _join_host(self, host_out: HostOutput, consume_output: bool) -> None:
        watcher = host_out._watcher
        if watcher is not None:
            # the client reads this output itself (on_line / on_finished)
            watcher.join()
            return
        client = self._client_of(host_out)
        if consume_output:
            # Both streams at once: a command blocked writing one never
            # finishes the other.
            reader = gevent.spawn(_consume, host_out.stderr)
            try:
                _consume(host_out.stdout)
                reader.get()
            finally:
                reader.kill()
        client.wait_finished(host_out.channel)
        host_out.exit_code = client.get_exit_status(host_out.channel)

    # -- results as hosts finish, callbacks, cancelling --------------------

    def _wait_ended(self, host_out: HostOutput) -> None:
        """Wait until ``host_out``'s command has ended (output not read is
        kept for its generators) and set its exit code; an error waiting
        becomes its ``exception``."""
        watcher = host_out._watcher
        if watcher is not None:
            watcher.join()
            return
        if host_out.exception is not None or host_out.channel is None:
            return
        client = self._client_of(host_out)
        try:
            client.wait_finished(host_out.channel)
            host_out.exit_code = client.get_exit_status(host_out.channel)
        except Exception as exc:
            _tag_host(exc, host_out.host)
            host_out.exception = exc

    def _watch(
        self,
        host_out: HostOutput,
        on_line: Any,
        keep_output: bool,
        on_finished: Any,
    ) -> None:
        """Per host, when ``run_command`` got ``on_line`` or ``on_finished``:
        read both streams (handing each line to ``on_line``, keeping them only
        with ``keep_output``), wait for the command's end, then call
        ``on_finished``. A read timeout or a lost connection becomes the
        output's ``exception`` (the host has ended as far as the client can
        tell); an exception raised by a callback is re-raised by ``join``."""
        if host_out.exception is None and host_out.channel is not None:
            try:
                if on_line is not None:
                    self._read_lines(host_out, on_line, keep_output)
                client = self._client_of(host_out)
                client.wait_finished(host_out.channel)
                host_out.exit_code = client.get_exit_status(host_out.channel)
            except _CallbackError as exc:
                raise exc.error from None
            except Exception as exc:
                _tag_host(exc, host_out.host)
                host_out.exception = exc
        if on_finished is not None:
            on_finished(host_out)

    def _read_lines(self, host_out: HostOutput, on_line: Any, keep_output: bool) -> None:
        host = host_out.host
        kept: dict[str, list[str]] = {"stdout": [], "stderr": []}

        def pump(name: str, lines: Any) -> None:
            keep = kept[name].append if keep_output else None
            for line in lines:
                try:
                    on_line(host, name, line)
                except Exception as exc:
                    raise _CallbackError(exc) from exc
                if keep is not None:
                    keep(line)

        # Both streams at once: a command blocked writing one never
        # finishes the other.
        reader = gevent.spawn(pump, "stderr", host_out.stderr)
        try:
            pump("stdout", host_out.stdout)
            reader.get()
        finally:
            reader.kill()
        if keep_output:
            host_out.stdout = iter(kept["stdout"])
            host_out.stderr = iter(kept["stderr"])

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
        outputs = self._outputs_of(output)
        queue: Queue = Queue()

        def wait(out: HostOutput) -> None:
            try:
                self._wait_ended(out)
            finally:
                queue.put(out)

        # Those already ended (failed to connect, or finished) come first,
        # in host order; the others as they end.
        ended = [out for out in outputs if self._has_ended(out)]
        for out in ended:
            queue.put(out)
        waiters = [gevent.spawn(wait, out) for out in outputs if not any(out is e for e in ended)]
        deadline = None if timeout is None else time.monotonic() + timeout
        done: list[HostOutput] = []
        try:
            for _ in outputs:
                remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
                try:
                    out = queue.get(timeout=remaining)
                except Empty:
                    running = [o for o in outputs if not any(o is d for d in done)]
                    raise still_running(timeout, done, running) from None
                done.append(out)
                yield out
        finally:
            gevent.killall([w for w in waiters if not w.ready()], block=True)

    @staticmethod
    def _has_ended(out: HostOutput) -> bool:
        """Whether ``out``'s command has ended, without waiting."""
        if out._watcher is not None:
            return out._watcher.ready()
        return out.exception is not None or out.channel is None or out.exit_code is not None

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
        if signal is not None:
            name = str(signal).upper()
            name = name[3:] if name.startswith("SIG") else name
        running = [
            out for out in self._outputs_of(output)
            if out.exception is None and out.channel is not None and out._exit_code is None
        ]  # fmt: skip
        if signal is not None:
            for out in running:
                try:
                    self._client_of(out).send_signal(out.channel, name)
                except Exception as exc:  # the channel still gets closed below
                    logger.debug("Could not send %s to %s: %s", name, out.host, exc)
            waiters = [gevent.spawn(self._wait_ended, out) for out in running]
            gevent.joinall(waiters, timeout=grace)
            gevent.killall([w for w in waiters if not w.ready()], block=True)
        for out in running:
            client = self._client_of(out)
            if client is None or client.finished(out.channel):
                continue
            try:
                client.hang_up(out.channel)
            except Exception as exc:
                logger.debug("Could not close the channel on %s: %s", out.host, exc)
            if out._exit_code is None:
                out.exit_code = client.get_exit_status(out.channel)

    def finished(self, output: dict) -> bool:
        """Check if commands have finished without blocking

        :param output: As returned by
          :py:func:`pssh.pssh_client.ParallelSSHClient.get_output`
        :rtype: bool
        """
        for host_out in output.values():
            if not isinstance(host_out, HostOutput):
                continue
            client = self._client_of(host_out)
            channel = host_out.channel
            if client is not None and channel is not None and not client.finished(channel):
                return False
        return True

    def get_exit_code(self, host_output: HostOutput) -> int | None:
        """Get exit code from host output *if available*.

        :param host_output: Per host output as returned by
          :py:func:`pssh.pssh_client.ParallelSSHClient.get_output`
        :rtype: int or None if exit code not ready (or ``host_output`` is
          not a :py:class:`pssh.output.HostOutput`)
        """
        if not isinstance(host_output, HostOutput):
            return None
        client = self._client_of(host_output)
        if client is None or host_output.channel is None:
            return None
        return client.get_exit_status(host_output.channel)

    def get_exit_codes(self, output: dict) -> None:
        """Get exit code for all hosts in output *if available*.
        Output parameter is modified in-place.

        :param output: As returned by
          :py:func:`pssh.pssh_client.ParallelSSHClient.get_output`
        :rtype: None
        """
        for host_out in output.values():
            if isinstance(host_out, HostOutput):
                code = self.get_exit_code(host_out)
                if code is not None:  # a code already known stays
                    host_out.exit_code = code

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
        :type client: :py:class:`pssh.ssh2_client.SSHClient`
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
        return self._reset_generators(host_out, timeout, client, channel, keep_timeout=False)

    def _reset_generators(
        self,
        host_out: HostOutput,
        timeout: float | None = None,
        client: Any = None,
        channel: Any = None,
        keep_timeout: bool = True,
    ) -> tuple[Any, Any]:
        """:py:meth:`reset_output_generators`; ``join`` keeps the timeout the
        command was started with (``keep_timeout``)."""
        client = client or self._client_of(host_out)
        channel = channel or host_out.channel
        if client is None or channel is None:
            return host_out.stdout, host_out.stderr
        stdout, stderr = client.output_streams(channel, timeout, keep_timeout=keep_timeout)
        host_out.stdout = stdout
        host_out.stderr = stderr
        return stdout, stderr

    # -- copying files ----------------------------------------------------

    def _copy_targets(self, copy_args: Any, *paths: str) -> list[tuple[int, str, list[str]]]:
        """Per entry of ``hosts``: its position, the host and ``paths`` formatted with its
        ``copy_args`` entry."""
        self._check_args(copy_args, "copy arguments")
        return [
            (
                i,
                host,
                [format_per_host(p, copy_args[i]) if copy_args is not None else p for p in paths],
            )
            for i, host in enumerate(self.hosts)
        ]

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
        return self._spawn_uploads("copy_file", local_file, remote_file, recurse, copy_args)

    def _spawn_uploads(
        self, method: str, local_file: str, remote_file: str, recurse: bool, copy_args: Any
    ) -> list[gevent.Greenlet]:
        """Per host, ``client.<method>(local, remote, recurse=recurse)``."""
        return [
            self._spawn_per_host(host, self._client_call, host, i, method, local, remote, recurse)
            for i, host, (local, remote) in self._copy_targets(copy_args, local_file, remote_file)
        ]

    def _spawn_downloads(
        self,
        method: str,
        remote_file: str,
        local_file: str,
        recurse: bool,
        suffix_separator: str,
        copy_args: Any,
        **kwargs: Any,
    ) -> list[gevent.Greenlet]:
        """Per host, ``client.<method>(remote, local_<host>, recurse=recurse)``;
        the local name gets ``<suffix_separator><host>`` unless ``copy_args``
        names it (``<host>_1``... for a host listed again, as output keys)."""
        greenlets = []
        suffixes: dict[str, None] = {}
        for i, host, (remote, local) in self._copy_targets(copy_args, remote_file, local_file):
            if copy_args is None:
                suffix = dedupe_key(host, suffixes)
                suffixes[suffix] = None
                local = "%s%s%s" % (local, suffix_separator, suffix)
            greenlets.append(
                self._spawn_per_host(
                    host, self._client_call, host, i, method, remote, local, recurse, **kwargs
                )
            )
        return greenlets

    def _client_call(
        self,
        host: str,
        index: int,
        method: str,
        source: str,
        target: str,
        recurse: bool,
        **kwargs: Any,
    ) -> Any:
        client = self._get_client(host, index)
        return getattr(client, method)(source, target, recurse=recurse, **kwargs)

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

        This function, like :py:func:`ParallelSSHClient.copy_file`, returns a
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
        return self._spawn_downloads(
            "copy_remote_file",
            remote_file,
            local_file,
            recurse,
            suffix_separator,
            copy_args,
            **kwargs,
        )

    # -- fleet operations: batches and reruns ------------------------------

    def _run_on(
        self, hosts: list[str], command: str, host_args: Any, kwargs: dict[str, Any]
    ) -> dict[str, HostOutput]:
        """``run_command`` on ``hosts`` only: the client's hosts are swapped for
        the call (so not safe while another call runs on this client)."""
        saved = self._hosts
        self._hosts = hosts
        try:
            return self.run_command(command, host_args=host_args, **kwargs)
        finally:
            self._hosts = saved

    def run_in_batches(
        self,
        command: str,
        batches: Sequence[int | str] = (1, "10%", "100%"),
        max_failures: int | str = 0,
        host_args: Any = None,
        join_timeout: float | None = None,
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
          running
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
        from ..summary import summarize  # summary imports nothing from the clients

        hosts = list(self.hosts)
        self._check_args(host_args, "host arguments")
        ends = plan_batches(len(hosts), batches)
        parse_budget(max_failures)  # bad budgets fail before anything runs
        run_command_kwargs.setdefault("stop_on_errors", False)
        outs: list[HostOutput] = []
        stopped: int | None = None
        start = 0
        for number, end in enumerate(ends, 1):
            part = list(range(start, end))
            part_args = None if host_args is None else [host_args[i] for i in part]
            output = self._run_on([hosts[i] for i in part], command, part_args, run_command_kwargs)
            try:
                self.join(output, timeout=join_timeout)
            except Timeout:
                logger.debug("Batch %s still running after %s seconds", number, join_timeout)
            outs.extend(output.values())
            start = end
            failures = len(summarize({str(i): out for i, out in enumerate(outs)}).failed)
            if end < len(hosts) and budget_spent(failures, end, max_failures):
                stopped = number
                break
        for index in range(start, len(hosts)):
            number = next(n for n, end in enumerate(ends, 1) if index < end)
            text = format_per_host(command, host_args[index]) if host_args is not None else command
            exc = NotStartedError(
                "Not started on host %s (batch %s): the failure budget was spent before",
                hosts[index], number, host=hosts[index],
            )  # fmt: skip
            exc.batch = number
            self._not_started[exc] = (text, (), {})
            outs.append(HostOutput(hosts[index], None, None, None, None, None, exception=exc))
        result = BatchOutput()
        keys: list[str] = []
        for out in outs:
            key = dedupe_key(out.host, result)
            result[key] = out
            keys.append(key)
        result.batches = [keys[a:b] for a, b in zip([0, *ends[:-1]], ends)]
        result.stopped_batch = stopped
        result.max_failures = max_failures
        return result

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
        from ..summary import summarize

        if "host_args" in run_command_kwargs:
            raise TypeError("rerun() runs the commands that ran: host_args is not allowed")
        keys = list(summarize(output).failed) if failed_only else list(output)
        hosts: list[str] = []
        commands: list[tuple[str]] = []
        options: dict[str, Any] = {}
        for key in keys:
            host_out = output[key]
            ran = self._ran.get(host_out.cmd) if host_out.cmd is not None else None
            if ran is None and host_out.exception is not None:
                ran = self._not_started.get(host_out.exception)
            if ran is None:
                raise ValueError(
                    "No command run by this client is recorded for host %s" % (host_out.host,)
                )
            hosts.append(host_out.host)
            commands.append((ran[0],))
            options = options or dict(ran[2])
        if not hosts:
            return {}
        accepted = inspect.signature(self.run_command).parameters
        kwargs = {name: value for name, value in options.items() if name in accepted}
        kwargs["stop_on_errors"] = False
        kwargs.update(run_command_kwargs)
        return self._run_on(hosts, "%s", commands, kwargs)

    # -- interactive shells (parallel-ssh 2.x) ----------------------------

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
        "".encode(encoding)  # an unknown codec fails here, on no host
        hosts = self.hosts
        tasks = [
            self.pool.spawn(self._command_task, host, self._open_shell, host, i, encoding,
                            read_timeout)
            for i, host in enumerate(hosts)
        ]  # fmt: skip
        gevent.joinall(tasks)
        shells: list[InteractiveShell] = []
        failure: BaseException | None = None
        for host, task in zip(hosts, tasks):
            result = task.get()
            if isinstance(result, _Failed):
                failure = failure or result.exception
                result = InteractiveShell(
                    None, None, None, None, None, encoding, host=host, exception=result.exception
                )
            shells.append(result)
        if failure is not None and stop_on_errors:
            self._close_quietly([shell for shell in shells if not shell.closed])
            raise failure
        return shells

    def _open_shell(self, host: str, index: int, encoding: str, read_timeout: float | None) -> Any:
        client = self._get_client(host, index)
        return client.open_shell(encoding=encoding, read_timeout=read_timeout)

    def _close_quietly(self, shells: list[InteractiveShell]) -> None:
        # shells nobody will use (another host failed): end them, errors only logged
        def close(shell: InteractiveShell) -> None:
            try:
                shell.close(timeout=self.timeout or 10)
            except Exception as exc:
                logger.debug("Could not close the shell on %s: %s", shell.host, exc)

        gevent.joinall([gevent.spawn(close, shell) for shell in shells])

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
        tasks = [
            gevent.spawn(self._run_for_host, shell.host, shell.run_all, commands)
            for shell in shells
            if shell.output.exception is None
        ]
        gevent.joinall(tasks)
        for task in tasks:
            if task.exception is not None:
                raise task.exception

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
        wait = self.timeout if timeout is None else timeout
        todo = [shell for shell in shells if shell.output.exception is None]
        tasks = [
            gevent.spawn(self._run_for_host, shell.host, shell.close, timeout=wait)
            for shell in todo
        ]
        gevent.joinall(tasks)
        unfinished = [
            shell for shell, task in zip(todo, tasks) if isinstance(task.exception, Timeout)
        ]
        if unfinished:
            finished = [shell for shell in todo if shell.closed]
            exc = Timeout(
                "Shells still running after %s seconds - finished: %s, unfinished: %s",
                wait, finished, unfinished,
                host=unfinished[0].host if len(unfinished) == 1 else None,
            )  # fmt: skip
            exc.finished_shells = finished  # type: ignore[attr-defined]
            exc.unfinished_shells = unfinished  # type: ignore[attr-defined]
            raise exc
        for task in tasks:
            if task.exception is not None:
                raise task.exception

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
            self._spawn_per_host(host, self._get_client, host, i)
            for i, host in enumerate(self.hosts)
        ]


__all__ = ["BaseParallelSSHClient", "host_logger", "logger"]
