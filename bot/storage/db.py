"""The SQLite file under the store: schema, migration, connections and transactions.

State changes run inside ``BEGIN IMMEDIATE`` transactions so that compare-and-set UPDATEs
cannot interleave, and each writes its audit row in the same transaction (`_audit`).
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

SCHEMA_VERSION = 2  # 2: gaps get ids, opt-ins, organiser facts, learned phrasings

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

# Steps from older schemas, run after the CREATEs above: version -> statements.
_STEPS = {
    1: [  # v1 -> v2: the gap report's rows keep their text, count and day, and gain an id
        "INSERT OR IGNORE INTO gap_questions (question, count, last_day) "
        "SELECT question, count, last_day FROM gaps ORDER BY count DESC",
        "DROP TABLE gaps",
    ],
}


class Database:
    """One SQLite file and its locks; the store's parts build their queries on this."""

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

    def _migrate(self) -> None:
        """Create what is missing; refuse a database written by newer code."""
        with self._tx() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(f"database schema v{version} is newer than this code")
            for statement in filter(str.strip, _SCHEMA.split(";")):
                db.execute(statement)
            for step in range(max(version, 1), SCHEMA_VERSION) if version else ():
                for statement in _STEPS[step]:
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        """Close both connections (they are the same one for an in-memory store)."""
        with self._lock:
            if self._light is not self._db:
                self._light.close()
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
        """A read under the lock, since handlers and jobs share the connection."""
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _write(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """One-statement write; returns rowcount so callers can compare-and-set."""
        with self._tx() as db:
            return db.execute(sql, params).rowcount

    def _now(self) -> str:
        """The injected clock as stored text, so tests can control time."""
        return utc_text(self._clock())

    def _audit(self, db: sqlite3.Connection, actor_id: int | None, action: str,
               ann_id: int | None, detail: str | None = None) -> None:
        """Write an audit row inside the caller's transaction, so change and record commit together."""
        db.execute("INSERT INTO audit (at, actor_id, action, announcement_id, detail) "
                   "VALUES (?, ?, ?, ?, ?)", (self._now(), actor_id, action, ann_id, detail))
