"""Reading a member's message for the part that asks (focus.py): long messages, run-on
sentences, greetings and life stories around the question. Our own questions."""

from __future__ import annotations

import pytest

from bot.answers.engine import Engine
from bot.answers.focus import (
    LONG_MESSAGE,
    MAX_MESSAGE,
    MAX_PARTS,
    asking_sentences,
    questions,
    readings,
    sentences,
    too_long,
)


def test_sentences_split_on_stops_questions_and_lines() -> None:
    assert sentences("Hi there! I work in Leeds.\nWhen is it? Thanks") == [
        "Hi there!", "I work in Leeds.", "When is it?", "Thanks"]


def test_a_short_message_is_read_whole() -> None:
    assert readings("when is the strike") == ["when is the strike"]


def test_a_long_message_is_also_read_on_its_question_and_ending() -> None:
    story = "Hello, I have been a member for years and my manager is worried about the office rota. "
    message = story + "Sorry to bother you. Who is the general secretary? Thanks in advance"
    assert len(message.split()) >= LONG_MESSAGE
    parts = readings(message)
    assert parts[-1] == message  # the whole message is still one reading
    assert "Who is the general secretary?" in parts
    assert "Thanks in advance" in parts  # the last sentence, whatever it is
    # The sentence before a question comes with it: it often names the topic.
    assert "Sorry to bother you. Who is the general secretary?" in parts


@pytest.mark.parametrize("message, clause", [
    ("hello there, been away on a course all week and missed everything, so who is in charge of napo",
     "who is in charge of napo"),
    ("apologies for the late question from a very tired officer but where is the agm being held this year",
     "where is the agm being held this year"),
])
def test_a_run_on_sentence_is_also_read_on_its_last_clause(message: str, clause: str) -> None:
    assert len(message.split()) >= LONG_MESSAGE and clause in readings(message)


def test_a_last_clause_that_asks_nothing_is_not_a_reading() -> None:
    message = "when is the strike starting and how long will it last, thanks very much for your help"
    assert "thanks very much for your help" not in readings(message)


def test_too_long_is_about_length_only() -> None:
    assert not too_long("x" * MAX_MESSAGE)
    assert too_long("x" * (MAX_MESSAGE + 1))


def test_a_question_after_a_run_on_preamble_is_answered(engine: Engine) -> None:
    message = ("evening all, just back from two weeks leave and catching up on the emails, sorry if "
               "everyone knows already but who is the justice secretary in all this?")
    reply = engine.ask(message)
    assert reply.answered and reply.fact is not None and reply.fact.id == "chris-grayling", reply.text


def test_greetings_and_a_life_story_do_not_drown_the_question(engine: Engine) -> None:
    message = ("Good evening all, hope everyone is keeping well. I joined the service in 1998 and I have "
               "seen a lot of changes, my husband thinks I should retire but I love the job. Our office "
               "has been so busy lately. Anyway what I really wanted to ask: how many regions will the "
               "contracts be split into?")
    reply = engine.ask(message)
    assert reply.answered and reply.fact is not None and reply.fact.id == "contract-regions", reply.text


# ---------------------------------------------------------------- several questions at once

def _words(text: str) -> list[str]:
    """A stand-in normaliser: lower case, punctuation off, so the table reads plainly."""
    return [w.strip("?!.,'\"").lower() for w in text.split() if w.strip("?!.,'\"")]


@pytest.mark.parametrize("message, asked", [
    ("when is the strike and what was the turnout", ["when is the strike", "what was the turnout"]),
    ("When is the strike? What was the turnout?", ["when is the strike", "what was the turnout"]),
    ("when is the strike & who is the minister", ["when is the strike", "who is the minister"]),
    ("Whats the strike about, and who is the minister?", ["whats the strike about", "who is the minister"]),
    ("strike date? turnout?", ["strike date", "turnout"]),  # terse, each marked by its "?"
    ("hi there. when is it on? and who called it?", ["when is it on", "who called it"]),
    ("Two things please: when is the walkout, and is there a hardship fund?",  # after a colon
     ["when is the walkout", "is there a hardship fund"]),
    ("quick ones - what was the vote? and who called it?", ["what was the vote", "who called it"]),
    ("a? b? c? d? e? f? g?", ["a", "b", "c", "d", "e", "f"]),  # at most MAX_PARTS
])
def test_a_message_asking_several_things_is_split_into_its_questions(message: str, asked: list[str]) -> None:
    assert questions(message, _words) == asked
    assert len(asked) <= MAX_PARTS


@pytest.mark.parametrize("message", [
    "when is the strike",
    "when and where is the strike",  # "and" after one word joins, it does not split
    "how many voted and struck",  # no question word after "and"
    "hi, when is the strike",  # a greeting asks nothing
    "sorry to bother you, but when is the strike?",
    "is it true that members voted and that the turnout was low?",
    "who says 700 firms are interested, the union or the ministry?",  # a choice, not a question
])
def test_a_message_asking_one_thing_is_not_split(message: str) -> None:
    assert questions(message, _words) == []


# ---------------------------------------------------------------- a short question among courtesies

@pytest.mark.parametrize("message, asking", [
    ("hi. when is the strike? thanks", ["when is the strike?"]),
    ("Hello, what was the turnout? Cheers", ["Hello, what was the turnout?"]),
    ("when is the strike", []),  # one sentence: read whole, as before
    ("Morning all, hope everyone is well and keeping warm. Who is the general secretary?", []),  # long
])
def test_a_short_message_offers_its_asking_sentences(message: str, asking: list[str]) -> None:
    assert asking_sentences(message) == asking


@pytest.mark.parametrize("message, fact", [
    ("hi. when is the strike? thanks", "strike-timing"),
    ("Hello, what was the turnout? Cheers", "ballot-result"),
])
def test_thanks_after_a_short_question_do_not_turn_its_answer_into_a_choice(
    engine: Engine, message: str, fact: str
) -> None:
    """Both got "did you mean" with the right fact: the courtesy diluted the question."""
    reply = engine.ask(message)
    assert reply.answered and reply.fact is not None and reply.fact.id == fact, reply.text


@pytest.mark.parametrize("message", ["Hello? Anyone there?", "thanks. bye"])
def test_courtesies_alone_are_still_small_talk(engine: Engine, message: str) -> None:
    assert engine.ask(message).kind == "smalltalk"
