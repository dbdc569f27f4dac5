"""Copies on every host: one greenlet per host (``pool_size`` at a time)
calling the host's single-host client, with the per-host ``copy_args`` and
the ``<local><separator><host>`` names of downloads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gevent
import gevent.pool

from ._tasks import check_per_host, dedupe_key, format_per_host, run_for_host


class CopyFanOut:
    """Starts the per-host copies of one parallel client.

    :param pool: the client's pool (its size bounds the copies running)
    :param get_client: ``get_client(host, index)``: the host's connected client
    :param hosts: the client's hosts now
    """

    def __init__(
        self,
        pool: gevent.pool.Pool,
        get_client: Callable[[str, int], Any],
        hosts: Callable[[], list[str]],
    ) -> None:
        self._pool = pool
        self._get_client = get_client
        self._hosts = hosts

    def targets(self, copy_args: Any, *paths: str) -> list[tuple[int, str, list[str]]]:
        """Per entry of the hosts: its position, the host and ``paths``
        formatted with its ``copy_args`` entry."""
        hosts = self._hosts()
        check_per_host(copy_args, hosts, "copy arguments")
        return [
            (
                i,
                host,
                [format_per_host(p, copy_args[i]) if copy_args is not None else p for p in paths],
            )
            for i, host in enumerate(hosts)
        ]

    def uploads(
        self, method: str, local_file: str, remote_file: str, recurse: bool, copy_args: Any
    ) -> list[gevent.Greenlet]:
        """Per host, ``client.<method>(local, remote, recurse=recurse)``."""
        return [
            self._spawn(host, i, method, local, remote, recurse)
            for i, host, (local, remote) in self.targets(copy_args, local_file, remote_file)
        ]

    def downloads(
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
        for i, host, (remote, local) in self.targets(copy_args, remote_file, local_file):
            if copy_args is None:
                suffix = dedupe_key(host, suffixes)
                suffixes[suffix] = None
                local = "%s%s%s" % (local, suffix_separator, suffix)
            greenlets.append(self._spawn(host, i, method, remote, local, recurse, **kwargs))
        return greenlets

    def _spawn(
        self,
        host: str,
        index: int,
        method: str,
        source: str,
        target: str,
        recurse: bool,
        **kwargs: Any,
    ) -> gevent.Greenlet:
        return self._pool.spawn(
            run_for_host, host, self._call, host, index, method, source, target, recurse, **kwargs
        )

    def _call(
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
