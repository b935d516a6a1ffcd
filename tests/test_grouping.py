"""/gaps grouping: the same question in other words is one gap; different topics stay apart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from bot.answers.engine import Engine
from bot.answers.grouping import GapGrouper

DAY = date(2013, 11, 5)


@dataclass(frozen=True)
class Asked:
    id: int
    question: str
    count: int = 1
    last_day: date = DAY


@pytest.fixture(scope="module")
def grouper(engine: Engine) -> GapGrouper:
    return GapGrouper(engine.kb, engine.matcher.norm)


def asked(*questions: str) -> list[Asked]:
    return [Asked(i, q) for i, q in enumerate(questions)]


def test_the_issues_three_strike_pay_wordings_are_one_gap_of_three(grouper: GapGrouper) -> None:
    [gap] = grouper.group(asked("do we get strike pay", "strike pay?", "will there be strike pay on the day"))
    assert gap.count == 3 and gap.representative == "do we get strike pay"


@pytest.mark.parametrize("wordings", [
    ("where's the picket at my office", "wheres the picket for our office"),
    ("will agency staff cover our work", "can agency staff do our jobs during the strike"),
    ("can they dock a full day", "will they dock a full days pay"),
    ("will striking affect my pension", "what happens to my pension if i strike"),
    ("wot about strike pay", "do we get strike pay"),  # text-speak, as the matcher reads it
])
def test_same_question_in_other_words_groups(grouper: GapGrouper, wordings: tuple[str, ...]) -> None:
    assert len(grouper.group(asked(*wordings))) == 1


@pytest.mark.parametrize("a, b", [
    ("do we get strike pay", "where's the picket at my office"),
    ("do we get strike pay", "when is the next strike"),  # sharing "strike" is not enough
    ("will striking affect my pension", "can i take annual leave on strike day"),
    ("how do i join napo", "whats the napo head office phone number"),
    ("is the tube strike on tomorrow", "when is the royal mail strike"),
    ("will there be more strikes", "off sick during the strike what do i do"),
])
def test_different_topics_do_not_group(grouper: GapGrouper, a: str, b: str) -> None:
    assert len(grouper.group(asked(a, b))) == 2


def test_a_wording_of_one_common_word_links_no_topics_together(grouper: GapGrouper) -> None:
    # "will there be more strikes" is all in "off sick during the strike", and in "do i have to
    # tell my manager im striking": containing only a word every union question has must not
    # chain those two into one gap through it.
    gaps = grouper.group(asked("will there be more strikes", "off sick during the strike what do i do",
                               "do i have to tell my manager im striking"))
    assert len(gaps) == 3


def test_gaps_are_numbered_most_asked_first_with_the_latest_day(grouper: GapGrouper) -> None:
    gaps = grouper.group([
        Asked(1, "where is the picket line", 1, date(2013, 11, 1)),
        Asked(2, "strike pay?", 2, date(2013, 11, 2)),
        Asked(3, "do we get strike pay", 1, date(2013, 11, 4)),
    ])
    assert [(g.representative, g.count, g.last_day) for g in gaps] == [
        ("strike pay?", 3, date(2013, 11, 4)),
        ("where is the picket line", 1, date(2013, 11, 1)),
    ]
    assert gaps[0].ids == (2, 3)


def test_odd_wordings_never_crash_and_stand_alone(grouper: GapGrouper) -> None:
    gaps = grouper.group(asked("???", "🙂🙂", "x" * 200, "strike pay?"))
    assert sum(g.count for g in gaps) == 4
    assert len(gaps) == 4
