"""Usage-plan throttling (token bucket per API key, rate + burst) and quotas, like API Gateway."""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Throttle:
    """A usage plan's throttle: steady requests per second and the bucket size."""

    rate_limit: float
    burst_limit: int


class TokenBuckets:
    """Thread-safe token buckets keyed by API key id; a request takes one token or is refused."""

    def __init__(self, throttle: Throttle, clock: Callable[[], float]) -> None:
        self._throttle = throttle
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key id -> (tokens, last refill)

    def allow(self, key_id: str) -> bool:
        """Take a token for this key; False means API Gateway answers 429 Too Many Requests."""
        now = self._clock()
        capacity = float(self._throttle.burst_limit)
        with self._lock:
            tokens, last = self._buckets.get(key_id, (capacity, now))
            tokens = min(capacity, tokens + max(0.0, now - last) * self._throttle.rate_limit)
            allowed = tokens >= 1.0
            self._buckets[key_id] = (tokens - 1.0 if allowed else tokens, now)
            return allowed


@dataclass(frozen=True)
class Quota:
    """A usage plan's quota: requests per key per DAY, WEEK or MONTH (UTC calendar periods)."""

    limit: int
    period: str = "DAY"


class QuotaCounters:
    """Thread-safe request counts per API key and quota period."""

    def __init__(self, quota: Quota, clock: Callable[[], float]) -> None:
        if quota.period not in ("DAY", "WEEK", "MONTH"):
            raise ValueError(f"quota period must be DAY, WEEK or MONTH, got {quota.period!r}")
        self._quota = quota
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[tuple[int, int], int]] = {}  # key id -> (period, count)

    def _period(self) -> tuple[int, int]:
        moment = time.gmtime(self._clock())
        if self._quota.period == "DAY":
            return moment.tm_year, moment.tm_yday
        if self._quota.period == "WEEK":
            year, week, _ = datetime.date(
                moment.tm_year, moment.tm_mon, moment.tm_mday
            ).isocalendar()
            return year, week
        return moment.tm_year, moment.tm_mon

    def allow(self, key_id: str) -> bool:
        """Count one request; False means API Gateway answers 429 Limit Exceeded."""
        period = self._period()
        with self._lock:
            counted_period, count = self._counts.get(key_id, (period, 0))
            if counted_period != period:
                count = 0
            if count >= self._quota.limit:
                return False
            self._counts[key_id] = (period, count + 1)
            return True
