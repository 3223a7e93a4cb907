"""A small per-container cache with expiry, for records read on every request (tenants,
clients) that may change rarely: a Lambda container trusts its copy for a few seconds
instead of paying a DynamoDB round trip per request."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TTLCache(Generic[K, V]):
    def __init__(
        self,
        ttl: float,
        maxsize: int = 2048,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._maxsize = maxsize
        self._clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()
        # Counts invalidations: a load that began before one may have read what the change
        # replaced (a client since deleted), so its value is returned but not kept.
        self._generation = 0

    def get_or_load(self, key: K, load: Callable[[], V]) -> V:
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] > now:
                self._entries.move_to_end(key)
                return entry[1]
            generation = self._generation
        value = load()
        with self._lock:
            if generation != self._generation:
                return value
            self._entries[key] = (now + self._ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._maxsize:
                self._entries.popitem(last=False)
        return value

    def invalidate(self, key: K | None = None) -> None:
        """Forget one entry, or all of them."""
        with self._lock:
            self._generation += 1
            if key is None:
                self._entries.clear()
            else:
                self._entries.pop(key, None)
