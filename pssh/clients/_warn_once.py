"""Warnings given once per process for each host, not once per connection.

A parallel client makes a connection per host and may reconnect; a warning
about something the user configured (an ssh_config option pssh cannot carry
out, agent forwarding the client cannot provide) says what it has to say the
first time and would only bury other log lines if repeated for every
connection or command.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Hashable
from typing import Any

_warned: set[Hashable] = set()
_lock = threading.Lock()


def warn_once(logger: logging.Logger, key: Hashable, message: str, *args: Any) -> bool:
    """Log ``message % args`` as a warning unless ``key`` was warned about
    already in this process.

    :param key: What makes two warnings the same, e.g. ``(option, host)``.
    :returns: Whether the warning was logged now.
    """
    with _lock:
        if key in _warned:
            return False
        _warned.add(key)
    logger.warning(message, *args)
    return True


def reset() -> None:
    """Forget every warning given (for tests)."""
    with _lock:
        _warned.clear()
