"""Organisers' facts as knowledge: sourcing, overlay on knowledge/, `check`'s verdict, precedence."""

from __future__ import annotations

from datetime import date

from bot.answers.engine import Engine
from bot.answers.matcher import DECLINE_PREFIX
from bot.answers.organiser import Draft, fact_id, number_of, overlay, title_for, to_fact
from bot.answers.vetting import vet_fact, vet_phrasing

DAY = date(2013, 11, 5)
STRIKE_PAY = Draft(1, "<b>No</b>: there is no strike pay &amp; no levy.",
                   ("do we get strike pay", "strike pay?"), DAY)


def test_an_organiser_fact_is_sourced_to_the_unions_organisers_with_its_date(engine: Engine) -> None:
    source, fact = to_fact(STRIKE_PAY, engine.kb.texts.union)
    assert fact.id == fact_id(1) and number_of(fact.id) == 1 and number_of("strike-timing") is None
    assert fact.answer == "No: there is no strike pay & no levy."  # plain text for the matcher
    reply = Engine(engine.kb.with_facts([source], [fact])).ask("is there any strike pay")
    assert reply.fact == fact
    assert reply.text.endswith("Source:\n• Napo organisers, 5 Nov 2013")
    assert reply.html.startswith("<b>No</b>: there is no strike pay &amp; no levy.")  # formatting kept


def test_titles_fit_a_button() -> None:
    assert title_for("do we get strike pay?") == "Do we get strike pay"
    assert len(title_for("x " * 60)) <= 40
    assert title_for("   ") == "Organisers' answer"


def test_check_refuses_a_phrasing_another_fact_owns(engine: Engine) -> None:
    source, fact = to_fact(Draft(2, "Tuesday.", ("when is the strike",), DAY), "Napo")
    problems = vet_fact(engine, source, fact)
    assert any("under two facts" in p and "organiser fact #2" in p for p in problems), problems


def test_check_refuses_a_fact_that_steals_anothers_questions(engine: Engine) -> None:
    source, fact = to_fact(Draft(3, "We won.", ("what was the ballot result for us",), DAY), "Napo")
    problems = vet_fact(engine, source, fact)
    assert any("'ballot-result'" in p and "better than its own" in p for p in problems), problems


def test_check_accepts_a_new_topic(engine: Engine) -> None:
    assert vet_fact(engine, *to_fact(STRIKE_PAY, "Napo")) == []


def test_approving_checks_the_phrasing_against_the_other_facts(engine: Engine) -> None:
    assert vet_phrasing(engine, "strike-timing", "when's the walkout kicking off") == []
    assert vet_phrasing(engine, "strike-timing", "what was the ballot result") != []
    assert vet_phrasing(engine, "no-such-fact", "anything") == ["fact 'no-such-fact' no longer exists"]


def test_on_a_clash_with_knowledge_the_organiser_fact_keeps_the_phrasing(engine: Engine) -> None:
    clash = Draft(4, "Our own answer.", ("when is the strike", "strike pay?"), DAY)
    kb, conflicts = overlay(engine.kb, [clash], {})
    assert "when is the strike" not in kb.facts["strike-timing"].phrasings
    assert "when is the strike" in kb.facts[fact_id(4)].phrasings
    assert len(conflicts) == 1 and "organiser fact #4; the organiser fact keeps it" in conflicts[0]
    assert Engine(kb).ask("when is the strike").fact == kb.facts[fact_id(4)]


def test_approved_phrasings_join_their_fact_or_are_reported(engine: Engine) -> None:
    kb, conflicts = overlay(engine.kb, [], {"strike-timing": ["wen r we out"], "gone": ["x"],
                                            "ballot-result": ["when is the strike"]})
    assert "wen r we out" in kb.facts["strike-timing"].phrasings
    assert "when is the strike" not in kb.facts["ballot-result"].phrasings
    assert len(conflicts) == 2


def test_an_organiser_fact_takes_precedence_over_a_decline(engine: Engine) -> None:
    """Once answered, it is answered: a question a decline example covers ("strike pay" in
    knowledge/declines.yaml) gets the organisers' fact once there is one."""
    assert any("strike pay" in p for d in engine.kb.declines for p in d.phrasings)
    before = engine.ask("do we get strike pay")
    assert before.kind == "decline" and not before.answered
    source, fact = to_fact(STRIKE_PAY, "Napo")
    answered = Engine(engine.kb.with_facts([source], [fact]))
    # It answers that decline example from now on, even in words its two wordings share little
    # with: against the decline example's dozens of wordings, its own likelihood is low.
    assert answered.matcher.superseded == {DECLINE_PREFIX + "strike-pay": fact.id}
    for question in ("do we get strike pay", "will there be any strike pay", "will napo pay us strike pay"):
        assert answered.ask(question).fact == fact, question
    # Questions the organisers have not answered keep their decline.
    assert answered.ask("what about my pension if i strike").kind == "decline"
