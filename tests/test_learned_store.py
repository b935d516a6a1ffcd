"""Organisers' facts and learned phrasings in SQLite: states, audit, no member ids."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.storage import InvalidTransition, Store

ORGANISER = 42


def test_a_fact_goes_draft_live_retired_and_each_step_is_audited(store: Store) -> None:
    fact = store.draft_fact("<b>No</b> strike pay.", ["strike pay?"], [], ORGANISER)
    assert fact.state == "draft" and store.live_facts() == []
    generation = store.learned_generation
    store.save_fact(fact.id, ORGANISER)
    assert store.learned_generation > generation  # the engine knows to rebuild
    [live] = store.live_facts()
    assert live.answer == "<b>No</b> strike pay." and live.phrasings == ("strike pay?",)
    with pytest.raises(InvalidTransition):
        store.save_fact(fact.id, ORGANISER)  # a second Save does nothing
    assert store.retire_fact(fact.id, ORGANISER) and store.live_facts() == []
    assert not store.retire_fact(fact.id, ORGANISER)
    assert [e.action for e in store.audit()] == ["fact_retire", "fact_save", "fact_draft"]
    assert {e.actor_id for e in store.audit()} == {ORGANISER}


def test_a_cancelled_draft_cannot_be_saved(store: Store) -> None:
    fact = store.draft_fact("No.", ["strike pay?"], [], ORGANISER)
    assert store.cancel_fact(fact.id, ORGANISER)
    with pytest.raises(InvalidTransition):
        store.save_fact(fact.id, ORGANISER)


def test_a_correction_waits_for_confirmation_and_the_old_text_is_audited(store: Store) -> None:
    fact = store.draft_fact("Old text.", ["strike pay?"], [], ORGANISER)
    store.save_fact(fact.id, ORGANISER)
    store.propose_edit(fact.id, "New text.")
    assert store.live_facts()[0].answer == "Old text."
    store.apply_edit(fact.id, ORGANISER)
    assert store.live_facts()[0].answer == "New text."
    assert "Old text." in (store.audit()[0].detail or "")
    with pytest.raises(InvalidTransition):
        store.apply_edit(fact.id, ORGANISER)


def test_one_correction_waits_at_a_time(store: Store) -> None:
    fact = store.draft_fact("Old text.", ["strike pay?"], [], ORGANISER)
    store.save_fact(fact.id, ORGANISER)
    store.propose_edit(fact.id, "First.")
    with pytest.raises(InvalidTransition, match="already has a correction waiting"):
        store.propose_edit(fact.id, "Second.")
    assert store.organiser_fact(fact.id).pending_answer == "First."
    assert store.drop_edit(fact.id) and not store.drop_edit(fact.id)
    store.propose_edit(fact.id, "Second.")  # once dropped, a new one may wait
    assert store.organiser_fact(fact.id).pending_answer == "Second."


def test_taps_count_as_candidates_without_ids_then_approve_or_reject(store: Store) -> None:
    for _ in range(2):
        store.record_tap("When's the  walkout?", "strike-timing")
    store.record_tap("ballot numbers", "ballot-result")
    first, second = store.candidates()
    assert (first.phrasing, first.fact_id, first.count) == ("when's the walkout?", "strike-timing", 2)
    columns = [r[1] for r in store._db.execute("PRAGMA table_info(learned_phrasings)")]
    assert columns == ["id", "fact_id", "phrasing", "state", "count", "last_day"]
    assert store.approve_phrasing(first.id, ORGANISER)
    assert store.reject_phrasing(second.id, ORGANISER)
    assert store.candidates() == []
    assert [(p.fact_id, p.phrasing) for p in store.approved_phrasings()] == [
        ("strike-timing", "when's the walkout?")]
    assert not store.approve_phrasing(second.id, ORGANISER)  # rejected means gone


def test_candidates_expire_after_30_days_but_approved_phrasings_stay(tmp_path: object) -> None:
    now = [datetime(2013, 11, 5, tzinfo=UTC)]
    with Store(":memory:", clock=lambda: now[0]) as store:
        store.record_tap("old question", "strike-timing")
        store.record_tap("kept question", "strike-timing")
        store.approve_phrasing(store.candidates()[-1].id, ORGANISER)
        now[0] += timedelta(days=31)
        store.purge_expired()
        assert store.candidates() == []
        assert len(store.approved_phrasings()) == 1
