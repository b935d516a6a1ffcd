"""Durable state for the Napo bot: announcement outbox, audit log, DM subscribers, gap report.

Everything that must survive a crash lives here, in one SQLite file. State changes are
compare-and-set UPDATEs inside ``BEGIN IMMEDIATE`` transactions so that two paths racing
for the same announcement (double-tap on "Post", scheduled job vs. manual post) cannot
both win, and every change writes its audit row in the same transaction.

Member data is kept to the minimum (union membership is special-category data under
UK GDPR): subscribers are bare chat ids, the audit log never records member chat ids,
and the gap report stores no identities at all.
"""

import os
import sqlite3
from pathlib import Path

from bot.storage.db import SCHEMA_VERSION
from bot.storage.delivery import DeliveryCounts, Subscriptions
from bot.storage.gaps import GAP_MAX_LEN, GapQuestion, Gaps, GapsToClear, normalise_question
from bot.storage.learned import Learned, LearnedPhrasing, OrganiserFact
from bot.storage.outbox import Outbox
from bot.storage.records import STATES, Announcement, AuditEntry, InvalidTransition, NotFound, StoreError

__all__ = [
    "GAP_MAX_LEN",
    "SCHEMA_VERSION",
    "STATES",
    "Announcement",
    "DeliveryCounts",
    "AuditEntry",
    "GapQuestion",
    "GapsToClear",
    "InvalidTransition",
    "LearnedPhrasing",
    "NotFound",
    "OrganiserFact",
    "Store",
    "StoreError",
    "normalise_question",
    "open_store",
]


class Store(Outbox, Subscriptions, Gaps, Learned):
    """One SQLite file; safe to share between the bot's handlers and its job queue.

    The connection, schema and transactions are in `store_db.Database`; each base class
    adds one concern's queries: the announcement outbox and audit log, subscribers and
    DM delivery, the gap report with its "Tell me" opt-ins, and what organisers teach the
    bot (their facts, learned phrasings).
    """


def open_store(data_dir: Path) -> Store:
    """Open (creating if need be) DATA_DIR and its database, before the bot contacts Telegram.

    Every way this can fail is a StoreError whose text is one line for the operator.
    """
    if data_dir.exists() and not data_dir.is_dir():
        raise StoreError(f"DATA_DIR {data_dir} is a file, not a directory")
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create DATA_DIR {data_dir}: {exc.strerror}") from None
    if not os.access(data_dir, os.W_OK | os.X_OK):
        raise StoreError(f"DATA_DIR {data_dir} is not writable")
    path = data_dir / "bot.sqlite3"
    try:
        return Store(path)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the database {path}: {exc}") from None
