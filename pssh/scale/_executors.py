"""Which engine runs the shards: the caller's executor, adapted if needed.

Anything with the :class:`concurrent.futures.Executor` ``submit`` method
works as it is. A ``dask.distributed.Client`` is recognised without
importing Dask (by its class's module) and used through its own
``get_executor(pure=False)``. Ray has no Executor of its own; its
documented bridge is ``ObjectRef.future()`` (a
:class:`concurrent.futures.Future`), which :class:`RayExecutor` wraps. Dask
and Ray are imported only by the caller's objects, never here.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from ._local import LocalShardExecutor


def is_dask_client(executor: Any) -> bool:
    """Whether ``executor`` is a ``dask.distributed.Client`` (checked by its
    class's module, so that Dask is not imported to answer)."""
    module = type(executor).__module__ or ""
    return module.split(".")[0] == "distributed" and hasattr(executor, "get_executor")


def resolve(executor: Any) -> tuple[Any, bool]:
    """The executor to submit shards to, and whether it is ours to shut down.

    :param executor: ``None`` (a :class:`LocalShardExecutor`), a Dask
      client, or anything with ``submit``.
    :raises TypeError: for anything else.
    """
    if executor is None:
        return LocalShardExecutor(), True
    if is_dask_client(executor):
        # pure=False: two calls with equal arguments are two runs, never one cached result
        return executor.get_executor(pure=False), False
    if not callable(getattr(executor, "submit", None)):
        raise TypeError(
            "executor must have the concurrent.futures.Executor interface (a submit method) "
            "or be a dask.distributed.Client, got %r" % (type(executor).__name__,)
        )
    return executor, False


class RayExecutor(Executor):
    """Runs each shard as a Ray task on the cluster ``ray.init()`` joined.

    Tasks are submitted with ``max_retries=0``: Ray would otherwise run a
    task again when its worker dies, which would run the command again on
    the shard's hosts. A dead worker instead fails the shard's hosts with
    :class:`~pssh.exceptions.ShardError`.

    :param options: extra ``ray.remote`` options for each task (``num_cpus``,
      ``resources``...).
    """

    def __init__(self, **options: Any) -> None:
        import ray  # only for the caller who asked for Ray

        self._ray = ray
        self._options = {"max_retries": 0, **options}
        self._remotes: dict[Callable[..., Any], Any] = {}

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:  # type: ignore[override]
        """Start ``fn`` with the arguments as a Ray task and return
        ``ObjectRef.future()`` of it.

        :rtype: :class:`concurrent.futures.Future`
        """
        remote = self._remotes.get(fn)
        if remote is None:
            remote = self._remotes[fn] = self._ray.remote(**self._options)(fn)
        return remote.remote(*args, **kwargs).future()
