"""Durable state for the Napo bot: announcement outbox, audit log, DM subscribers, gap report.

Everything that must survive a crash lives here, in one SQLite file. State changes are
compare-and-set UPDATEs inside ``BEGIN IMMEDIATE`` transactions so that two paths racing
for the same announcement (double-tap on "Post", scheduled job vs. manual post) cannot
both win, and every change writes its audit row in the same transaction.

Member data is kept to the minimum (union membership is special-category data under
UK GDPR): subscribers are bare chat ids, the audit log never records member chat ids,
and the gap report stores no identities at all.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SCHEMA_VERSION = 1

STATES = ("draft", "scheduled", "sending", "posted", "uncertain", "cancelled", "deleted")
_STATE_CHECK = ", ".join(f"'{s}'" for s in STATES)

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS announcements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: audit rows point at it
    text TEXT NOT NULL, author_id INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ({_STATE_CHECK})),
    created_at TEXT NOT NULL, due_at TEXT, posted_at TEXT,
    channel_id INTEGER, message_id INTEGER,
    late INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
    preview_chat_id INTEGER, preview_message_id INTEGER,
    send_started_at TEXT, delivery_started_at TEXT
);
CREATE INDEX IF NOT EXISTS announcements_state_due ON announcements (state, due_at);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor_id INTEGER,
    action TEXT NOT NULL, announcement_id INTEGER REFERENCES announcements (id), detail TEXT
);
CREATE TABLE IF NOT EXISTS subscribers (chat_id INTEGER PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deliveries (
    announcement_id INTEGER NOT NULL REFERENCES announcements (id),
    chat_id INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    PRIMARY KEY (announcement_id, chat_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deliveries_chat ON deliveries (chat_id);
CREATE TABLE IF NOT EXISTS progress (
    name TEXT PRIMARY KEY, value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS gaps (
    question TEXT PRIMARY KEY, count INTEGER NOT NULL, last_day TEXT NOT NULL
) WITHOUT ROWID
"""

_COLUMNS = (
    "id, text, author_id, state, created_at, due_at, posted_at, channel_id, message_id, "
    "late, preview_chat_id, preview_message_id"
)
_WHITESPACE = re.compile(r"\s+")
GAP_MAX_LEN = 200


class StoreError(Exception):
    """Base class so callers can catch every store refusal in one place."""


class NotFound(StoreError, LookupError):
    """The announcement id does not exist (typo in /delete 99, stale button)."""


class InvalidTransition(StoreError):
    """The announcement is not in a state that allows the requested change."""


@dataclass(frozen=True)
class Announcement:
    id: int
    text: str
    author_id: int
    state: str
    created_at: datetime
    due_at: datetime | None
    posted_at: datetime | None
    channel_id: int | None
    message_id: int | None
    late: bool
    preview_chat_id: int | None
    preview_message_id: int | None


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor_id: int | None  # None = the bot itself (startup recovery, confirmed send)
    action: str
    announcement_id: int | None
    detail: str | None


def _ts(dt: datetime) -> str:
    """Fixed-width UTC ISO text, so SQL string comparison orders correctly."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("naive datetime: pass an aware datetime (UTC)")
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def _dt(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def normalise_question(question: str) -> str:
    """Fold trivial variations together so the gap report counts the same question once."""
    return _WHITESPACE.sub(" ", question).strip().lower()[:GAP_MAX_LEN].rstrip()


def _row_to_announcement(row: tuple[Any, ...]) -> Announcement:
    return Announcement(
        id=row[0], text=row[1], author_id=row[2], state=row[3],
        created_at=_dt(row[4]),  # type: ignore[arg-type]  # NOT NULL column
        due_at=_dt(row[5]), posted_at=_dt(row[6]), channel_id=row[7], message_id=row[8],
        late=bool(row[9]), preview_chat_id=row[10], preview_message_id=row[11],
    )


class Store:
    """One SQLite file; safe to share between the bot's handlers and its job queue."""

    def __init__(self, path: str | os.PathLike[str],
                 clock: Callable[[], datetime] | None = None) -> None:
        path = os.fspath(path)
        self._clock = clock or (lambda: datetime.now(UTC))
        # check_same_thread=False + our own lock: handlers may hop threads (to_thread).
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA busy_timeout = 5000")
        self._db.execute("PRAGMA foreign_keys = ON")
        if path != ":memory:" and not path.startswith("file::memory:"):
            self._db.execute("PRAGMA journal_mode = WAL")
        # FULL: a committed "sending" must survive power loss, or a reboot could re-post.
        self._db.execute("PRAGMA synchronous = FULL")
        self._migrate()
        # Per-message bookkeeping (update ids, gap counts) needs to survive a crash of the
        # bot, not of the machine: a second connection skips the fsync on every message.
        self._light = self._db
        if path != ":memory:" and not path.startswith("file::memory:"):
            self._light = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._light.execute("PRAGMA busy_timeout = 5000")
            self._light.execute("PRAGMA synchronous = NORMAL")

    # -- plumbing -------------------------------------------------------------------

    def _migrate(self) -> None:
        with self._tx() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(f"database schema v{version} is newer than this code")
            for statement in filter(str.strip, _SCHEMA.split(";")):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        with self._lock:
            if self._light is not self._db:
                self._light.close()
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """IMMEDIATE takes the write lock up front, so compare-and-set cannot interleave."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _write(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """One-statement write; returns rowcount so callers can compare-and-set."""
        with self._tx() as db:
            return db.execute(sql, params).rowcount

    def _now(self) -> str:
        return _ts(self._clock())

    def _audit(self, db: sqlite3.Connection, actor_id: int | None, action: str,
               ann_id: int | None, detail: str | None = None) -> None:
        db.execute("INSERT INTO audit (at, actor_id, action, announcement_id, detail) "
                   "VALUES (?, ?, ?, ?, ?)", (self._now(), actor_id, action, ann_id, detail))

    def _change(self, ann_id: int, allowed: tuple[str, ...], new_state: str,
                actor_id: int | None, action: str, detail: str | None = None,
                extra_where: str = "", **cols: Any) -> bool:
        """Compare-and-set: only one caller can move a row out of ``allowed``."""
        sets = ", ".join(f"{c} = ?" for c in ("state", *cols))
        marks = ", ".join("?" * len(allowed))
        with self._tx() as db:
            cur = db.execute(f"UPDATE announcements SET {sets} "
                             f"WHERE id = ? AND state IN ({marks}){extra_where}",
                             (new_state, *cols.values(), ann_id, *allowed))
            if cur.rowcount != 1:
                return False
            self._audit(db, actor_id, action, ann_id, detail)
            return True

    def _require(self, ann_id: int, ok: bool, wanted: str) -> Announcement:
        """Turn a refused change into an exception for the calls that must not fail quietly."""
        ann = self.get(ann_id)
        if ann is None:
            raise NotFound(f"announcement {ann_id} does not exist")
        if not ok:
            raise InvalidTransition(f"announcement {ann_id} is {ann.state}, needs {wanted}")
        return ann

    def _select(self, where: str, params: tuple[Any, ...] = ()) -> list[Announcement]:
        rows = self._query(f"SELECT {_COLUMNS} FROM announcements {where}", params)
        return [_row_to_announcement(r) for r in rows]

    # -- announcements --------------------------------------------------------------

    def create_draft(self, text: str, author_id: int,
                     due_at: datetime | None = None) -> Announcement:
        """A draft is not queued until confirmed, so an unconfirmed preview never posts."""
        if not text.strip():
            raise ValueError("announcement text is empty")
        due = None if due_at is None else _ts(due_at)
        with self._tx() as db:
            cur = db.execute("INSERT INTO announcements (text, author_id, state, created_at, "
                             "due_at) VALUES (?, ?, 'draft', ?, ?)",
                             (text, author_id, self._now(), due))
            ann_id = cur.lastrowid
            assert ann_id is not None
            self._audit(db, author_id, "create", ann_id, due and f"due {due}")
        return self._require(ann_id, True, "draft")

    def set_preview(self, ann_id: int, chat_id: int, message_id: int) -> None:
        """Remember where the button message is so it can be edited after a restart."""
        if self._write("UPDATE announcements SET preview_chat_id = ?, preview_message_id = ? "
                       "WHERE id = ?", (chat_id, message_id, ann_id)) != 1:
            raise NotFound(f"announcement {ann_id} does not exist")

    def get(self, ann_id: int) -> Announcement | None:
        found = self._select("WHERE id = ?", (ann_id,))
        return found[0] if found else None

    def confirm_schedule(self, ann_id: int, actor_id: int | None = None) -> Announcement:
        ok = self._change(ann_id, ("draft",), "scheduled", actor_id, "schedule",
                          extra_where=" AND due_at IS NOT NULL")
        return self._require(ann_id, ok, "a draft with a due time")

    def cancel(self, ann_id: int, actor_id: int) -> bool:
        return self._change(ann_id, ("draft", "scheduled", "uncertain"), "cancelled",
                            actor_id, "cancel")

    def unschedule(self, ann_id: int, actor_id: int) -> bool:
        """Only touches queued posts, so a stale /unschedule cannot kill a live draft."""
        return self._change(ann_id, ("scheduled",), "cancelled", actor_id, "unschedule")

    def begin_send(self, ann_id: int, channel_id: int, actor_id: int | None,
                   late: bool = False) -> bool:
        """Record the intent to post BEFORE calling Telegram; False = someone else has it."""
        return self._change(
            ann_id, ("draft", "scheduled", "uncertain"), "sending", actor_id, "begin_send",
            f"channel {channel_id}" + (" (late)" if late else ""),
            channel_id=channel_id, late=int(late), send_started_at=self._now(),
        )

    def mark_uncertain(self, ann_id: int, reason: str) -> Announcement:
        """The send may or may not have reached Telegram (connection lost mid-request)."""
        ok = self._change(ann_id, ("sending",), "uncertain", None, "send_uncertain", reason[:500])
        return self._require(ann_id, ok, "sending")

    def mark_posted(self, ann_id: int, message_id: int, posted_at: datetime) -> Announcement:
        ok = self._change(ann_id, ("sending",), "posted", None, "posted",
                          f"message {message_id}", message_id=message_id,
                          posted_at=_ts(posted_at))
        return self._require(ann_id, ok, "sending")

    def mark_send_failed(self, ann_id: int, reason: str) -> None:
        """Only for definite refusals (e.g. 400): back to draft so the organiser can retry.

        Timeouts/network errors are NOT definite: leave the row in "sending" and let
        recovery turn it into "uncertain" rather than risk a double post.
        """
        ok = self._change(ann_id, ("sending",), "draft", None, "send_failed", reason[:500],
                          channel_id=None, late=0, send_started_at=None)
        self._require(ann_id, ok, "sending")

    def recover_after_restart(self) -> list[Announcement]:
        """A crash mid-send leaves the outcome unknown; a human must decide, never the bot."""
        with self._tx() as db:
            ids = [r[0] for r in db.execute(
                "SELECT id FROM announcements WHERE state = 'sending' ORDER BY id")]
            for ann_id in ids:
                db.execute("UPDATE announcements SET state = 'uncertain' WHERE id = ?",
                           (ann_id,))
                self._audit(db, None, "recovered_uncertain", ann_id)
        return [self._require(i, True, "uncertain") for i in ids]

    def resolve_uncertain(self, ann_id: int, actor_id: int, posted: bool,
                          message_id: int | None = None) -> Announcement:
        """"It's there" -> posted (time = when the send began); posted=False -> draft.

        "Post again" should call begin_send directly instead.
        """
        if posted:
            with self._tx() as db:
                cur = db.execute("UPDATE announcements SET state = 'posted', message_id = ?, "
                                 "posted_at = COALESCE(send_started_at, ?) "
                                 "WHERE id = ? AND state = 'uncertain'",
                                 (message_id, self._now(), ann_id))
                ok = cur.rowcount == 1
                if ok:
                    self._audit(db, actor_id, "resolve_posted", ann_id,
                                f"message {message_id}" if message_id else "message unknown")
        else:
            ok = self._change(ann_id, ("uncertain",), "draft", actor_id, "resolve_not_posted",
                              channel_id=None, late=0, send_started_at=None)
        return self._require(ann_id, ok, "uncertain")

    def uncertain(self) -> list[Announcement]:
        """Posts whose fate an organiser still has to confirm."""
        return self._select("WHERE state = 'uncertain' ORDER BY id")

    def due_scheduled(self, now: datetime) -> list[Announcement]:
        return self._select("WHERE state = 'scheduled' AND due_at <= ? ORDER BY due_at, id",
                            (_ts(now),))

    def scheduled(self) -> list[Announcement]:
        return self._select("WHERE state = 'scheduled' ORDER BY due_at, id")

    def recent(self, limit: int = 10) -> list[Announcement]:
        return self._select(
            "WHERE state IN ('posted', 'deleted', 'uncertain') "
            "ORDER BY COALESCE(posted_at, send_started_at, created_at) DESC, id DESC LIMIT ?",
            (limit,),
        )

    def edit_posted(self, ann_id: int, new_text: str, actor_id: int) -> Announcement:
        """Call after Telegram accepted the edit; the old text goes to the audit trail."""
        if not new_text.strip():
            raise ValueError("announcement text is empty")
        old = self.get(ann_id)
        ok = self._change(ann_id, ("posted",), "posted", actor_id, "edit",
                          None if old is None else f"previous text: {old.text[:1000]}",
                          text=new_text)
        return self._require(ann_id, ok, "posted")

    def mark_deleted(self, ann_id: int, actor_id: int) -> Announcement:
        ok = self._change(ann_id, ("posted",), "deleted", actor_id, "delete")
        return self._require(ann_id, ok, "posted")

    def posted_for_knowledge(self) -> list[Announcement]:
        return self._select("WHERE state = 'posted' ORDER BY posted_at, id")

    def audit(self, limit: int = 50) -> list[AuditEntry]:
        rows = self._query(
            "SELECT id, at, actor_id, action, announcement_id, detail FROM audit "
            "ORDER BY id DESC LIMIT ?", (limit,))
        return [AuditEntry(r[0], _dt(r[1]), r[2], r[3], r[4], r[5])  # type: ignore[arg-type]
                for r in rows]

    # -- subscribers & DM delivery ---------------------------------------------------

    def subscribe(self, chat_id: int) -> bool:
        return self._write("INSERT OR IGNORE INTO subscribers (chat_id) VALUES (?)",
                           (chat_id,)) == 1

    def unsubscribe(self, chat_id: int) -> bool:
        """Erase every trace of the member, including delivery history, not just pending rows."""
        with self._tx() as db:
            cur = db.execute("DELETE FROM subscribers WHERE chat_id = ?", (chat_id,))
            db.execute("DELETE FROM deliveries WHERE chat_id = ?", (chat_id,))
        return cur.rowcount == 1

    def remove_blocked(self, chat_id: int) -> bool:
        """A member who blocked the bot has effectively unsubscribed."""
        return self.unsubscribe(chat_id)

    def is_subscribed(self, chat_id: int) -> bool:
        return bool(self._query("SELECT 1 FROM subscribers WHERE chat_id = ?", (chat_id,)))

    def subscriber_count(self) -> int:
        return int(self._query("SELECT COUNT(*) FROM subscribers")[0][0])

    def start_delivery(self, ann_id: int) -> int:
        """Snapshot subscribers once; later calls (e.g. after a restart) add nobody."""
        with self._tx() as db:
            row = db.execute(
                "SELECT state, delivery_started_at FROM announcements WHERE id = ?", (ann_id,)
            ).fetchone()
            if row is None:
                raise NotFound(f"announcement {ann_id} does not exist")
            if row[0] != "posted":
                raise InvalidTransition(f"announcement {ann_id} is {row[0]}, needs posted")
            if row[1] is None:
                db.execute(
                    "INSERT OR IGNORE INTO deliveries (announcement_id, chat_id, state) "
                    "SELECT ?, chat_id, 'pending' FROM subscribers", (ann_id,))
                db.execute("UPDATE announcements SET delivery_started_at = ? WHERE id = ?",
                           (self._now(), ann_id))
            total = int(db.execute("SELECT COUNT(*) FROM deliveries WHERE announcement_id = ?",
                                   (ann_id,)).fetchone()[0])
            if row[1] is None:
                self._audit(db, None, "delivery_started", ann_id, f"{total} subscribers")
        return total

    def next_pending(self, ann_id: int, limit: int = 100) -> list[int]:
        """Empty once the announcement is deleted, so DMs of a withdrawn post stop."""
        rows = self._query(
            "SELECT d.chat_id FROM deliveries d JOIN announcements a ON a.id = d.announcement_id "
            "WHERE d.announcement_id = ? AND d.state = 'pending' AND a.state = 'posted' "
            "ORDER BY d.chat_id LIMIT ?", (ann_id, limit))
        return [r[0] for r in rows]

    def claim_delivery(self, ann_id: int, chat_id: int) -> bool:
        """Mark before sending: a crash after this point means 'sent', never a repeat DM."""
        return self._write(
            "UPDATE deliveries SET state = 'sending' "
            "WHERE announcement_id = ? AND chat_id = ? AND state = 'pending' "
            "AND EXISTS (SELECT 1 FROM announcements WHERE id = ? AND state = 'posted')",
            (ann_id, chat_id, ann_id)) == 1

    def finish_delivery(self, ann_id: int, chat_id: int, ok: bool) -> bool:
        """False if the row vanished meanwhile (member unsubscribed mid-send)."""
        return self._write(
            "UPDATE deliveries SET state = ? "
            "WHERE announcement_id = ? AND chat_id = ? AND state = 'sending'",
            ("sent" if ok else "failed", ann_id, chat_id)) == 1

    def recover_deliveries(self) -> list[int]:
        """At-most-once: an interrupted DM counts as sent. Returns announcements to resume."""
        with self._tx() as db:
            db.execute("UPDATE deliveries SET state = 'sent' WHERE state = 'sending'")
            rows = db.execute(
                "SELECT DISTINCT d.announcement_id FROM deliveries d "
                "JOIN announcements a ON a.id = d.announcement_id "
                "WHERE d.state = 'pending' AND a.state = 'posted' ORDER BY 1").fetchall()
        return [r[0] for r in rows]

    def delivery_progress(self, ann_id: int) -> tuple[int, int]:
        done, total = self._query(
            "SELECT COALESCE(SUM(state IN ('sent', 'failed')), 0), COUNT(*) "
            "FROM deliveries WHERE announcement_id = ?", (ann_id,))[0]
        return int(done), int(total)

    # -- gap report -------------------------------------------------------------------

    def record_gap(self, question: str) -> None:
        """Count an unanswered question with no user id, chat id or time finer than a day."""
        text = normalise_question(question)
        if not text:
            return
        with self._lock:
            self._light.execute("INSERT INTO gaps (question, count, last_day) VALUES (?, 1, ?) "
                                "ON CONFLICT (question) DO UPDATE SET count = count + 1, "
                                "last_day = excluded.last_day",
                                (text, self._clock().astimezone(UTC).date().isoformat()))

    def top_gaps(self, limit: int = 10) -> list[tuple[str, int]]:
        rows = self._query("SELECT question, count FROM gaps ORDER BY count DESC, question "
                           "LIMIT ?", (limit,))
        return [(r[0], int(r[1])) for r in rows]

    # -- updates --------------------------------------------------------------------

    def mark_update(self, update_id: int) -> bool:
        """Record a Telegram update as handled; False if it (or a later one) already was.

        Telegram re-delivers updates we never acknowledged, e.g. after a crash; this makes
        sure a restarted bot does not answer the same message twice.
        """
        with self._lock:
            cur = self._light.execute(
                "INSERT INTO progress (name, value) VALUES ('update_id', ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value "
                "WHERE excluded.value > progress.value", (update_id,))
            return cur.rowcount == 1
