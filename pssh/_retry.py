"""The one retry policy: connection, handshake, authentication and proxy
channel opening all go through :meth:`RetryPolicy.call`.

There are no recursive retries. When the attempts run out the last error is
raised as it was mapped (it already carries the host), with the attempt count
in its ``attempts`` attribute and, for the connection errors 1.8.0 counted
(:class:`~pssh.exceptions.UnknownHostException`,
:class:`~pssh.exceptions.ConnectionErrorException`), appended to its ``args``.

Errors no retry can fix are given up on at once (``give_up_on``): a refused
host key, and failed authentication - trying a wrong password again only
costs time and, on servers with lockout rules, locks the account.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import gevent

from .constants import DEFAULT_RETRIES, RETRY_DELAY
from .exceptions import _Retried

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
        if retries < 0:
            raise ValueError("num_retries must not be negative, got %r" % (num_retries,))
        # 0 ("no retries") is one attempt, as in 1.8.0
        retries = max(retries, 1)
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
        subclasses of a retried class, or the direct cause of the exception,
        as when a proxy's login failed), are raised at once. The exception
        that ends the attempts is raised with ``attempts`` set on it (and the
        attempt counts added to the ``args`` of the 1.8.0 connection errors).
        """
        delays = self.delays()
        attempt = 0
        while True:
            attempt += 1
            try:
                return func(*args, **kwargs)
            except Exception as exc:
                # a proxy error caused by failed authentication is as final
                final = isinstance(exc, give_up_on) or isinstance(exc.__cause__, give_up_on)
                retried = isinstance(exc, retry_on) and not final
                delay = next(delays, None) if retried else None
                if delay is None:
                    exc.attempts = attempt  # type: ignore[attr-defined]
                    if isinstance(exc, _Retried):
                        exc.add_retries(attempt, self.num_retries)
                    raise
                gevent.sleep(delay)
