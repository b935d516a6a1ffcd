"""The engine facade that the CLI and the Telegram handlers share."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from bot.answers.announcements import announcement_facts
from bot.answers.engine import TOO_LONG, Engine
from bot.answers.focus import MAX_MESSAGE, MAX_QUESTIONS
from bot.answers.render import Reply
from tests.support.knowledge import KbWriter


def test_ask_returns_a_rendered_reply(engine: Engine) -> None:
    reply = engine.ask("when does the strike start")
    assert isinstance(reply, Reply)
    assert reply.answered and reply.fact is not None and reply.fact.id == "strike-timing"
    assert reply.question == "when does the strike start"
    assert reply.text.startswith(engine.kb.facts["strike-timing"].answer)


def test_ask_declines_without_a_fact(engine: Engine) -> None:
    reply = engine.ask("what's the weather")
    assert not reply.answered and reply.fact is None
    assert reply.text == engine.kb.texts.decline


@pytest.mark.parametrize("fact_id", ["ballot-result", "strike-timing", "about-napo"])
def test_fact_gives_a_facts_card(engine: Engine, fact_id: str) -> None:
    reply = engine.fact(fact_id)
    assert reply is not None
    assert reply.answered and reply.fact is engine.kb.facts[fact_id]
    assert reply.text.startswith(engine.kb.facts[fact_id].answer)
    assert reply.sources


def test_fact_of_an_unknown_id_is_none(engine: Engine) -> None:
    assert engine.fact("no-such-fact") is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("g4s", {"private-firms", "g4s-serco-audit"}),
        ("turnout", {"ballot-result"}),
        ("grayling", {"chris-grayling"}),
    ],
)
def test_search_finds_facts_for_partial_queries(engine: Engine, query: str, expected: set[str]) -> None:
    found = engine.search(query)
    assert expected <= {f.id for f in found}
    assert found[0].id in expected
    assert len(found) <= 5


@pytest.mark.parametrize("query", ["", "zzzqqq", "the"])
def test_search_finds_nothing_for_nothing(engine: Engine, query: str) -> None:
    assert engine.search(query) == []


def test_search_respects_limit(engine: Engine) -> None:
    assert len(engine.search("strike", limit=2)) <= 2


def test_a_huge_message_gets_a_polite_one_thing_at_a_time(engine: Engine) -> None:
    question = ("when is the strike " + "and also blah blah " * 250)[:4000]
    reply = engine.ask(question)
    assert reply.kind == "too_long" and not reply.answered
    assert reply.text == TOO_LONG and "one thing at a time" in reply.text
    assert reply.question == question  # not silently cut


def test_a_message_just_under_the_limit_is_still_read(engine: Engine) -> None:
    story = "I have worked in the office for many years and my team is worried about the future. "
    question = (story * 40)[: MAX_MESSAGE - 60] + " Anyway, when does the strike start?"
    assert len(question) <= MAX_MESSAGE
    reply = engine.ask(question)
    assert reply.answered and reply.fact is not None and reply.fact.id == "strike-timing"


@pytest.mark.parametrize(
    ("message", "fact_id"),
    [
        ("Hiya, sorry to bother you, I've been a probation officer for twenty years and I'm getting "
         "married next spring so money is on my mind. Anyway, what did the ballot result turn out to be?",
         "ballot-result"),
        ("Morning! My partner is a teacher and keeps asking me about our union and I never know what "
         "to say to her. Who is the general secretary of napo?", "ian-lawrence"),
        ("ok so I was at the office on friday and the manager was talking about reoffending and "
         "budgets for ages, dull as anything. what are the contracts worth?", "contract-value"),
    ],
)
def test_the_question_in_a_long_chatty_message_is_found(engine: Engine, message: str, fact_id: str) -> None:
    reply = engine.ask(message)
    assert reply.answered and reply.fact is not None and reply.fact.id == fact_id, reply.text
    assert reply.question == message


def test_shipped_knowledge_base_is_consistent(engine: Engine) -> None:
    assert engine.consistency_problems() == []


def test_a_phrasing_asked_word_for_word_is_answered_with_its_own_fact(engine: Engine) -> None:
    # The fitted model never sees an exact copy (training leaves each phrasing out), and
    # "who is napo" once went to the general secretary at p 0.40: the wording decides.
    missed = [(fact.id, phrasing, m.kind, m.fact.id if m.fact else None)
              for fact in engine.kb.facts.values() for phrasing in fact.phrasings
              if (m := engine.match(phrasing)).fact != fact]
    assert missed == []


# Questions between two facts, worded unlike any phrasing (an exact phrasing is answered surely).
BETWEEN_TWO = [
    "so why is napo against the privatisation plans",
    "how many contract packages will there be",
    "what did the minister say about the strike",
    "what did the justice minister say about the status quo then",
]


def test_an_answer_less_than_sure_offers_its_runner_up_first(engine: Engine) -> None:
    """Half the wrong answers in cross-validation have the right fact as runner-up: it leads
    the related buttons, and the fact's own related topics follow in their order."""
    unsure = [(q, m) for q in BETWEEN_TWO if (m := engine.match(q)).runner_up is not None]
    assert unsure, "no question had a runner-up"
    for question, match in unsure:
        assert match.fact is not None and match.runner_up is not None and match.runner_up != match.fact
        reply = engine.ask(question)
        assert reply.answered and reply.fact == match.fact
        curated = [engine.kb.facts[r] for r in match.fact.related if r in engine.kb.facts]
        assert list(reply.related) == [match.runner_up] + [f for f in curated if f != match.runner_up]


def test_a_sure_answer_keeps_its_own_related_topics(engine: Engine) -> None:
    fact = engine.kb.facts["ballot-result"]
    match = engine.match(fact.phrasings[0])
    assert match.fact == fact and match.runner_up is None
    related = [f.id for f in engine.ask(fact.phrasings[0]).related]
    assert related == [r for r in fact.related if r in engine.kb.facts]


def test_load_another_directory(tmp_path: Path, write_kb: KbWriter) -> None:
    engine = Engine.load(write_kb(tmp_path))
    assert engine.kb.texts.union == "FST"
    reply = engine.ask("when is the walkout")
    assert reply.fact is not None and reply.fact.id == "walkout-day"
    assert "Thursday" in reply.text


@dataclass
class _Posted:
    id: int
    text: str
    posted_at: object


NEWS = _Posted(9, "The strike starts at midday on Tuesday 5 November and lasts 24 hours.",
               dt.datetime(2013, 11, 1, 9, 0, tzinfo=dt.UTC))


@pytest.fixture(scope="module")
def with_news(engine: Engine) -> Engine:
    sources, facts = announcement_facts([NEWS], union=engine.kb.texts.union)
    return Engine(engine.kb.with_facts(sources, facts))


def test_an_announcement_on_a_topic_leads_that_topics_answer(with_news: Engine, engine: Engine) -> None:
    reply = with_news.ask("when is the strike")
    article = engine.kb.facts["strike-timing"]
    assert reply.fact is not None and reply.fact.id == "strike-timing"
    assert reply.text.startswith(f"Latest (1 Nov 2013): {NEWS.text}")
    # The article's answer follows as the earlier report, and all three sources are listed.
    assert f"Earlier report: {article.answer}" in reply.text
    assert reply.text.index(NEWS.text) < reply.text.index(article.answer)
    assert [s.id for s in reply.sources] == ["announcement-9", "bbc", "independent"]
    assert "Napo announcement" in reply.text and "newest" in reply.text
    assert with_news.fact("strike-timing").text == reply.text  # type: ignore[union-attr]


def test_news_does_not_leak_into_other_topics(with_news: Engine, engine: Engine) -> None:
    assert with_news.ask("how much are the contracts worth").text == engine.ask(
        "how much are the contracts worth").text
    # And the engine without the announcement is unchanged.
    assert "Latest" not in engine.ask("when is the strike").text


@pytest.mark.parametrize("message", [
    "Hi all, sorry to bother you with this. I have been a PO for twenty years and my partner keeps "
    "asking me about it. Anyway, are they flogging us off to the highest bidder?",
    "Evening. Long day in court again and I am shattered. Quick one though, how did the union vote go?",
])
def test_a_long_message_costs_one_slow_reading(engine: Engine, message: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Its parts are compared on the fast reading; only the best is read by the transformer."""
    refiner = engine.matcher.refiner
    assert refiner is not None
    read = refiner._read
    calls: list[list[str]] = []

    def counted(words: list[str]) -> list:
        calls.append(words)
        return read(words)

    monkeypatch.setattr(refiner, "_read", counted)
    match = engine.match(message)
    assert len(calls) == 1
    assert " ".join(calls[0]) == " ".join(engine.matcher.norm.words(match.focus))


def test_every_example_question_is_answered(engine: Engine) -> None:
    """/start offers them as buttons and /help quotes them: each must get an answer."""
    assert engine.kb.texts.examples
    assert [e for e in engine.kb.texts.examples if not engine.ask(e).answered] == []
    assert not [w for w in engine.consistency_warnings() if "example question" in w.reason]


def test_an_unanswered_example_question_is_a_check_warning(engine: Engine) -> None:
    texts = replace(engine.kb.texts, examples=("who won the football last night", "when is the strike?"))
    other = Engine(replace(engine.kb, texts=texts))
    warnings = [str(w) for w in other.consistency_warnings() if "example question" in w.reason]
    assert len(warnings) == 1
    assert "bot.yaml" in warnings[0] and "'who won the football last night'" in warnings[0]


@pytest.mark.parametrize(
    ("query", "first"),
    [("turnout", "ballot-result"),  # answered: the answer's card comes first
     ("when is the str", "strike-timing"),  # half typed: close matches by words
     ("grayling", "chris-grayling"),
     ("do we get strike pay", None),  # a decline example's topic: no card passes for an answer
     ("what about my pension", None),
     ("thanks", None)],  # small talk
)
def test_inline_cards(engine: Engine, query: str, first: str | None) -> None:
    cards = [f.id for f in engine.inline_cards(query)]
    assert (cards[0] if cards else None) == first, cards
    assert len(cards) == len(set(cards)) <= 5


# ---------------------------------------------------------------- several questions at once

@pytest.mark.parametrize("message, facts", [
    ("when is the strike and what was the turnout?", {"strike-timing", "ballot-result"}),
    ("Who is the justice secretary? And how much are the contracts worth?",
     {"chris-grayling", "contract-value"}),
    ("hi, two things. when is the strike happening? and who is the general secretary of napo?",
     {"strike-timing", "ian-lawrence"}),
])
def test_each_question_of_a_message_gets_its_own_answer(engine: Engine, message: str,
                                                        facts: set[str]) -> None:
    reply = engine.ask(message)
    replies = (reply, *reply.also)
    assert {r.fact.id for r in replies if r.fact} == facts and all(r.answered for r in replies)
    # Each reply is the one its question gets when asked alone, source included.
    alone = {engine.ask(r.question).text for r in reply.also}
    assert {r.text for r in reply.also} == alone and all("Source" in r.text for r in replies)
    assert reply.question == message and not any(r.also for r in reply.also)


def test_greetings_that_ask_do_not_use_up_the_replies(engine: Engine) -> None:
    """Parts were cut to three before the unanswered ones were dropped, so "hello?" and
    "anyone there?" left room for one question, and the whole message's reading said the
    reports give no time for the strike."""
    reply = engine.ask("hello? anyone there? when is the strike and what was the turnout?")
    assert {r.fact.id for r in (reply, *reply.also) if r.fact} == {"strike-timing", "ballot-result"}
    assert all(r.answered for r in (reply, *reply.also))
    replies = engine.ask("? ".join(["hello", "anyone there", "when is the strike", "what was the turnout",
                                     "who is the general secretary", "how much are the contracts worth"]))
    assert len((replies, *replies.also)) == MAX_QUESTIONS


def test_the_answer_the_whole_message_got_comes_first(engine: Engine) -> None:
    message = "when is the strike and what was the turnout?"
    whole = engine.match(message)
    assert whole.kind == "answer" and whole.fact is not None
    assert engine.ask(message).fact == whole.fact


def test_a_question_the_reports_do_not_cover_gets_its_own_decline(engine: Engine) -> None:
    reply = engine.ask("when is the strike? and is there strike pay?")
    assert reply.answered and reply.fact is not None and reply.fact.id == "strike-timing"
    [pay] = reply.also
    assert not pay.answered and pay.text == engine.ask("is there strike pay").text
    assert engine.match("is there strike pay").decline is not None


@pytest.mark.parametrize("message", [
    "what percentage voted yes and what was the turnout?",  # one fact answers both
    "what's the weather? who won the football?",  # neither is answered
    "when is the strike? who won the football?",  # one answered, the other declined plainly
    "when is the strike",
])
def test_one_reply_unless_two_questions_have_answers_on_different_topics(engine: Engine,
                                                                         message: str) -> None:
    reply = engine.ask(message)
    assert reply.also == () and "also" not in reply.to_json()
    assert reply == engine._reply(engine.match(message), message)


def test_json_carries_the_other_replies(engine: Engine) -> None:
    data = engine.ask("when is the strike and what was the turnout?").to_json()
    also = data["also"]
    assert isinstance(also, list) and len(also) == 1 and also[0]["answered"] is True
    assert also[0]["fact"] != data["fact"] and also[0]["sources"]
