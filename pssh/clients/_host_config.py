"""Reading the ``host_config`` argument of the parallel clients: 1.8.0's dict
of settings keyed by host name, or 2.x's list of
:class:`pssh.config.HostConfig`, one per entry of ``hosts``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Optional

from ..config import HostConfig as HostConfigEntry


def check_host_config(host_config: Any, hosts: Optional[Sequence[str]] = None) -> None:
    """Refuse a ``host_config`` argument :func:`host_config_entry` cannot read.

    :param hosts: The client's hosts: a list of ``HostConfig`` must have one
      entry per host.
    :raises: :py:class:`TypeError` naming its type; :py:class:`ValueError`
      for a list whose length is not the number of hosts.
    """
    if not host_config or isinstance(host_config, Mapping):
        return
    if isinstance(host_config, (list, tuple)):
        for i, entry in enumerate(host_config):
            if not isinstance(entry, HostConfigEntry):
                raise TypeError(
                    "host_config[%d] must be a pssh.config.HostConfig, got %r"
                    % (i, type(entry).__name__)
                )
        if hosts is not None and len(host_config) != len(hosts):
            raise ValueError(
                "host_config has %d entries for %d hosts: a list of HostConfig needs "
                "one entry per host, in the order of hosts" % (len(host_config), len(hosts))
            )
        return
    raise TypeError(
        "host_config must be a dict of host name to settings (parallel-ssh 1.8.0) or a "
        "list of pssh.config.HostConfig (parallel-ssh 2.x), got %r" % (type(host_config).__name__,)
    )


def host_config_entry(
    host_config: Any, host: str, index: Optional[int] = None
) -> Mapping[str, Any]:
    """``host``'s entry of a ``host_config`` argument, with the values set:
    1.8.0's dict keyed by host name (``user``, ``port``, ``password``,
    ``private_key``; a :class:`pssh.config.HostConfig` value works too), or
    2.x's list of :class:`pssh.config.HostConfig` read at ``index`` (the
    host's position in ``hosts``).

    :raises: :py:class:`TypeError` for another kind of ``host_config``;
      :py:class:`ValueError` when the list has no entry at ``index``.
    """
    check_host_config(host_config)
    if not host_config:
        return {}
    if isinstance(host_config, Mapping):
        entry = host_config.get(host) or {}
    else:
        if index is None or not 0 <= index < len(host_config):
            raise ValueError(
                "host_config has no entry for host %s at position %r (%d entries): a list "
                "of HostConfig needs one entry per host" % (host, index, len(host_config))
            )
        entry = host_config[index]
    if isinstance(entry, HostConfigEntry):
        return entry.given()
    return {key: value for key, value in entry.items() if value is not None}
