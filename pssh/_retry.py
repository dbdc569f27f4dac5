"""The one retry policy: connection, handshake, authentication and proxy
channel opening all go through :meth:`RetryPolicy.call`.

There are no recursive retries. When the attempts run out the last error is
raised as it was mapped (it already carries the host), with the attempt count
added to its arguments' message by the caller-visible ``attempts`` attribute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import gevent

from .constants import DEFAULT_RETRIES, RETRY_DELAY

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """``num_retries`` attempts in all, ``retry_delay`` seconds apart."""

    num_retries: int = DEFAULT_RETRIES
    retry_delay: float = RETRY_DELAY

    @classmethod
    def from_args(cls, num_retries: int | None, retry_delay: float | None) -> RetryPolicy:
        """Build a policy from the 1.8.0 keyword arguments (``None`` = default)."""
        retries = DEFAULT_RETRIES if num_retries is None else int(num_retries)
        delay = RETRY_DELAY if retry_delay is None else float(retry_delay)
        if retries < 1:
            raise ValueError("num_retries must be at least 1, got %r" % (num_retries,))
        if delay < 0:
            raise ValueError("retry_delay must not be negative, got %r" % (retry_delay,))
        return cls(retries, delay)

    def delays(self) -> Iterator[float]:
        """The waits between attempts: one fewer than the attempts."""
        for _ in range(self.num_retries - 1):
            yield self.retry_delay

    def call(
        self,
        func: Callable[..., T],
        *args: Any,
        retry_on: tuple[type[BaseException], ...] = (Exception,),
        give_up_on: tuple[type[BaseException], ...] = (),
        **kwargs: Any,
    ) -> T:
        """Call ``func`` until it succeeds or the attempts run out.

        Exceptions not in ``retry_on``, and those in ``give_up_on`` (errors no
        retry can help with, such as a refused host key, even when they are
        subclasses of a retried class), are raised at once. After the last
        attempt the last exception is raised with ``attempts`` set on it.
        """
        delays = self.delays()
        attempt = 0
        while True:
            attempt += 1
            try:
                return func(*args, **kwargs)
            except give_up_on:
                raise
            except retry_on as exc:
                delay = next(delays, None)
                if delay is None:
                    exc.attempts = attempt  # type: ignore[attr-defined]
                    raise
                gevent.sleep(delay)
