"""Per-member flood control, in memory only: timestamps, never message text.

A member who sends too much too fast gets exactly one polite notice, then silence until
they slow down. Nothing here is persisted, and user ids never leave this process.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Verdict = Literal["ok", "warn", "drop"]


@dataclass
class FloodControl:
    """A sliding window per user: `limit` messages per `window` seconds."""

    limit: int = 8
    window: float = 30.0
    clock: Callable[[], float] = time.monotonic
    _seen: dict[int, deque[float]] = field(default_factory=dict)
    _warned: set[int] = field(default_factory=set)

    def check(self, user_id: int) -> Verdict:
        """'ok' to answer, 'warn' once when the limit is crossed, then 'drop'."""
        now = self.clock()
        times = self._seen.setdefault(user_id, deque())
        while times and now - times[0] > self.window:
            times.popleft()
        if len(times) < self.limit:
            times.append(now)
            self._warned.discard(user_id)
            return "ok"
        if user_id in self._warned:
            return "drop"
        self._warned.add(user_id)
        return "warn"

    def forget_idle(self) -> int:
        """Drop users with no recent messages so memory stays bounded; returns how many."""
        now = self.clock()
        idle = [u for u, t in self._seen.items() if not t or now - t[-1] > self.window]
        for u in idle:
            del self._seen[u]
            self._warned.discard(u)
        return len(idle)
