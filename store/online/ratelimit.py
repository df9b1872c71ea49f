"""Keeping to a service's request rate by spacing requests evenly, across threads.

A limiter of N requests per second hands out send times at least ``(1 + MARGIN)/N`` s apart: a request
waits for its slot rather than going out in a burst and being told off with HTTP 429. Spacing by exactly
``1/N`` is not enough: N + 1 requests then span exactly one second (four NCBI requests in 0.999 s
were seen), and any jitter on the way puts them in one second at the server. With the margin, any
N + 1 consecutive requests span at least ``1 + MARGIN`` s, so every one-second window holds at most N
even when a request arrives up to ``MARGIN`` s early relative to the others. Slots are reserved under
a lock and slept for outside it, so any number of threads share one limiter correctly.

Limits belong to the service (NCBI counts per IP address or per key), not to one client object:
``shared_limiter`` gives every client in the process the same limiter for the same service.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

# Called with the number of seconds a request is about to wait for its slot.
WaitCallback = Callable[[float], None]
# Part of a second added to every N requests' span, for timer and network jitter.
MARGIN = 0.1
# How many of the newest slots a limiter remembers (``RateLimiter.slots``).
SLOTS_KEPT = 64


class RateLimiter:
    """At most ``per_second`` requests in any one-second window, spaced ``(1 + MARGIN)/per_second`` s apart.

    ``clock`` and ``sleep`` are injectable so tests can check the spacing without waiting.
    """

    def __init__(
        self,
        per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self._next = float("-inf")
        # The send times granted, newest last, on ``clock``: what the limiter promised, to be checked
        # apart from when the requests arrived (a busy machine delivers late, never early).
        self.slots: deque[float] = deque(maxlen=SLOTS_KEPT)
        self.interval = 0.0
        self._per_second = 0.0
        self.set_rate(per_second)

    def set_rate(self, per_second: float) -> None:
        if per_second <= 0:
            raise ValueError(f"a rate limit must be positive, not {per_second}")
        with self._lock:
            self._per_second = per_second
            self.interval = (1.0 + MARGIN) / per_second

    @property
    def per_second(self) -> float:
        """The limit: requests in any one second."""
        return self._per_second

    def wait(self, on_wait: WaitCallback | None = None) -> float:
        """Block until this caller may send; returns how long it waited (0 when its slot was free).

        ``on_wait`` hears about a wait before it starts, so a screen can say why nothing is moving.
        """
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
            self.slots.append(slot)
        delay = slot - now
        if delay > 0:
            if on_wait is not None:
                on_wait(delay)
            self._sleep(delay)
        return max(delay, 0.0)


_shared: dict[str, RateLimiter] = {}
_shared_lock = threading.Lock()


def shared_limiter(service: str, per_second: float) -> RateLimiter:
    """The process-wide limiter for ``service``, set to ``per_second`` (an API key may raise it)."""
    with _shared_lock:
        limiter = _shared.get(service)
        if limiter is None:
            limiter = _shared[service] = RateLimiter(per_second)
        elif limiter.per_second != per_second:
            limiter.set_rate(per_second)
        return limiter
