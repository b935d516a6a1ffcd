"""Callback data: what our buttons send parses back; anything else is refused, never crashes."""

from __future__ import annotations

import pytest

from bot.tg import callbacks


@pytest.mark.parametrize("action, ann_id", [("post", 1), ("there", 42), ("sched", 999_999)])
def test_announcement_buttons_round_trip(action: str, ann_id: int) -> None:
    assert callbacks.parse_announce(callbacks.announce(action, ann_id)) == (action, ann_id)


def test_fact_and_number_buttons_round_trip() -> None:
    assert callbacks.parse_fact(callbacks.fact("ballot-result")) == "ballot-result"
    assert callbacks.parse_number(callbacks.topics(3), callbacks.TOPICS) == 3
    assert callbacks.parse_number(callbacks.example(0), callbacks.EXAMPLE) == 0


@pytest.mark.parametrize("data", [
    "a:post:99999999999999999999999",  # overflowed SQLite before
    "a:post:-1", "a:post:", "a:post", "a::1", "a:POST:1", "a:post:1:2", "a:post:1e3",
    "f:ballot", "x:1", None, "a:post:" + "1" * 60,
])
def test_malformed_announcement_data_is_refused(data: str | None) -> None:
    with pytest.raises(callbacks.BadCallback):
        callbacks.parse_announce(data)


@pytest.mark.parametrize("data", ["t:", "t:abc", "t:-2", "t:" + "9" * 13, "x:1", None])
def test_malformed_page_is_refused(data: str | None) -> None:
    with pytest.raises(callbacks.BadCallback):
        callbacks.parse_number(data, callbacks.TOPICS)


def test_fact_ids_too_long_for_a_button_are_refused_when_packing() -> None:
    with pytest.raises(ValueError):
        callbacks.fact("x" * 70)


def test_gap_fact_and_learning_buttons_round_trip() -> None:
    assert callbacks.parse_number(callbacks.tell_me(7), callbacks.TELL_ME) == 7
    assert callbacks.parse_organiser_fact(callbacks.organiser_fact("save", 3)) == ("save", 3)
    assert callbacks.parse_learn(callbacks.learn("reject", 12)) == ("reject", 12)
    assert callbacks.parse_clear_gaps(callbacks.clear_gaps("clear", 40)) == ("clear", 40)


@pytest.mark.parametrize("data", ["g:delete:1", "g:clear:", "g:clear:-1", "g:keep:1:2", "a:clear:1", None])
def test_forged_clear_gaps_buttons_are_refused(data: str | None) -> None:
    with pytest.raises(callbacks.BadCallback):
        callbacks.parse_clear_gaps(data)


@pytest.mark.parametrize("data", ["o:post:1", "o:save:", "o:save:-1", "o:save:1:2", "l:save:1", "o:SAVE:1",
                                  "a:save:1", None, "o:save:" + "9" * 13])
def test_forged_fact_and_learning_buttons_are_refused(data: str | None) -> None:
    with pytest.raises(callbacks.BadCallback):
        callbacks.parse_organiser_fact(data)
    with pytest.raises(callbacks.BadCallback):
        callbacks.parse_learn(data)
