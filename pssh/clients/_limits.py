"""Process limits that many connections run into."""

from __future__ import annotations

import logging
import resource

logger = logging.getLogger("pssh.clients")

_FILES_PER_HOST = 2  # the SSH socket, plus a tunnel or file being copied
_RESERVE = 64


def raise_open_files_limit(hosts_at_once: int) -> int:
    """Raise the soft open-files limit towards the hard limit so that
    ``hosts_at_once`` connections fit. Returns the soft limit in force.

    When even the hard limit is too small, a warning names it; connecting
    then fails with ``OSError(EMFILE)`` for the hosts over the limit.
    """
    want = hosts_at_once * _FILES_PER_HOST + _RESERVE
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= want:
        return soft
    new = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if new > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
            soft = new
        except (ValueError, OSError) as exc:
            logger.warning("Could not raise the open files limit to %s: %s", new, exc)
    if soft < want:
        logger.warning(
            "Open files limit %s (hard limit %s) is too low for %s hosts at once; "
            "raise it (ulimit -n) or lower pool_size",
            soft,
            hard,
            hosts_at_once,
        )
    return soft
