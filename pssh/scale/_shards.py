"""Cutting the host list into shards.

Shards are contiguous runs of the host list, as equal in size as possible
(sizes differ by one at most), so that the merged result keeps the host
order and each host's per-host arguments (``host_args``, ``copy_args``, a
``host_config`` list) go with it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any


def default_shards() -> int:
    """One shard per CPU core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def split(count: int, shards: int | None) -> list[range]:
    """``shards`` contiguous ranges covering ``range(count)``, none empty
    (fewer ranges when there are fewer items than shards).

    :raises ValueError: for ``shards`` below 1.
    """
    wanted = default_shards() if shards is None else shards
    if isinstance(wanted, bool) or not isinstance(wanted, int) or wanted < 1:
        raise ValueError("shards must be a whole number of at least 1, got %r" % (shards,))
    wanted = min(wanted, count) or 1
    size, extra = divmod(count, wanted)
    ranges, start = [], 0
    for number in range(wanted):
        stop = start + size + (1 if number < extra else 0)
        ranges.append(range(start, stop))
        start = stop
    return [part for part in ranges if len(part)]


def cut(values: Any, part: range) -> Any:
    """The entries of a per-host sequence (``host_args``...) for the hosts in
    ``part``; ``None`` stays ``None``."""
    if values is None:
        return None
    return [values[index] for index in part]


def host_config_for(host_config: Any, hosts: Sequence[str], part: range) -> Any:
    """A shard's ``host_config``: a list (2.x, one entry per host) is cut
    like ``host_args``; a dict (1.8.0, keyed by host) keeps only the shard's
    hosts, so that no shard carries the whole fleet's settings."""
    if host_config is None:
        return None
    if isinstance(host_config, dict):
        names = {hosts[index] for index in part}
        return {host: conf for host, conf in host_config.items() if host in names}
    return cut(host_config, part)
