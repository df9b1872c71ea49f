"""The rate limiter spaces requests evenly, across threads, and says when a caller waits."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from store.online.ratelimit import MARGIN, RateLimiter, shared_limiter


class FakeClock:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_calls_at_one_instant_are_spaced_by_the_interval() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, clock=clock, sleep=clock.sleep)
    sent = []
    for _ in range(4):
        limiter.wait()
        sent.append(clock.now)
    gaps = [b - a for a, b in itertools.pairwise(sent)]
    assert gaps == pytest.approx([(1 + MARGIN) / 3] * 3)
    assert sent[0] == 100.0  # the first one does not wait


def test_a_quiet_period_gives_no_burst_afterwards() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock, sleep=clock.sleep)
    limiter.wait()
    clock.now += 5.0  # idle
    assert limiter.wait() == 0.0
    assert limiter.wait() == pytest.approx(0.11)  # the next is spaced again, not let through in a burst


def test_waits_are_reported_before_they_start() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, clock=clock, sleep=clock.sleep)
    heard: list[tuple[float, float]] = []
    for _ in range(3):
        limiter.wait(lambda seconds: heard.append((seconds, clock.now)))
    assert [s for s, _ in heard] == pytest.approx([0.55, 0.55])
    assert [when for _, when in heard] == pytest.approx([100.0, 100.55])  # before the sleep, not after


def test_threads_share_one_limiter() -> None:
    """The slots the limiter hands out (read where it reserves them: when a thread then wakes is up to
    the scheduler, and on a busy machine a late thread brings the next one closer)."""
    local = threading.local()

    def clock() -> float:
        local.now = time.monotonic()
        return float(local.now)

    limiter = RateLimiter(25, clock=clock)  # real sleeps: 8 calls take about 0.3 s
    slots: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        delay = limiter.wait()
        with lock:
            slots.append(local.now + delay)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    slots.sort()
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    assert min(gaps) >= 0.044 - 1e-9  # 1.1/25 s between any two threads' slots


def test_shared_limiters_are_one_per_service_and_follow_the_rate() -> None:
    first = shared_limiter("test-service", 3)
    assert shared_limiter("test-service", 3) is first
    assert shared_limiter("test-service", 10) is first and first.per_second == pytest.approx(10)
    assert shared_limiter("other-test-service", 3) is not first


def test_a_rate_must_be_positive() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0)


def most_in_any_second(times: list[float]) -> int:
    """The most requests any one-second window [t, t + 1) holds (windows start at a request)."""
    return max(sum(1 for u in times if t <= u < t + 1.0) for t in times)


@pytest.mark.parametrize("rate", [3, 10, 5])
def test_no_one_second_window_holds_more_than_the_limit(rate: int) -> None:
    """NCBI's rule, checked as a sliding window over the recorded send times, with room for jitter:
    even if every other request were early by almost the margin, no window would hold one too many."""
    clock = FakeClock()
    limiter = RateLimiter(rate, clock=clock, sleep=clock.sleep)
    sent: list[float] = []
    for n in range(60):
        limiter.wait()
        sent.append(clock.now)
        if n % 7 == 3:
            clock.now += 0.05  # a slow response before the next call
    assert most_in_any_second(sent) == rate
    jittered = [t - (0.09 if i % 2 else 0.0) for i, t in enumerate(sent)]
    assert most_in_any_second(jittered) <= rate


def test_threads_keep_the_window_too() -> None:
    limiter = RateLimiter(20)
    sent: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(3):
            limiter.wait()
            with lock:
                sent.append(time.monotonic())

    # 21 requests: one more than a second's worth, the fewest that can break the rule (about 1.1 s).
    threads = [threading.Thread(target=worker) for _ in range(7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sent) == 21 and most_in_any_second(sorted(sent)) <= 20
