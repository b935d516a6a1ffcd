"""Durable state for the Napo bot: announcement outbox, audit log, DM subscribers, gap report.

Everything that must survive a crash lives here, in one SQLite file. State changes are
compare-and-set UPDATEs inside ``BEGIN IMMEDIATE`` transactions so that two paths racing
for the same announcement (double-tap on "Post", scheduled job vs. manual post) cannot
both win, and every change writes its audit row in the same transaction.

Member data is kept to the minimum (union membership is special-category data under
UK GDPR): subscribers are bare chat ids, the audit log never records member chat ids,
and the gap report stores no identities at all.
"""

from bot.storage.bookkeeping import Bookkeeping
from bot.storage.db import SCHEMA_VERSION
from bot.storage.delivery import Subscriptions
from bot.storage.gaps import GAP_MAX_LEN, GapQuestion, Gaps, normalise_question
from bot.storage.learned import Learned, LearnedPhrasing, OrganiserFact
from bot.storage.outbox import Outbox
from bot.storage.records import STATES, Announcement, AuditEntry, InvalidTransition, NotFound, StoreError

__all__ = [
    "GAP_MAX_LEN",
    "SCHEMA_VERSION",
    "STATES",
    "Announcement",
    "AuditEntry",
    "GapQuestion",
    "InvalidTransition",
    "LearnedPhrasing",
    "NotFound",
    "OrganiserFact",
    "Store",
    "StoreError",
    "normalise_question",
]


class Store(Outbox, Subscriptions, Bookkeeping, Gaps, Learned):
    """One SQLite file; safe to share between the bot's handlers and its job queue.

    The connection, schema and transactions are in `store_db.Database`; each base class
    adds one concern's queries: the announcement outbox and audit log, subscribers and
    DM delivery, per-message bookkeeping (handled updates), the gap report with its
    "Tell me" opt-ins, and what organisers teach the bot (their facts, learned phrasings).
    """
