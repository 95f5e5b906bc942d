"""Usage-plan throttling: one token bucket (rate + burst) per API key, like API Gateway."""

from __future__ import annotations

import threading
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
