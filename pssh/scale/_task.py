"""The unit of work sent to a worker: one shard of the host list and the call
to make on it.

A :class:`ShardTask` is pickled by the executor and travels in memory (a pipe
to a local process, the network to a Dask or Ray worker): nothing in it is
written to disk by pssh. Credentials travel exactly as the caller gave them:
a ``pkey`` path stays a path (the key file must exist at that path on the
worker), key bytes stay bytes.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import ShardError


@dataclass
class ShardTask:
    """One shard's work.

    :param number: the shard's number, 0 = first.
    :param kind: ``'run'`` (``run_command``) or ``'copy'`` (``copy_file``).
    :param hosts: the shard's hosts.
    :param indexes: each host's position in the whole host list.
    :param client_kwargs: keyword arguments of the shard's
      :class:`~pssh.clients.native.parallel.ParallelSSHClient`.
    :param call_kwargs: keyword arguments of the call (``host_args`` and
      ``copy_args`` already cut to the shard).
    :param max_output_bytes: per-host byte cap of the output sent back.
    :param output_dir: folder on the worker for per-host output files.
    :param join_timeout: seconds to wait for the shard's commands to end.
    :param token: unique per call, so that no executor mistakes two calls
      with equal arguments for one (Dask's ``pure`` keys).
    """

    number: int
    kind: str
    hosts: list[str]
    indexes: list[int]
    client_kwargs: dict[str, Any]
    call_kwargs: dict[str, Any]
    max_output_bytes: int | None
    output_dir: str | None = None
    join_timeout: float | None = None
    token: str = field(default="")


@dataclass
class ShardFailed:
    """What a shard returns when the shard itself failed before or around its
    hosts' work (the client could not be made, say): the exception, for
    every host of the shard."""

    exception: BaseException


def portable(exc: BaseException | None, host: str | None, shard: int) -> BaseException | None:
    """``exc`` if it survives pickling unchanged in class and message, else a
    :class:`~pssh.exceptions.ShardError` naming its class and message (the
    traceback and ``__cause__`` never travel; pickling drops them)."""
    if exc is None:
        return None
    try:
        copy = pickle.loads(pickle.dumps(exc))
        if type(copy) is type(exc) and str(copy) == str(exc):
            return exc
    except Exception:  # noqa: BLE001, S110 - any failure to pickle: replaced below
        pass
    cause = "its %s could not be sent back from the worker: %s" % (type(exc).__name__, exc)
    return shard_error(host, shard, cause)


def shard_error(host: str | None, shard: int, cause: str) -> ShardError:
    """The :class:`~pssh.exceptions.ShardError` of ``host`` in shard
    ``shard``, ``cause`` saying what happened."""
    error = ShardError("Host %s of shard %s failed: %s", host, shard, cause, host=host)
    error.shard = shard
    return error
