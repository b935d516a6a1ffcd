"""Flood control: `limit` messages per sliding window, one polite warning, then silence."""

from __future__ import annotations

import pytest

from bot.tg.flood import FloodControl


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.mark.parametrize("limit", [1, 3, 8])
def test_ok_up_to_the_limit_then_one_warning_then_drops(clock: FakeClock, limit: int) -> None:
    flood = FloodControl(limit=limit, window=30.0, clock=clock)
    verdicts = [flood.check(7) for _ in range(limit + 4)]
    assert verdicts == ["ok"] * limit + ["warn"] + ["drop"] * 3


def test_ok_again_after_the_window_and_a_new_warning_next_time(clock: FakeClock) -> None:
    flood = FloodControl(limit=2, window=10.0, clock=clock)
    assert [flood.check(7) for _ in range(4)] == ["ok", "ok", "warn", "drop"]
    clock.advance(10.0)
    assert flood.check(7) == "drop"  # exactly one window later the old messages still count
    clock.advance(0.01)
    assert flood.check(7) == "ok"
    assert [flood.check(7) for _ in range(3)] == ["ok", "warn", "drop"]


def test_the_window_slides_one_message_at_a_time(clock: FakeClock) -> None:
    flood = FloodControl(limit=3, window=10.0, clock=clock)
    for _ in range(3):
        assert flood.check(1) == "ok"
        clock.advance(4.0)  # messages at t=0, 4, 8
    assert flood.check(1) == "ok"  # t=12: the t=0 message has left the window
    assert flood.check(1) == "warn"  # t=12: 4, 8, 12 are still in it


def test_drops_do_not_extend_the_window(clock: FakeClock) -> None:
    flood = FloodControl(limit=1, window=10.0, clock=clock)
    assert flood.check(1) == "ok"
    for _ in range(5):
        clock.advance(2.0)
        assert flood.check(1) in {"warn", "drop"}
    clock.advance(0.5)  # t=10.5 after the only counted message
    assert flood.check(1) == "ok"


def test_members_are_counted_separately(clock: FakeClock) -> None:
    flood = FloodControl(limit=2, window=10.0, clock=clock)
    assert [flood.check(1) for _ in range(3)] == ["ok", "ok", "warn"]
    assert [flood.check(2) for _ in range(2)] == ["ok", "ok"]
    assert flood.check(1) == "drop"


def test_forget_idle_drops_quiet_members_only(clock: FakeClock) -> None:
    flood = FloodControl(limit=2, window=10.0, clock=clock)
    flood.check(1)
    clock.advance(8.0)
    flood.check(2)
    clock.advance(5.0)  # member 1 quiet for 13 s, member 2 for 5 s
    assert flood.forget_idle() == 1
    assert set(flood._seen) == {2}
    assert flood.forget_idle() == 0
