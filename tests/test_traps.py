"""The kind of detail a question asks for that a fact may not contain (traps.py). Our own
questions, none from the eval sets."""

from __future__ import annotations

import pytest

from bot.answers.engine import Engine
from bot.answers.knowledge import Claim, Fact
from bot.answers.traps import asked_details, missing_detail


def _fact(*quotes: str) -> Fact:
    return Fact("f", "A fact", "An answer.", tuple(Claim("s", q) for q in quotes), ("a phrasing",))



@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("how much did they get paid", "an amount of money"),
        ("what fine did the firm pay", "an amount of money"),
        ("how many people went", "a number"),
        ("what date was it announced", "a calendar date"),
        ("when was the letter sent", "a time or day"),
        ("what time does it start", "a time or day"),
        ("which companies bid", "names"),
        ("what percentage agreed", "a percentage"),
        ("what years did they strike", "a calendar date"),
        ("how much profit will they make", "an amount of money"),
        ("how long will it last", "a length of time"),
        ("which regions are they", "names"),
        ("what was the cost of the scheme", "an amount of money"),
        ("how expensive will it be", "an amount of money"),
        ("what's the total number of staff", "a number"),
        ("what figure was given for staff", "a number"),
        ("what's the deadline", "a calendar date"),
        ("when's the meeting", "a time or day"),
        ("by when must they reply", "a time or day"),
        ("what companies are bidding", "names"),
        ("how many percent said no", "a percentage"),
        ("how many years does the lease run", "a length of time"),
        ("what is the vacancy rate", "a rate"),
        ("what's the current sickness rate", "a rate"),
        ("what did the memo say word for word", "the full wording"),
        ("send me the full text of the letter", "the full wording"),
        ("can i read the statement in full", "the full wording"),
        ("what's the actual date of the rally", "a calendar date"),
    ],
)
def test_the_kind_of_detail_asked_for_is_recognised(question: str, kind: str) -> None:
    assert kind in [d.name for d in asked_details(question)]


@pytest.mark.parametrize("question", [
    "why are they striking", "is it about privatisation", "tell me more",
    "did the people who voted agree", "what are they doing about it", "what happens when the strike ends",
    # a bare "who" is answered by whoever the claims describe, named or not
    "who wrote it", "whose idea was it", "anyone know who is in charge",
    # "in full" of a name, not of a text; a rate asked of no figure
    "what is the union called in full", "why are the rates going up",
    "where can i read the full text of the report",  # where: the sources answer it
])
def test_questions_that_ask_for_no_particular_detail(question: str) -> None:
    assert asked_details(question) == []


@pytest.mark.parametrize(
    ("question", "quotes", "missing"),
    [
        ("how much did the firm overcharge", ("the firm overcharged the council",), "an amount of money"),
        ("how much did the firm overcharge", ("it overcharged by £2m",), None),
        ("how many staff walked out", ("staff walked out across the region",), "a number"),
        ("how many staff walked out", ("some 7,500 staff walked out",), None),
        ("how many staff walked out", ("thousands of staff walked out",), None),
        ("what date is the rally", ("a rally is planned",), "a calendar date"),
        ("what date is the rally", ("a rally is planned for 3 March",), None),
        ("what date is the rally", ("a rally is planned for Friday",), "a calendar date"),
        ("what day is the rally", ("a rally is planned for Friday",), None),
        ("when is the rally", ("a rally is planned for Friday",), None),
        ("when is the rally", ("a rally is planned",), "a time or day"),
        ("which trusts wrote the letter", ("the chairs of three trusts wrote a letter",), "names"),
        ("which trusts wrote the letter", ("the chairs of Kent and Essex trusts wrote",), None),
        ("what percentage voted yes", ("most members voted yes",), "a percentage"),
        ("what percentage voted yes", ("80% voted yes",), None),
        ("how long will the contracts run", ("contracts were offered to firms",), "a length of time"),
        ("how long will the strike last", ("a 24-hour strike",), None),
        ("how long does the lease run", ("a £2m lease was signed",), "a length of time"),
        ("how long has the union existed", ("in its 101-year history",), None),
        ("which councils are interested",
         ("The Ministry said more than 30 councils had expressed an interest",), "names"),
        ("what are the names of the three trusts",
         ("the chairs of three probation trusts wrote to Mr Grayling",), "names"),
        ("which firms are bidding", ("firms such as G4S and Serco", "two of the biggest firms"), None),
        ("who wrote to the minister", ("the chairs of three trusts wrote to Mr Grayling",), None),
        ("which 20 regions get contracts", ("contracts across 20 regions in England",), "names"),
        ("which charities are taking part", ("some 40 charities are taking part",), "names"),
        ("what did the three trusts say", ("the chairs of three trusts wrote of the risks",), None),
        ("third or fourth, which is it", ("the third time in its history",), None),
        ("who will supervise the riskiest offenders",
         ("a new public sector National Probation Service will deal with 31,000 offenders",), None),
        ("who gets the contracts", ("contracts were offered to voluntary sector organisations",), None),
        ("who are the three trust chairs", ("the chairs of three probation trusts wrote",), "names"),
        ("which us states outsourced it", ("some states in the US have outsourced probation",), "names"),
        ("which other unions are in talks", ("talks with Napo and other relevant trade unions",), "names"),
        ("which 20 english regions", ("contracts across 20 English regions",), "names"),
        ("what did the trust chairs say", ("the chairs of three trusts wrote of the risks",), None),
        ("which offenders are released", ("50,000 short sentenced offenders are released",), None),
        ("which contracts are on offer", ("£450m worth of contracts are on offer",), None),
        ("name the places in wales", ("20 regions in England and one in Wales",), None),  # no group
        ("how much profit will they make", ("the privateers making huge profits",), "an amount of money"),
        ("what years did Napo strike before", ("the third time in its 101-year history",), "a calendar date"),
        ("when did the chairs write", ("Last week, the chairs of three trusts wrote",), None),
        # a figure the question gives is no answer to it
        ("how many of the 7,500 staff are managers", ("7,500 staff would be affected",), "a number"),
        ("how many of the 7500 staff are managers", ("7,500 staff would be affected",), "a number"),
        ("how many of the 7,500 staff are managers", ("7,500 staff, 300 of them managers",), None),
        ("how much will charities get of the £450m", ("£450m worth of contracts",), "an amount of money"),
        ("how much will charities get of the £450m", ("£450m, of which £20m to charities",), None),
        ("how many of the 75 staff are managers", ("7,500 staff would be affected",), None),  # not 75
        ("how many staff are affected, 7,500?", ("7,500 staff would be affected",), None),  # a check
        ("how much are the contracts worth, is it £450m?", ("£450m worth of contracts",), None),
        ("of the 225000 offenders how many reoffend", ("225,000 offenders a year",), "a number"),
        ("how many years do the contracts run", ("£450m worth of contracts",), "a length of time"),
        ("how many years do the contracts run", ("225,000 offenders a year",), "a length of time"),
        ("how many years do the contracts run", ("the 20 contracts are let for a year",), None),
        ("how many years has the union existed", ("in its 101-year history",), None),
        ("what is the reoffending rate", ("high reoffending rates",), "a rate"),
        ("what is the reoffending rate", ("high reoffending rates for 50,000 offenders",), "a rate"),
        ("what is the reoffending rate", ("a reoffending rate of 45%",), None),
        ("what did the chairs say word for word", ("the chairs wrote of the risks",), "the full wording"),
        ("what are the regions called", ("contracts across 20 regions",), "names"),
        ("what is the union called", ("the union, Napo, said",), None),
    ],
)
def test_a_detail_is_missing_only_when_no_claim_contains_that_kind(
    question: str, quotes: tuple[str, ...], missing: str | None
) -> None:
    found = missing_detail(question, _fact(*quotes))
    assert (found.name if found else None) == missing


@pytest.mark.parametrize(
    ("question", "fact_id"),
    [
        ("how much money did g4s overcharge the government by", "g4s-serco-audit"),
        ("what date did the probation trust chairs write to grayling", "trusts-letter"),
        # in text-speak or other words
        ("wot date did the probation trust chairs write 2 grayling", "trusts-letter"),
        ("hw much money did g4s overcharge the govt by", "g4s-serco-audit"),
        ("what was the cost of the g4s overcharging", "g4s-serco-audit"),
        ("how many of the 225,000 offenders will reoffend", "offenders-covered"),
        ("how many months will the audit of g4s and serco take", "g4s-serco-audit"),
    ],
)
def test_a_trap_gets_an_honest_partial_reply(engine: Engine, question: str, fact_id: str) -> None:
    reply = engine.ask(question)
    assert reply.kind == "partial" and not reply.answered, reply.text
    assert reply.text.startswith("The reports don't give ")
    assert reply.fact is not None and reply.fact.id == fact_id
    assert engine.kb.facts[fact_id].answer in reply.text and reply.sources  # what they do say, sourced
    assert reply.to_json()["answered"] is False


def test_text_speak_is_read_for_the_kind_of_detail_too() -> None:
    assert asked_details("wot date is it") == []  # "wot" alone is no English the patterns know
    assert [d.name for d in asked_details("wot date is it", "what date is it")] == ["a calendar date"]
    assert [d.name for d in asked_details("what % voted", "what vote")] == ["a percentage"]  # "%": raw text


@pytest.mark.parametrize(
    ("question", "fact_id"),
    [
        ("how much are the probation contracts worth", "contract-value"),
        ("who gets the £450m", "contract-value"),  # "who": the claims describe who, unnamed
        ("who will supervise the low risk offenders", "offenders-covered"),
    ],
)
def test_a_question_whose_detail_is_there_is_answered(engine: Engine, question: str, fact_id: str) -> None:
    reply = engine.ask(question)
    assert reply.answered and reply.fact is not None and reply.fact.id == fact_id, reply.text
