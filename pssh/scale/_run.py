"""run_sharded and copy_file_sharded: cut the hosts into shards, submit one
task per shard, wait (within ``shard_timeout``) and merge the records into
one :class:`~pssh.scale.ShardedOutput`."""

from __future__ import annotations

import inspect
import pickle
import uuid
from collections.abc import Iterable
from concurrent.futures import Future
from concurrent.futures import wait as wait_futures
from typing import Any

from ..exceptions import HostArgumentException, ShardError
from ._executors import is_dask_client, resolve
from ._local import LocalShardExecutor
from ._once import forget
from ._records import DEFAULT_MAX_OUTPUT_BYTES, HostRecord
from ._result import ShardedHostOutput, ShardedOutput
from ._shards import cut, host_config_for, split
from ._task import ShardFailed, ShardTask, shard_error
from ._worker import run_shard

_NOT_SHIPPABLE = ("on_line", "on_finished", "keep_output")


def _hosts_list(hosts: Iterable[str]) -> list[str]:
    if isinstance(hosts, (str, bytes)):
        raise TypeError("hosts must be a list of host names, not one string: %r" % (hosts,))
    return list(hosts)


def _check_signature(func: Any, args: tuple, kwargs: dict, what: str) -> None:
    """Raise the ``TypeError`` the worker would raise, here and at once."""
    try:
        inspect.signature(func).bind(None, *args, **kwargs)
    except TypeError as exc:
        raise TypeError("%s: %s" % (what, exc)) from None


def _check_per_host(values: Any, count: int, what: str) -> None:
    if values is not None and len(values) < count:
        raise HostArgumentException(
            "Number of %s (%s) is less than the number of hosts (%s)", what, len(values), count
        )


def _tasks(
    kind: str,
    hosts: list[str],
    shards: int | None,
    client_kwargs: dict[str, Any],
    call_kwargs: dict[str, Any],
    per_host: str,
    options: dict[str, Any],
) -> list[ShardTask]:
    token = uuid.uuid4().hex
    tasks = []
    for number, part in enumerate(split(len(hosts), shards)):
        shard_hosts = [hosts[index] for index in part]
        kwargs = dict(client_kwargs)
        if "host_config" in kwargs:
            kwargs["host_config"] = host_config_for(kwargs["host_config"], hosts, part)
        call = dict(call_kwargs)
        call[per_host] = cut(call_kwargs.get(per_host), part)
        tasks.append(ShardTask(number, kind, shard_hosts, list(part), kwargs, call,
                               token=token, **options))  # fmt: skip
    for task in tasks:
        try:
            pickle.dumps(task)
        except Exception as exc:  # never the value itself: it may be a secret
            raise TypeError(
                "The shard's arguments cannot be sent to a worker (they must pickle): %s"
                % (type(exc).__name__,)
            ) from None
    return tasks


def _records_of(task: ShardTask, future: Future, done: bool, why: str) -> list[HostRecord]:
    """The records of one shard: its result, or one failure per host."""
    if done and not future.cancelled():
        error = future.exception()
        if error is None:
            result = future.result()
            if isinstance(result, ShardFailed):
                return [HostRecord(host, exception=_for_host(result.exception, host))
                        for host in task.hosts]  # fmt: skip
            return result
        why = "%s: %s" % (type(error).__name__, error)
    return [HostRecord(host, exception=shard_error(host, task.number, why)) for host in task.hosts]


def _for_host(exc: BaseException, host: str) -> BaseException:
    """A shard-wide error, given to one host: a copy naming the host when it
    names none (each host's exception is its own object)."""
    if isinstance(exc, ShardError) and exc.host is None:
        return shard_error(host, exc.shard or 0, exc.args[-1])
    try:
        copy = pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - portable() made it picklable; be safe anyway
        return exc
    if getattr(copy, "host", None) is None:
        try:
            copy.host = host
        except AttributeError:
            pass
    return copy


def _execute(tasks: list[ShardTask], executor: Any, shard_timeout: float | None) -> ShardedOutput:
    engine, owned = resolve(executor)
    futures: list[Future] = []
    try:
        futures = [engine.submit(run_shard, task) for task in tasks]
        done, _ = wait_futures(futures, timeout=shard_timeout)
        output = ShardedOutput()
        for task, future in zip(tasks, futures):
            late = future not in done
            if late and isinstance(engine, LocalShardExecutor):
                engine.kill(future)  # its process, and the command's connections, end
            elif late:
                future.cancel()  # what a foreign executor can do: a running task may go on
            why = "no result within shard_timeout (%s seconds)" % (shard_timeout,)
            for record in _records_of(task, future, not late, why):
                output.add(ShardedHostOutput(record, task.number))
            output.shards.append(list(task.hosts))
        return output
    except BaseException:
        if owned and isinstance(engine, LocalShardExecutor):
            engine.terminate()  # interrupted (Ctrl-C...): leave no shard running behind
        raise
    finally:
        if owned:
            engine.shutdown(wait=True)
        if is_dask_client(executor):
            forget(executor, tasks)


def _raise_first(output: ShardedOutput) -> None:
    for host_out in output.values():
        if host_out.exception is not None:
            raise host_out.exception


def run_sharded(
    hosts: Iterable[str],
    command: str,
    shards: int | None = None,
    executor: Any = None,
    client_kwargs: dict[str, Any] | None = None,
    *,
    max_output_bytes: int | None = DEFAULT_MAX_OUTPUT_BYTES,
    output_dir: str | None = None,
    join_timeout: float | None = None,
    shard_timeout: float | None = None,
    **run_command_kwargs: Any,
) -> Any:
    """Run ``command`` on ``hosts`` in shards, each shard in its own
    :class:`~pssh.clients.native.parallel.ParallelSSHClient` on a worker,
    and return one output keyed by host, as ``run_command`` followed by
    ``join`` would (see :doc:`/sharded`).

    :param hosts: the host names (a list, as for ``ParallelSSHClient``).
    :param command: the command, as for ``run_command``.
    :param shards: how many shards; default one per CPU core of this
      machine (never more than there are hosts).
    :param executor: what runs the shards: ``None`` for one new local
      process per shard (:class:`~pssh.scale.LocalShardExecutor`), a
      ``dask.distributed.Client``, a :class:`~pssh.scale.RayExecutor`, or
      any :class:`concurrent.futures.Executor`.
    :param client_kwargs: keyword arguments of each shard's
      ``ParallelSSHClient`` (``user``, ``pkey``, ``port``...). A
      ``host_config`` list is cut per shard like ``host_args``.
    :param max_output_bytes: keyword only; bytes of output (stdout and
      stderr together) each host sends back; beyond them lines are left out
      and the stream ends with :data:`~pssh.scale.CUT_MARKER`. ``None``: no
      cap. Defaults to 256 KiB.
    :param output_dir: keyword only; a folder on each worker's disk where
      every host's whole stdout and stderr are written (one file each,
      ``output_files`` on the result), whatever the cap.
    :param join_timeout: keyword only; seconds each shard waits for its
      commands to end; hosts still running then have ``exit_code`` ``None``
      (cause ``'timeout'``) and the output read so far.
    :param shard_timeout: keyword only; seconds to wait for every shard's
      result; the hosts of a shard that is late fail with
      :class:`~pssh.exceptions.ShardError` (its local process is killed).
    :param run_command_kwargs: ``run_command``'s keyword arguments
      (``sudo``, ``user``, ``host_args``, ``use_pty``, ``shell``,
      ``encoding``, ``timeout``/``read_timeout``...). ``stop_on_errors``
      (default ``True``, as in ``run_command``) raises the first host's
      exception (in host order) once every shard is back; set it to
      ``False`` to get every failure in the output. ``return_list=True``
      returns a list in host order. The callbacks (``on_line``,
      ``on_finished``) would run on the workers and are refused.
    :rtype: :class:`~pssh.scale.ShardedOutput` (or a list with
      ``return_list``)
    :raises TypeError: for arguments ``ParallelSSHClient`` or
      ``run_command`` would refuse, or that cannot be sent to a worker.
    :raises HostArgumentException: for fewer ``host_args`` than hosts.
    """
    from ..clients.native.parallel import ParallelSSHClient

    hosts = _hosts_list(hosts)
    client_kwargs = dict(client_kwargs or {})
    kwargs = dict(run_command_kwargs)
    refused = sorted(set(kwargs) & set(_NOT_SHIPPABLE))
    if refused:
        raise TypeError("run_sharded does not take %s: callbacks would run on the workers"
                        % ", ".join(refused))  # fmt: skip
    stop_on_errors = kwargs.pop("stop_on_errors", True)
    return_list = kwargs.pop("return_list", False)
    _check_signature(ParallelSSHClient.__init__, (hosts,), client_kwargs, "client_kwargs")
    _check_signature(ParallelSSHClient.run_command, (command,), kwargs, "run_command")
    host_args = kwargs.get("host_args")
    _check_per_host(host_args, len(hosts), "host arguments")
    for args in host_args[: len(hosts)] if host_args is not None else ():
        command % args  # TypeError/KeyError here, as run_command raises them  # noqa: B018
    kwargs["command"] = command
    options = {"max_output_bytes": max_output_bytes, "output_dir": output_dir,
               "join_timeout": join_timeout}  # fmt: skip
    tasks = _tasks("run", hosts, shards, client_kwargs, kwargs, "host_args", options)
    output = _execute(tasks, executor, shard_timeout)
    if stop_on_errors:
        _raise_first(output)
    return list(output.values()) if return_list else output


def copy_file_sharded(
    hosts: Iterable[str],
    local_file: str,
    remote_file: str,
    shards: int | None = None,
    executor: Any = None,
    client_kwargs: dict[str, Any] | None = None,
    *,
    join_timeout: float | None = None,
    shard_timeout: float | None = None,
    **copy_kwargs: Any,
) -> ShardedOutput:
    """Copy ``local_file`` to ``remote_file`` on ``hosts`` in shards, as
    ``copy_file`` and ``joinall`` would, and return one output keyed by host:
    ``exit_code`` is ``0`` for a copy that completed, else ``exception`` is
    the copy's error (``None``/``None`` for a copy still running after
    ``join_timeout``). ``local_file`` is read on each worker: it must exist
    there, at that path. Failures never raise: read them from the output
    (or its :meth:`~pssh.scale.ShardedOutput.summary`). The other parameters
    are those of :func:`run_sharded`.

    :param copy_kwargs: ``copy_file``'s keyword arguments (``recurse``,
      ``copy_args``; ``copy_args`` is cut per shard).
    :rtype: :class:`~pssh.scale.ShardedOutput`
    """
    from ..clients.native.parallel import ParallelSSHClient

    hosts = _hosts_list(hosts)
    client_kwargs = dict(client_kwargs or {})
    kwargs = dict(copy_kwargs, local_file=local_file, remote_file=remote_file)
    _check_signature(ParallelSSHClient.__init__, (hosts,), client_kwargs, "client_kwargs")
    _check_signature(ParallelSSHClient.copy_file, (), kwargs, "copy_file")
    _check_per_host(kwargs.get("copy_args"), len(hosts), "copy arguments")
    options = {"max_output_bytes": None, "join_timeout": join_timeout}
    tasks = _tasks("copy", hosts, shards, client_kwargs, kwargs, "copy_args", options)
    return _execute(tasks, executor, shard_timeout)


__all__ = ["copy_file_sharded", "run_sharded"]
