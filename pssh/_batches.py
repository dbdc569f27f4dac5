"""Rollouts in batches: batch sizes, failure budgets and the output of a rollout.

Pure logic, shared by
:meth:`~pssh.clients.base_pssh.BaseParallelSSHClient.run_in_batches` and the
``pssh`` command line tool (``--batches``, ``--max-failures``).

Batch sizes are *cumulative targets*, as in "first 1 host, then up to 10% of
all hosts, then all": ``(1, '10%', '100%')``. A target is a whole number of
hosts or a percentage of all hosts (rounded up, so ``'10%'`` of 5 hosts is 1).
Targets that do not go past the previous one are skipped; hosts past the last
target run in one more batch, so every host is always planned.

A failure budget is a count (``2``: stop once more than 2 hosts failed) or a
percentage of the hosts run so far (``'10%'``: stop once more than 10% of
them failed). ``0`` stops at the first failure. The budget is checked after
each batch has finished, never in the middle of one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def _target(item: int | str, total: int) -> int:
    """The cumulative number of hosts one batch item stands for."""
    if isinstance(item, bool) or not isinstance(item, (int, str)):
        raise ValueError(
            "A batch size is a number of hosts or a percentage like '10%%', got %r" % (item,)
        )
    if isinstance(item, int):
        if item < 1:
            raise ValueError("A batch size must be at least 1, got %r" % (item,))
        return min(item, total)
    text = item.strip()
    try:
        if text.endswith("%"):
            percent = float(text[:-1])
            if not 0 < percent <= 100:
                raise ValueError
            return min(total, max(1, math.ceil(round(percent * total / 100, 9))))
        return _target(int(text), total)
    except ValueError:
        raise ValueError(
            "A batch size is a number of hosts (1 or more) or a percentage of hosts "
            "(more than 0%%, at most 100%%), got %r" % (item,)
        ) from None


def plan_batches(total: int, batches: Sequence[int | str]) -> list[int]:
    """The end (exclusive index into the host list) of each batch.

    >>> plan_batches(20, (1, '10%', '100%'))
    [1, 2, 20]

    :param total: how many hosts
    :param batches: cumulative targets (see above)
    :raises: :py:class:`ValueError` on an empty plan or a bad size
    :rtype: list[int]
    """
    if isinstance(batches, (str, int)):
        batches = (batches,)
    if not batches:
        raise ValueError("batches must name at least one batch size")
    ends: list[int] = []
    for item in batches:
        end = _target(item, total)
        if end > (ends[-1] if ends else 0):
            ends.append(end)
    if total and (not ends or ends[-1] < total):
        ends.append(total)
    return ends


def parse_budget(max_failures: int | str) -> tuple[int | None, float | None]:
    """``(count, None)`` or ``(None, percent)`` for a failure budget.

    :raises: :py:class:`ValueError` on a negative or malformed budget
    :rtype: tuple
    """
    if isinstance(max_failures, bool) or not isinstance(max_failures, (int, str)):
        raise ValueError(
            "max_failures is a count or a percentage like '10%%', got %r" % (max_failures,)
        )
    text = str(max_failures).strip()
    try:
        if text.endswith("%"):
            percent = float(text[:-1])
            if not 0 <= percent <= 100:
                raise ValueError
            return None, percent
        count = int(text)
        if count < 0:
            raise ValueError
        return count, None
    except ValueError:
        raise ValueError(
            "max_failures is a count (0 or more) or a percentage from 0%% to 100%%, got %r"
            % (max_failures,)
        ) from None


def budget_spent(failures: int, done: int, max_failures: int | str) -> bool:
    """Whether ``failures`` among the ``done`` hosts run so far are more than
    the budget allows.

    :rtype: bool
    """
    count, percent = parse_budget(max_failures)
    if count is not None:
        return failures > count
    assert percent is not None
    return failures * 100 > percent * done


class BatchOutput(dict):
    """What :meth:`~pssh.clients.base_pssh.BaseParallelSSHClient.run_in_batches`
    returns: the usual output dictionary (host -> :class:`~pssh.output.HostOutput`,
    every host of the client, in host order), plus how the rollout went.
    :func:`pssh.summary.summarize` reads these attributes.
    """

    batches: list[list[str]]
    """The output keys of each planned batch, in order (run or not)."""
    stopped_batch: int | None
    """The number (1 = first) of the batch after which the failure budget was
    spent and the rollout stopped, or ``None`` when every batch ran."""
    max_failures: int | str

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batches = []
        self.stopped_batch = None
        self.max_failures = 0


__all__ = ["BatchOutput", "budget_spent", "parse_budget", "plan_batches"]
