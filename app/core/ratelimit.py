"""Fixed-window counters for throttles and rate limits.

In memory for one process; in Redis (``BUENDNIS_REDIS_URL``) when several processes must share
the counts.
"""

import logging
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Protocol

from app.core.config import get_settings

logger = logging.getLogger("buendnis.ratelimit")


class CounterStore(Protocol):
    def hit(self, key: str, window_seconds: int) -> tuple[int, int]:
        """Count one event; return (count in this window, seconds until the window resets)."""

    def peek(self, key: str) -> tuple[int, int]:
        """Return (count, seconds left) without counting."""

    def reset(self, key: str) -> None: ...


class MemoryCounterStore:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._counts: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()
        self.clock = clock  # replaceable, so tests can move time without touching the loop's

    def hit(self, key: str, window_seconds: int) -> tuple[int, int]:
        now = self.clock()
        with self._lock:
            count, resets_at = self._counts.get(key, (0, now + window_seconds))
            if resets_at <= now:
                count, resets_at = 0, now + window_seconds
            count += 1
            self._counts[key] = (count, resets_at)
            if len(self._counts) > 100_000:
                self._sweep(now)
        return count, max(1, int(resets_at - now + 0.999))

    def peek(self, key: str) -> tuple[int, int]:
        now = self.clock()
        with self._lock:
            count, resets_at = self._counts.get(key, (0, now))
        if resets_at <= now:
            return 0, 0
        return count, max(1, int(resets_at - now + 0.999))

    def reset(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)

    def _sweep(self, now: float) -> None:
        for stale in [k for k, (_, resets_at) in self._counts.items() if resets_at <= now]:
            del self._counts[stale]


class RedisCounterStore:
    """Counters shared by every process. While Redis cannot be reached, each process counts in
    memory instead (logged once per outage): limits stay in force, only per process."""

    def __init__(self, url: str, prefix: str = "buendnis:rl:") -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)
        self._prefix = prefix
        self._fallback = MemoryCounterStore()
        self._degraded = False

    def _degrade(self, exc: Exception) -> None:
        if not self._degraded:
            logger.warning("redis unavailable, counting in memory: %s", type(exc).__name__)
        self._degraded = True

    def _recovered(self) -> None:
        if self._degraded:
            logger.info("redis reachable again")
        self._degraded = False

    def hit(self, key: str, window_seconds: int) -> tuple[int, int]:
        full = self._prefix + key
        try:
            pipe = self._redis.pipeline()
            pipe.incr(full)
            pipe.expire(full, window_seconds, nx=True)
            pipe.ttl(full)
            count, _, ttl = pipe.execute()
        except self._errors as exc:
            self._degrade(exc)
            return self._fallback.hit(key, window_seconds)
        self._recovered()
        return int(count), max(1, int(ttl))

    def peek(self, key: str) -> tuple[int, int]:
        full = self._prefix + key
        try:
            pipe = self._redis.pipeline()
            pipe.get(full)
            pipe.ttl(full)
            raw, ttl = pipe.execute()
        except self._errors as exc:
            self._degrade(exc)
            return self._fallback.peek(key)
        self._recovered()
        return (int(raw) if raw else 0), max(0, int(ttl))

    def reset(self, key: str) -> None:
        self._fallback.reset(key)
        try:
            self._redis.delete(self._prefix + key)
        except self._errors as exc:
            self._degrade(exc)


@lru_cache
def get_counter_store() -> CounterStore:
    settings = get_settings()
    if not settings.redis_url:
        return MemoryCounterStore()
    return RedisCounterStore(settings.redis_url, prefix=f"{settings.redis_key_prefix}rl:")
