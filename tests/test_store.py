"""The outbox must never lose or double-post an announcement; member data stays minimal."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.storage import (
    SCHEMA_VERSION,
    Announcement,
    DeliveryCounts,
    InvalidTransition,
    NotFound,
    Store,
    normalise_question,
)
from tests.support.clock import T0, Clock
from tests.support.v1_database import V1_SCHEMA

CHANNEL = -100123
ORGANISER = 42
OTHER = 43


def posted(store: Store, text: str = "Strike!", message_id: int = 500) -> Announcement:
    ann = store.create_draft(text, ORGANISER)
    assert store.begin_send(ann.id, CHANNEL, ORGANISER)
    return store.mark_posted(ann.id, message_id, T0 + timedelta(minutes=1))


def in_state(store: Store, state: str) -> Announcement:
    """Build an announcement in any state through the public API only."""
    due = T0 + timedelta(days=1)
    ann = store.create_draft(f"text for {state}", ORGANISER, due_at=due)
    if state == "draft":
        return ann
    if state == "scheduled":
        return store.confirm_schedule(ann.id, ORGANISER)
    assert store.begin_send(ann.id, CHANNEL, ORGANISER)
    if state == "uncertain":
        store.recover_after_restart()
    elif state == "posted":
        store.mark_posted(ann.id, 7, T0)
    elif state == "deleted":
        store.mark_posted(ann.id, 7, T0)
        store.mark_deleted(ann.id, ORGANISER)
    result = store.get(ann.id)
    assert result is not None and result.state == state
    return result


# -- schema -------------------------------------------------------------------------


def test_file_db_reopens_idempotently_and_keeps_data(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "napo.sqlite3"
    with Store(path, clock=clock) as s:
        ann = s.create_draft("<b>Strike</b> on Tuesday", ORGANISER)
        assert s.subscribe(1001)
        s.record_gap("Is there strike pay?")
    for _ in range(2):
        with Store(path, clock=clock) as s:
            again = s.get(ann.id)
            assert again == ann
            assert s.is_subscribed(1001)
            assert s.top_gaps() == [("is there strike pay?", 1)]
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()


def test_a_v1_database_is_upgraded_without_dming_old_posts_again(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite3"
    raw = sqlite3.connect(path)
    raw.executescript(V1_SCHEMA)
    raw.close()
    with Store(path) as s:
        assert s.unreported() == [] and s.unfinished_deliveries() == []  # told and finished long ago
        assert s.recover_deliveries() == []
        assert s.delivery_counts(1).unknown == 1  # the one in flight is not claimed as sent
        assert s._db.execute("SELECT name FROM sqlite_master WHERE name = 'progress'").fetchall() == []
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    raw.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(Exception, match="newer"):
        Store(path)


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(ValueError):
        store.create_draft("x", ORGANISER, due_at=datetime(2013, 11, 5, 12))


def test_empty_text_is_refused(store: Store) -> None:
    with pytest.raises(ValueError):
        store.create_draft("  \n", ORGANISER)


# -- announcement lifecycle ---------------------------------------------------------


def test_create_draft_and_preview(store: Store) -> None:
    due = datetime(2013, 11, 5, 12, 0, tzinfo=UTC)
    ann = store.create_draft("Strike", ORGANISER, due_at=due)
    assert (ann.state, ann.text, ann.author_id, ann.due_at, ann.created_at) == (
        "draft", "Strike", ORGANISER, due, T0)
    assert ann.due_at is not None and ann.due_at.tzinfo is not None
    assert (ann.posted_at, ann.message_id, ann.channel_id, ann.late) == (None, None, None, False)
    store.set_preview(ann.id, 555, 77)
    got = store.get(ann.id)
    assert got is not None and (got.preview_chat_id, got.preview_message_id) == (555, 77)
    assert store.get(ann.id + 1) is None
    with pytest.raises(NotFound):
        store.set_preview(999, 1, 1)


def test_confirm_schedule(store: Store) -> None:
    due = T0 + timedelta(hours=3)
    ann = store.create_draft("Strike", ORGANISER, due_at=due)
    assert store.scheduled() == []  # an unconfirmed preview is never queued
    assert store.confirm_schedule(ann.id, ORGANISER).state == "scheduled"
    with pytest.raises(InvalidTransition):
        store.confirm_schedule(ann.id, ORGANISER)
    no_due = store.create_draft("Now", ORGANISER)
    with pytest.raises(InvalidTransition):
        store.confirm_schedule(no_due.id)
    with pytest.raises(NotFound):
        store.confirm_schedule(999)



def test_confirm_schedule_refuses_a_due_time_already_passed(store: Store, clock: Clock) -> None:
    ann = store.create_draft("Strike at noon", ORGANISER, due_at=T0 + timedelta(minutes=5))
    clock.advance(minutes=10)  # Schedule pressed after the time it was for
    with pytest.raises(InvalidTransition):
        store.confirm_schedule(ann.id, ORGANISER)
    assert store.get(ann.id).state == "draft" and store.scheduled() == []


def test_happy_path_post(store: Store) -> None:
    ann = store.create_draft("Strike", ORGANISER)
    assert store.begin_send(ann.id, CHANNEL, ORGANISER)
    sending = store.get(ann.id)
    assert sending is not None and (sending.state, sending.channel_id) == ("sending", CHANNEL)
    when = datetime(2013, 11, 1, 9, 0, 5, tzinfo=UTC)
    done = store.mark_posted(ann.id, 321, when)
    assert (done.state, done.message_id, done.posted_at, done.channel_id) == (
        "posted", 321, when, CHANNEL)


def test_begin_send_is_compare_and_set(store: Store) -> None:
    ann = store.create_draft("Strike", ORGANISER)
    assert store.begin_send(ann.id, CHANNEL, ORGANISER) is True
    assert store.begin_send(ann.id, CHANNEL, OTHER) is False  # double tap / racing job
    store.mark_posted(ann.id, 1, T0)
    assert store.begin_send(ann.id, CHANNEL, ORGANISER) is False  # never post twice
    assert store.begin_send(999, CHANNEL, ORGANISER) is False


def test_begin_send_race_across_connections(tmp_path: Path, clock: Clock) -> None:
    """Two processes (e.g. an old bot instance still running) cannot both claim a post."""
    path = tmp_path / "race.sqlite3"
    with Store(path, clock=clock) as a, Store(path, clock=clock) as b:
        ann = a.create_draft("Strike", ORGANISER)
        assert b.get(ann.id) == ann
        assert a.begin_send(ann.id, CHANNEL, ORGANISER) is True
        assert b.begin_send(ann.id, CHANNEL, OTHER) is False
        assert [e.action for e in b.audit()] == ["begin_send", "create"]


@pytest.mark.parametrize(
    ("state", "can_send", "can_cancel", "can_unschedule"),
    [
        ("draft", True, True, False),
        ("scheduled", True, True, True),
        ("uncertain", False, True, False),  # only from its newest "please check" message
        ("posted", False, False, False),
        ("deleted", False, False, False),
    ],
)
def test_transition_table(store: Store, state: str, can_send: bool, can_cancel: bool,
                          can_unschedule: bool) -> None:
    a, b, c = (in_state(store, state) for _ in range(3))
    assert store.begin_send(a.id, CHANNEL, ORGANISER) is can_send
    assert store.cancel(b.id, ORGANISER) is can_cancel
    assert store.unschedule(c.id, ORGANISER) is can_unschedule
    after = store.get(b.id)
    assert after is not None and after.state == ("cancelled" if can_cancel else state)


def test_post_again_only_from_the_newest_check_message(store: Store) -> None:
    """A "Post again" press re-delivered after a crash must not post a second time."""
    ann = in_state(store, "uncertain")
    assert store.begin_send(ann.id, CHANNEL, ORGANISER, check_message_id=None) is False
    store.set_check_message(ann.id, 41)
    store.set_check_message(ann.id, 42)  # asked again (after a restart)
    assert store.begin_send(ann.id, CHANNEL, ORGANISER, check_message_id=41) is False
    assert store.begin_send(ann.id, CHANNEL, ORGANISER, check_message_id=42) is True
    store.recover_after_restart()  # it crashed while sending again
    assert store.begin_send(ann.id, CHANNEL, ORGANISER, check_message_id=42) is False  # stale


def test_cancelled_is_final(store: Store) -> None:
    ann = in_state(store, "scheduled")
    assert store.cancel(ann.id, ORGANISER)
    assert store.cancel(ann.id, ORGANISER) is False
    assert store.begin_send(ann.id, CHANNEL, ORGANISER) is False
    with pytest.raises(InvalidTransition):
        store.mark_posted(ann.id, 1, T0)


def test_sending_cannot_be_cancelled(store: Store) -> None:
    ann = store.create_draft("Strike", ORGANISER)
    store.begin_send(ann.id, CHANNEL, ORGANISER)
    assert store.cancel(ann.id, ORGANISER) is False
    got = store.get(ann.id)
    assert got is not None and got.state == "sending"


def test_mark_posted_requires_sending(store: Store) -> None:
    ann = store.create_draft("Strike", ORGANISER)
    with pytest.raises(InvalidTransition):
        store.mark_posted(ann.id, 1, T0)
    with pytest.raises(NotFound):
        store.mark_posted(999, 1, T0)


def test_definite_failure_returns_to_draft_for_retry(store: Store) -> None:
    ann = in_state(store, "scheduled")
    assert store.begin_send(ann.id, CHANNEL, ORGANISER, late=True)
    store.mark_send_failed(ann.id, "400 Bad Request: can't parse entities")
    got = store.get(ann.id)
    assert got is not None
    assert (got.state, got.channel_id, got.late, got.message_id) == ("draft", None, False, None)
    assert store.audit(1)[0].action == "send_failed"
    assert store.audit(1)[0].detail == "400 Bad Request: can't parse entities"
    assert store.begin_send(ann.id, CHANNEL, ORGANISER)  # the retry
    with pytest.raises(InvalidTransition):
        store.mark_send_failed(in_state(store, "draft").id, "x")


def test_late_flag_is_recorded(store: Store) -> None:
    ann = in_state(store, "scheduled")
    store.begin_send(ann.id, CHANNEL, None, late=True)
    done = store.mark_posted(ann.id, 9, T0)
    assert done.late is True


# -- crash recovery -----------------------------------------------------------------


def test_recover_after_restart_makes_sending_uncertain_only(store: Store) -> None:
    draft = in_state(store, "draft")
    sched = in_state(store, "scheduled")
    done = in_state(store, "posted")
    s1 = store.create_draft("one", ORGANISER)
    s2 = store.create_draft("two", ORGANISER)
    store.begin_send(s1.id, CHANNEL, ORGANISER)
    store.begin_send(s2.id, CHANNEL, ORGANISER)
    recovered = store.recover_after_restart()
    assert [(a.id, a.state) for a in recovered] == [(s1.id, "uncertain"), (s2.id, "uncertain")]
    states = {a.id: a.state for a in (store.get(i) for i in
                                      (draft.id, sched.id, done.id, s1.id, s2.id)) if a}
    assert states == {draft.id: "draft", sched.id: "scheduled", done.id: "posted",
                      s1.id: "uncertain", s2.id: "uncertain"}
    assert store.recover_after_restart() == []  # second restart changes nothing
    with pytest.raises(InvalidTransition):
        store.mark_posted(s1.id, 1, T0)  # a late answer can't silently settle it


def test_recover_survives_a_real_reopen(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "crash.sqlite3"
    s = Store(path, clock=clock)
    ann = s.create_draft("Strike", ORGANISER)
    assert s.begin_send(ann.id, CHANNEL, ORGANISER)
    s.close()  # the process dies before mark_posted
    with Store(path, clock=clock) as s2:
        assert [a.id for a in s2.recover_after_restart()] == [ann.id]
        got = s2.get(ann.id)
        assert got is not None and got.state == "uncertain"


def test_resolve_uncertain_its_there(store: Store, clock: Clock) -> None:
    ann = store.create_draft("Strike", ORGANISER)
    store.begin_send(ann.id, CHANNEL, ORGANISER)
    store.recover_after_restart()
    clock.advance(hours=2)
    done = store.resolve_uncertain(ann.id, ORGANISER, posted=True)
    assert (done.state, done.message_id, done.posted_at) == ("posted", None, T0)
    with pytest.raises(InvalidTransition):
        store.resolve_uncertain(ann.id, ORGANISER, posted=True)


def test_resolve_uncertain_with_message_id_and_not_posted(store: Store) -> None:
    a = in_state(store, "uncertain")
    assert store.resolve_uncertain(a.id, ORGANISER, posted=True, message_id=88).message_id == 88
    b = in_state(store, "uncertain")
    back = store.resolve_uncertain(b.id, ORGANISER, posted=False)
    assert (back.state, back.channel_id) == ("draft", None)


def test_post_again_from_uncertain(store: Store) -> None:
    ann = in_state(store, "uncertain")
    store.set_check_message(ann.id, 7)
    assert store.begin_send(ann.id, CHANNEL, ORGANISER, check_message_id=7)
    assert store.begin_send(ann.id, CHANNEL, ORGANISER, check_message_id=7) is False
    assert store.mark_posted(ann.id, 3, T0).state == "posted"


# -- queries ------------------------------------------------------------------------


def test_due_and_scheduled_ordering(store: Store) -> None:
    later = store.create_draft("later", ORGANISER, due_at=T0 + timedelta(hours=5))
    sooner = store.create_draft("sooner", ORGANISER, due_at=T0 + timedelta(hours=1))
    unconfirmed = store.create_draft("draft", ORGANISER, due_at=T0 + timedelta(minutes=1))
    store.confirm_schedule(later.id)
    store.confirm_schedule(sooner.id)
    assert [a.id for a in store.scheduled()] == [sooner.id, later.id]
    assert store.due_scheduled(T0) == []
    assert [a.id for a in store.due_scheduled(T0 + timedelta(hours=1))] == [sooner.id]
    assert [a.id for a in store.due_scheduled(T0 + timedelta(days=1))] == [sooner.id, later.id]
    assert unconfirmed.id not in [a.id for a in store.due_scheduled(T0 + timedelta(days=1))]
    assert store.unschedule(sooner.id, ORGANISER)
    assert [a.id for a in store.scheduled()] == [later.id]


def test_recent_and_knowledge(store: Store, clock: Clock) -> None:
    first = posted(store, "first")
    clock.advance(minutes=10)
    second = store.create_draft("second", ORGANISER)
    store.begin_send(second.id, CHANNEL, ORGANISER)
    store.mark_posted(second.id, 2, T0 + timedelta(hours=1))
    gone = store.create_draft("gone", ORGANISER)
    store.begin_send(gone.id, CHANNEL, ORGANISER)
    store.mark_posted(gone.id, 3, T0 + timedelta(hours=2))
    store.mark_deleted(gone.id, ORGANISER)
    unknown = in_state(store, "uncertain")
    in_state(store, "draft")
    in_state(store, "scheduled")
    recent_ids = [a.id for a in store.recent()]
    assert set(recent_ids) == {first.id, second.id, gone.id, unknown.id}
    # posted by posted_at; uncertain by when its send began (T0+10min)
    assert recent_ids == [gone.id, second.id, unknown.id, first.id]
    assert [a.id for a in store.recent(limit=2)] == recent_ids[:2]
    assert [a.text for a in store.posted_for_knowledge()] == ["first", "second"]


def test_edit_and_delete_posted(store: Store) -> None:
    ann = posted(store, "Strike on Monday")
    edited = store.edit_posted(ann.id, "Strike on Tuesday", ORGANISER)
    assert (edited.text, edited.state, edited.message_id) == ("Strike on Tuesday", "posted", 500)
    assert store.audit(1)[0].detail == "previous text: Strike on Monday"
    assert store.mark_deleted(ann.id, ORGANISER).state == "deleted"
    assert store.posted_for_knowledge() == []
    with pytest.raises(InvalidTransition):
        store.edit_posted(ann.id, "again", ORGANISER)
    with pytest.raises(InvalidTransition):
        store.mark_deleted(ann.id, ORGANISER)
    with pytest.raises(InvalidTransition):
        store.edit_posted(in_state(store, "draft").id, "x", ORGANISER)
    with pytest.raises(NotFound):
        store.mark_deleted(999, ORGANISER)


# -- audit --------------------------------------------------------------------------


def test_every_state_change_is_audited(store: Store) -> None:
    ann = store.create_draft("Strike", ORGANISER, due_at=T0 + timedelta(hours=1))
    store.set_preview(ann.id, 1, 2)  # not a state change: no row
    store.confirm_schedule(ann.id, ORGANISER)
    store.begin_send(ann.id, CHANNEL, None, late=True)
    store.mark_posted(ann.id, 11, T0)
    store.edit_posted(ann.id, "Strike!", OTHER)
    store.mark_deleted(ann.id, OTHER)
    other = store.create_draft("x", ORGANISER)
    store.cancel(other.id, OTHER)
    store.cancel(other.id, OTHER)  # refused: must not be audited
    entries = list(reversed(store.audit()))
    assert [(e.action, e.actor_id, e.announcement_id) for e in entries] == [
        ("create", ORGANISER, ann.id),
        ("schedule", ORGANISER, ann.id),
        ("begin_send", None, ann.id),
        ("posted", None, ann.id),
        ("delivery_started", None, ann.id),  # in the same transaction as the post
        ("edit", OTHER, ann.id),
        ("delete", OTHER, ann.id),
        ("create", ORGANISER, other.id),
        ("cancel", OTHER, other.id),
    ]
    assert entries[2].detail == f"channel {CHANNEL} (late)"
    assert all(e.at == T0 for e in entries)
    assert [e.id for e in store.audit(limit=2)] == [entries[-1].id, entries[-2].id]


def test_recovery_and_resolution_are_audited(store: Store) -> None:
    ann = in_state(store, "uncertain")
    store.resolve_uncertain(ann.id, OTHER, posted=True, message_id=5)
    top = store.audit(3)
    assert [(e.action, e.actor_id) for e in top] == [("delivery_started", None),
                                                      ("resolve_posted", OTHER),
                                                      ("recovered_uncertain", None)]


def test_audit_rolls_back_with_failed_transaction(store: Store) -> None:
    before = len(store.audit(1000))
    with pytest.raises(ValueError):
        store.mark_posted(in_state(store, "draft").id, 1, datetime(2013, 1, 1))  # naive
    assert len(store.audit(1000)) == before + 1  # only the draft's "create"


# -- subscribers & delivery ---------------------------------------------------------


def test_subscribe_unsubscribe(store: Store) -> None:
    assert store.subscribe(1) is True
    assert store.subscribe(1) is False
    assert store.subscribe(2) is True
    assert (store.is_subscribed(1), store.subscriber_count()) == (True, 2)
    assert store.unsubscribe(1) is True
    assert store.unsubscribe(1) is False
    assert (store.is_subscribed(1), store.subscriber_count()) == (False, 1)


def test_start_delivery_snapshots_once(store: Store) -> None:
    for chat in (10, 11, 12):
        store.subscribe(chat)
    ann = posted(store)
    assert store.start_delivery(ann.id) == 3
    store.subscribe(13)  # joined after the snapshot
    assert store.start_delivery(ann.id) == 3
    assert store.next_pending(ann.id) == [10, 11, 12]
    assert store.next_pending(ann.id, limit=2) == [10, 11]
    assert store.delivery_progress(ann.id) == (0, 3)
    with pytest.raises(InvalidTransition):
        store.start_delivery(in_state(store, "draft").id)
    with pytest.raises(NotFound):
        store.start_delivery(999)


def test_delivery_claim_finish_progress(store: Store) -> None:
    for chat in (10, 11, 12, 13):
        store.subscribe(chat)
    ann = posted(store)
    store.start_delivery(ann.id)
    assert store.claim_delivery(ann.id, 10) is True
    assert store.claim_delivery(ann.id, 10) is False  # claimed once only
    assert store.next_pending(ann.id) == [11, 12, 13]
    assert store.delivery_progress(ann.id) == (0, 4)  # sending is not done
    assert store.finish_delivery(ann.id, 10, "sent") is True
    assert store.finish_delivery(ann.id, 10, "failed") is False  # already finished
    assert store.claim_delivery(ann.id, 11)
    store.finish_delivery(ann.id, 11, "failed")
    assert store.delivery_progress(ann.id) == (2, 4)
    assert store.finish_delivery(ann.id, 12, "sent") is False  # never claimed
    assert store.claim_delivery(ann.id, 99) is False  # not in the snapshot
    assert store.claim_delivery(ann.id, 12)
    store.finish_delivery(ann.id, 12, "unknown")
    assert store.delivery_counts(ann.id) == DeliveryCounts(sent=1, failed=1, blocked=0, unknown=1,
                                                           pending=1)
    with pytest.raises(ValueError):
        store.finish_delivery(ann.id, 13, "blocked")  # blocked members are forgotten instead


def test_unsubscribe_mid_delivery_leaves_nothing(store: Store) -> None:
    for chat in (7770010, 7770011, 7770012):
        store.subscribe(chat)
    ann = posted(store)
    store.start_delivery(ann.id)
    store.claim_delivery(ann.id, 7770010)
    store.finish_delivery(ann.id, 7770010, "sent")
    assert store.unsubscribe(7770011)
    assert store.unsubscribe(7770010)
    assert store.next_pending(ann.id) == [7770012]
    assert store.claim_delivery(ann.id, 7770011) is False
    assert store.delivery_progress(ann.id) == (0, 1)
    raw = store._db  # white-box: prove no row about them survives anywhere
    for chat in (7770010, 7770011):
        assert raw.execute("SELECT COUNT(*) FROM deliveries WHERE chat_id = ?",
                           (chat,)).fetchone()[0] == 0
        assert raw.execute("SELECT COUNT(*) FROM subscribers WHERE chat_id = ?",
                           (chat,)).fetchone()[0] == 0
    details = " ".join(e.detail or "" for e in store.audit())
    assert "777001" not in details


def test_remove_blocked_while_sending(store: Store) -> None:
    store.subscribe(10)
    ann = posted(store)
    store.start_delivery(ann.id)
    store.claim_delivery(ann.id, 10)
    assert store.remove_blocked(10) is True
    assert store.finish_delivery(ann.id, 10, "failed") is False
    assert (store.is_subscribed(10), store.delivery_progress(ann.id)) == (False, (0, 0))


def test_a_blocked_member_is_forgotten_but_counted(store: Store) -> None:
    for chat in (10, 11):
        store.subscribe(chat)
    ann = posted(store)
    store.claim_delivery(ann.id, 10)
    store.delivery_blocked(ann.id, 10)
    assert not store.is_subscribed(10) and store.next_pending(ann.id) == [11]
    assert store._db.execute("SELECT COUNT(*) FROM deliveries WHERE chat_id = 10").fetchone()[0] == 0
    assert store.delivery_counts(ann.id) == DeliveryCounts(sent=0, failed=0, blocked=1, unknown=0,
                                                           pending=1)


def test_posting_starts_delivery_in_the_same_step(store: Store) -> None:
    """A post recorded without its delivery (the bot died in between) reached nobody."""
    for chat in (10, 11):
        store.subscribe(chat)
    ann = posted(store)  # mark_posted only: nobody called start_delivery
    assert store.next_pending(ann.id) == [10, 11]
    assert [a.id for a in store.unreported()] == [ann.id]
    assert [a.id for a in store.unfinished_deliveries()] == [ann.id]
    store.mark_reported(ann.id)
    store.mark_delivery_done(ann.id)
    assert store.unreported() == [] and store.unfinished_deliveries() == []
    there = in_state(store, "uncertain")
    store.resolve_uncertain(there.id, OTHER, posted=True)
    assert store.next_pending(there.id) == [10, 11]
    assert [(a.id, a.report_to) for a in store.unreported()] == [(there.id, OTHER)]


def test_recover_deliveries_treats_sending_as_unknown(store: Store) -> None:
    for chat in (10, 11, 12):
        store.subscribe(chat)
    a = posted(store, "a")
    b = posted(store, "b")
    store.start_delivery(a.id)
    store.start_delivery(b.id)
    for chat in (10, 11, 12):
        store.claim_delivery(b.id, chat)
        store.finish_delivery(b.id, chat, "sent")
    store.claim_delivery(a.id, 10)  # crash while DMing chat 10
    assert store.recover_deliveries() == [a.id]  # b is finished, nothing to resume
    assert store.delivery_progress(a.id) == (1, 3)
    assert store.delivery_counts(a.id).unknown == 1  # not "sent": nobody knows
    assert store.next_pending(a.id) == [11, 12]  # chat 10 is never DMed twice
    assert store.claim_delivery(a.id, 10) is False


def test_deleted_announcement_stops_dms(store: Store) -> None:
    store.subscribe(10)
    store.subscribe(11)
    ann = posted(store)
    store.start_delivery(ann.id)
    store.mark_deleted(ann.id, ORGANISER)
    assert store.next_pending(ann.id) == []
    assert store.claim_delivery(ann.id, 10) is False
    assert store.recover_deliveries() == []


# -- gap report ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Is there   STRIKE pay?\n", "is there strike pay?"),
        ("a\tb\n\nc", "a b c"),
        ("x" * 300, "x" * 200),
        ("y" * 199 + " z", "y" * 199),
        ("   ", ""),
    ],
)
def test_normalise_question(raw: str, expected: str) -> None:
    assert normalise_question(raw) == expected


def test_gaps_count_and_rank(store: Store) -> None:
    for q in ["Strike pay?", "strike   PAY?", " strike pay? ", "When is the ballot?", "  "]:
        store.record_gap(q)
    store.record_gap("Do I picket?")
    store.record_gap("do i picket?")
    assert store.top_gaps() == [("strike pay?", 3), ("do i picket?", 2),
                                ("when is the ballot?", 1)]
    assert store.top_gaps(limit=1) == [("strike pay?", 3)]


def test_gaps_store_no_identities(store: Store, clock: Clock) -> None:
    clock.now = datetime(2013, 11, 5, 23, 59, 58, tzinfo=UTC)
    store.record_gap("Strike pay?")
    columns = [row[1] for row in store._db.execute("PRAGMA table_info(gap_questions)")]
    assert columns == ["id", "question", "count", "last_day"]  # id: the row's own number
    assert not any(word in c for c in columns for word in ("user", "chat", "_id", "at", "time"))
    assert store._db.execute("SELECT question, count, last_day FROM gap_questions").fetchall() == [
        ("strike pay?", 1, "2013-11-05")]
    assert store.audit() == []  # recording a gap leaves no trail elsewhere either


def test_subscribers_table_holds_only_chat_id(store: Store) -> None:
    columns = [row[1] for row in store._db.execute("PRAGMA table_info(subscribers)")]
    assert columns == ["chat_id"]
