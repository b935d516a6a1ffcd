"""The SQLite file under the store: schema, migration, connections and transactions.

State changes run inside ``BEGIN IMMEDIATE`` transactions so that compare-and-set UPDATEs
cannot interleave, and each writes its audit row in the same transaction (`_audit`).
Writes are fsync'd (synchronous=FULL) and may take milliseconds on a slow disk, so the bot
calls them off the event loop (`asyncio.to_thread`); reads go through their own connection
and lock, so a read on the loop never waits behind a write's fsync.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Self

from bot.storage.records import STATES, StoreError, utc_text

SCHEMA_VERSION = 2

_STATE_CHECK = ", ".join(f"'{s}'" for s in STATES)
# "unknown": the DM was in flight when the bot died; never re-sent, never counted as sent.
DM_STATES = ("pending", "sending", "sent", "failed", "unknown")
_DM_STATE_CHECK = ", ".join(f"'{s}'" for s in DM_STATES)

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS announcements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: audit rows point at it
    text TEXT NOT NULL, author_id INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ({_STATE_CHECK})),
    created_at TEXT NOT NULL, due_at TEXT, posted_at TEXT,
    channel_id INTEGER, message_id INTEGER,
    late INTEGER NOT NULL DEFAULT 0 CHECK (late IN (0, 1)),
    preview_chat_id INTEGER, preview_message_id INTEGER,
    send_started_at TEXT, delivery_started_at TEXT,
    report_to INTEGER, reported_at TEXT, delivery_done_at TEXT, check_message_id INTEGER,
    dm_blocked INTEGER NOT NULL DEFAULT 0
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
    state TEXT NOT NULL CHECK (state IN ({_DM_STATE_CHECK})),
    PRIMARY KEY (announcement_id, chat_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deliveries_chat ON deliveries (chat_id);
-- Unanswered questions: text, count and day only. No user or chat id, ever.
CREATE TABLE IF NOT EXISTS gap_questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, question TEXT NOT NULL UNIQUE,
    count INTEGER NOT NULL, last_day TEXT NOT NULL
);
-- "Tell me" opt-ins: a chat id and the gap, nothing else. fact_id is set once answered,
-- meaning the DM is owed, and the row is deleted when sent.
CREATE TABLE IF NOT EXISTS gap_watchers (
    chat_id INTEGER NOT NULL, gap_id INTEGER NOT NULL, day TEXT NOT NULL, fact_id INTEGER,
    PRIMARY KEY (chat_id, gap_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS gap_watchers_fact ON gap_watchers (fact_id);
-- Facts written by organisers from Telegram (answers are Telegram HTML), no member ids.
CREATE TABLE IF NOT EXISTS organiser_facts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    state TEXT NOT NULL CHECK (state IN ('draft', 'live', 'retired', 'cancelled')),
    answer TEXT NOT NULL, pending_answer TEXT, phrasings TEXT NOT NULL, gap_ids TEXT NOT NULL,
    created_at TEXT NOT NULL, saved_at TEXT
);
-- Phrasings learned from "Did you mean" taps: question text and fact id, no member ids.
CREATE TABLE IF NOT EXISTS learned_phrasings (
    id INTEGER PRIMARY KEY AUTOINCREMENT, fact_id TEXT NOT NULL, phrasing TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('candidate', 'approved')),
    count INTEGER NOT NULL, last_day TEXT NOT NULL, UNIQUE (fact_id, phrasing)
)
"""


# v1 -> v2: the delivery snapshot joins the post's own transaction (report_to, reported_at,
# delivery_done_at say what the organiser was told), "Post again" is valid only on the
# latest "please check" message (check_message_id), DMs can be "unknown", blocked members
# are counted, and the last-update-id de-duplication is gone. Rows posted before the
# upgrade count as reported and finished, so an upgrade never DMs old announcements.
_V1_TO_V2 = [
    "ALTER TABLE announcements ADD COLUMN report_to INTEGER",
    "ALTER TABLE announcements ADD COLUMN reported_at TEXT",
    "ALTER TABLE announcements ADD COLUMN delivery_done_at TEXT",
    "ALTER TABLE announcements ADD COLUMN check_message_id INTEGER",
    "ALTER TABLE announcements ADD COLUMN dm_blocked INTEGER NOT NULL DEFAULT 0",
    "UPDATE announcements SET reported_at = posted_at, delivery_done_at = delivery_started_at "
    "WHERE state IN ('posted', 'deleted')",
    "ALTER TABLE deliveries RENAME TO deliveries_v1",
    "DROP INDEX IF EXISTS deliveries_chat",
    "CREATE TABLE deliveries (announcement_id INTEGER NOT NULL REFERENCES announcements (id), "
    f"chat_id INTEGER NOT NULL, state TEXT NOT NULL CHECK (state IN ({_DM_STATE_CHECK})), "
    "PRIMARY KEY (announcement_id, chat_id)) WITHOUT ROWID",
    "INSERT INTO deliveries SELECT * FROM deliveries_v1",
    "DROP TABLE deliveries_v1",
    "CREATE INDEX deliveries_chat ON deliveries (chat_id)",
    "DROP TABLE IF EXISTS progress",
]
# v1 -> v2, after the CREATEs: the gap report's rows keep their text, count and day, and
# gain an id (for "Tell me" opt-ins and /answer N).
_V1_TO_V2_AFTER = [
    "INSERT OR IGNORE INTO gap_questions (question, count, last_day) "
    "SELECT question, count, last_day FROM gaps ORDER BY count DESC",
    "DROP TABLE gaps",
]


def _connect(path: str, synchronous: str) -> sqlite3.Connection:
    """One connection; check_same_thread=False because writes run in worker threads."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA busy_timeout = 5000")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute(f"PRAGMA synchronous = {synchronous}")
    return db


class Database:
    """One SQLite file and its locks; the store's parts build their queries on this."""

    def __init__(self, path: str | os.PathLike[str],
                 clock: Callable[[], datetime] | None = None) -> None:
        path = os.fspath(path)
        self._clock = clock or (lambda: datetime.now(UTC))
        # check_same_thread=False + our own lock: writes run in worker threads (to_thread).
        self._lock = threading.RLock()
        # FULL: a committed "sending" must survive power loss, or a reboot could re-post.
        self._db = _connect(path, "FULL")
        in_memory = path == ":memory:" or path.startswith("file::memory:")
        if not in_memory:
            self._db.execute("PRAGMA journal_mode = WAL")
        self._migrate()
        # Per-message bookkeeping (gap counts) needs to survive a crash of the bot, not of
        # the machine: a second connection skips the fsync on every message.
        # Reads get a third connection and their own lock: in WAL mode they never wait for
        # a writer's fsync, so a read on the event loop is never held up by one.
        self._light = self._reader = self._db
        self._read_lock = self._lock
        if not in_memory:
            self._light = _connect(path, "NORMAL")
            self._reader, self._read_lock = _connect(path, "NORMAL"), threading.RLock()

    def _migrate(self) -> None:
        """Create what is missing, upgrade older files; refuse a database from newer code."""
        with self._tx() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(f"database schema v{version} is newer than this code")
            if version == 1:
                for statement in _V1_TO_V2:
                    db.execute(statement)
            for statement in filter(str.strip, _SCHEMA.split(";")):
                db.execute(statement)
            if version == 1:
                for statement in _V1_TO_V2_AFTER:
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        """Close every connection (they are all the same one for an in-memory store)."""
        with self._lock, self._read_lock:
            for extra in (self._light, self._reader):
                if extra is not self._db:
                    extra.close()
            self._db.close()

    def __enter__(self) -> Self:
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
        """A read on the read connection: sees every committed write, waits for no fsync."""
        with self._read_lock:
            return self._reader.execute(sql, params).fetchall()

    def _write(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """One-statement write; returns rowcount so callers can compare-and-set."""
        with self._tx() as db:
            return db.execute(sql, params).rowcount

    def _now(self) -> str:
        """The injected clock as stored text, so tests can control time."""
        return utc_text(self._clock())

    def _snapshot_subscribers(self, db: sqlite3.Connection, ann_id: int) -> None:
        """Start delivery inside the caller's (posting) transaction: one durable step.

        Later calls add nobody, so a restart resumes the same list of members.
        """
        cur = db.execute("UPDATE announcements SET delivery_started_at = ? "
                         "WHERE id = ? AND delivery_started_at IS NULL", (self._now(), ann_id))
        if cur.rowcount != 1:
            return
        db.execute("INSERT OR IGNORE INTO deliveries (announcement_id, chat_id, state) "
                   "SELECT ?, chat_id, 'pending' FROM subscribers", (ann_id,))
        total = db.execute("SELECT COUNT(*) FROM deliveries WHERE announcement_id = ?",
                           (ann_id,)).fetchone()[0]
        self._audit(db, None, "delivery_started", ann_id, f"{total} subscribers")

    def _audit(self, db: sqlite3.Connection, actor_id: int | None, action: str,
               ann_id: int | None, detail: str | None = None) -> None:
        """Write an audit row inside the caller's transaction, so change and record commit together."""
        db.execute("INSERT INTO audit (at, actor_id, action, announcement_id, detail) "
                   "VALUES (?, ?, ?, ?, ?)", (self._now(), actor_id, action, ann_id, detail))
