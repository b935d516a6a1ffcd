"""The gap report and "Tell me" opt-ins in SQLite: no identities, expiry, clearing, migration."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from bot.storage import SCHEMA_VERSION, Store
from tests.support.clock import T0, Clock
from tests.support.v1_database import V1_SCHEMA

ORGANISER = 42


def test_a_v1_database_keeps_its_gaps_and_gains_ids(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "v1.sqlite3"
    raw = sqlite3.connect(path)
    raw.executescript(V1_SCHEMA + "INSERT INTO gaps VALUES ('strike pay?', 3, '2013-11-04'), "
                                  "('picket?', 1, '2013-11-05');")
    raw.close()
    with Store(path, clock=clock) as s:
        assert s.top_gaps() == [("strike pay?", 3), ("picket?", 1)]
        assert s.record_gap("Strike pay?") == s.gap_questions()[0].id
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert raw.execute("SELECT name FROM sqlite_master WHERE name = 'gaps'").fetchall() == []
    raw.close()


def test_record_gap_returns_one_id_per_wording(store: Store) -> None:
    first = store.record_gap("Strike  PAY?")
    assert first is not None and store.record_gap("strike pay?") == first
    assert store.record_gap("   ") is None
    [gap] = store.gap_questions()
    assert (gap.id, gap.question, gap.count) == (first, "strike pay?", 2)


def test_opt_in_keeps_a_chat_id_and_the_gap_only(store: Store) -> None:
    gap = store.record_gap("strike pay?")
    assert gap is not None
    assert store.watch_gap(gap, 1001) is True
    assert store.watch_gap(gap, 1001) is False  # per question, once
    assert store.watch_gap(gap + 99, 1001) is None  # no such gap: nothing stored
    columns = [r[1] for r in store._db.execute("PRAGMA table_info(gap_watchers)")]
    assert columns == ["chat_id", "gap_id", "day", "fact_id"]
    assert store.watchers(gap) == [1001]


def test_unsubscribe_path_forgets_opt_ins(store: Store) -> None:
    gap = store.record_gap("strike pay?")
    assert gap is not None and store.watch_gap(gap, 1001)
    assert store.forget_chat(1001) == 1
    assert store.watchers(gap) == []


def test_gaps_expire_after_the_retention_period(store: Store, clock: Clock) -> None:
    old = store.record_gap("old question")
    assert old is not None and store.watch_gap(old, 1001)
    clock.now = T0 + timedelta(days=8)
    store.record_gap("new question")
    assert store.purge_expired(gap_days=7) == 2  # the old gap and the opt-in waiting on it
    assert store.top_gaps() == [("new question", 1)]
    assert store.watchers(old) == []


def test_retention_is_never_more_than_30_days(store: Store, clock: Clock) -> None:
    store.record_gap("old question")
    clock.now = T0 + timedelta(days=31)
    store.purge_expired(gap_days=365)
    assert store.top_gaps() == []


def test_opt_ins_expire_after_30_days_even_if_the_gap_is_asked_again(store: Store, clock: Clock) -> None:
    gap = store.record_gap("strike pay?")
    assert gap is not None and store.watch_gap(gap, 1001)
    clock.now = T0 + timedelta(days=29)
    store.record_gap("strike pay?")
    store.purge_expired()
    assert store.watchers(gap) == [1001]
    clock.now = T0 + timedelta(days=31)
    store.purge_expired()
    assert store.watchers(gap) == []
    assert store.top_gaps() == [("strike pay?", 2)]


def test_clear_deletes_gaps_and_their_opt_ins_and_is_audited(store: Store) -> None:
    gap = store.record_gap("strike pay?")
    assert gap is not None and store.watch_gap(gap, 1001)
    shown = store.gaps_to_clear()
    assert (shown.questions, shown.opt_ins) == (1, 1)
    assert store.clear_gaps(ORGANISER, shown.up_to) == shown
    assert store.top_gaps() == [] and store.watchers(gap) == []
    [entry] = store.audit()
    assert (entry.action, entry.actor_id) == ("gaps_clear", ORGANISER)


def test_clear_deletes_only_what_was_counted(store: Store) -> None:
    """A stale or second Clear must not delete questions asked after the organiser was asked."""
    old = store.record_gap("strike pay?")
    shown = store.gaps_to_clear()
    new = store.record_gap("picket times?")
    assert old is not None and new is not None and store.watch_gap(new, 1001)
    assert store.gaps_to_clear().up_to == new > shown.up_to  # ids are never reused
    cleared = store.clear_gaps(ORGANISER, shown.up_to)
    assert (cleared.questions, cleared.opt_ins) == (1, 0)
    assert store.top_gaps() == [("picket times?", 1)] and store.watchers(new) == [1001]
    again = store.clear_gaps(ORGANISER, shown.up_to)
    assert (again.questions, again.opt_ins) == (0, 0) and len(store.audit()) == 1
    # The same wording asked again after a clear is a new question, so an old button spares it.
    assert store.record_gap("strike pay?") not in (None, old)
    assert store.clear_gaps(ORGANISER, shown.up_to).questions == 0


def test_saving_a_fact_turns_opt_ins_into_owed_dms_and_removes_the_gap(store: Store) -> None:
    a, b = store.record_gap("strike pay?"), store.record_gap("do we get strike pay")
    assert a is not None and b is not None
    store.watch_gap(a, 1001)
    store.watch_gap(b, 1001)  # the same member on two wordings: one DM
    store.watch_gap(b, 1002)
    fact = store.draft_fact("No.", ["strike pay?", "do we get strike pay"], [a, b], ORGANISER)
    store.save_fact(fact.id, ORGANISER)
    assert store.top_gaps() == []
    assert store.owed_answers() == [(1001, fact.id), (1002, fact.id)]
    assert store.take_owed(1001, fact.id) is True
    assert store.take_owed(1001, fact.id) is False  # at most once
    assert store.owed_answers() == [(1002, fact.id)]
