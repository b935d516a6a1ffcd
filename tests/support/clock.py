"""A clock the tests set by hand, for the store's time rules (expiry, late posts, audit)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

T0 = datetime(2013, 11, 1, 9, 0, tzinfo=UTC)


class Clock:
    """Callable like `datetime.now(UTC)`; starts at T0 and moves only when told."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)
