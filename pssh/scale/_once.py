"""At most once on Dask: a shard whose worker died is never run again.

Dask's scheduler runs a task again on another worker when its worker dies
(up to ``distributed.scheduler.allowed-failures`` times, 3 by default). For
a shard that would run the command a second time on hosts where it may
already have run. So a shard on a Dask worker first marks itself started in
a scheduler-held :class:`distributed.Variable` named after the call and the
shard; an attempt that finds the mark set does nothing and its hosts fail
with :class:`~pssh.exceptions.ShardError`. Dask is never imported here: the
check runs only where it already is (a Dask worker has it loaded).
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from ._task import ShardTask


def mark_name(token: str, number: int) -> str:
    """The scheduler variable of shard ``number`` of call ``token``."""
    return "pssh-scale-%s-%s" % (token, number)


def _dask_worker() -> Any:
    """The ``distributed`` module when running in a Dask worker, else ``None``."""
    distributed = sys.modules.get("distributed")
    if distributed is None:
        return None
    try:
        distributed.get_worker()
    except ValueError:  # loaded, but this is not a Dask task
        return None
    return distributed


def first_attempt(task: ShardTask) -> bool:
    """Whether this is the shard's first start (always ``True`` outside Dask);
    marks it started."""
    distributed = _dask_worker()
    if distributed is None:
        return True
    mark = distributed.Variable(mark_name(task.token, task.number))
    try:
        mark.get(timeout=0.01)
    except (TimeoutError, asyncio.TimeoutError):
        mark.set(os.getpid())
        return True
    return False


def forget(client: Any, tasks: list[ShardTask]) -> None:
    """Delete the marks of ``tasks`` from the scheduler of Dask ``client``."""
    distributed = sys.modules.get("distributed")
    if distributed is None:
        return
    for task in tasks:
        try:
            distributed.Variable(mark_name(task.token, task.number), client=client).delete()
        except Exception:  # noqa: BLE001, S110 - a leftover mark is a few bytes
            pass
