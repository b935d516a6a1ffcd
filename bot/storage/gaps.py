"""The gap report and "Tell me" opt-ins: what members asked that the bot could not answer.

A gap question is its text, a count and the day it was last asked: no user id, no chat id,
no time finer than a day, and it is deleted after the retention period (30 days at most).
An opt-in is a chat id and the gap it is about, nothing else; it is deleted when the
member is told, after `WATCH_DAYS`, or on /unsubscribe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, timedelta

from bot.storage.db import Database

_WHITESPACE = re.compile(r"\s+")
GAP_MAX_LEN = 200
MAX_RETENTION_DAYS = 30
WATCH_DAYS = 30
CANDIDATE_DAYS = 30


def normalise_question(question: str) -> str:
    """Fold trivial variations together so the gap report counts the same question once."""
    return _WHITESPACE.sub(" ", question).strip().lower()[:GAP_MAX_LEN].rstrip()


@dataclass(frozen=True)
class GapQuestion:
    """One stored wording of an unanswered question."""

    id: int
    question: str
    count: int
    last_day: date


@dataclass(frozen=True)
class GapsToClear:
    """Unanswered questions (stored wordings) with ids up to `up_to`, and members' opt-ins on them."""

    up_to: int
    questions: int
    opt_ins: int


class Gaps(Database):
    """Unanswered questions (no identities) and who asked to be told (chat id only)."""

    def _today(self) -> date:
        return self._clock().astimezone(UTC).date()

    def _days_ago(self, days: int) -> str:
        return (self._today() - timedelta(days=days)).isoformat()

    # -- the gap report ---------------------------------------------------------------

    def record_gap(self, question: str) -> int | None:
        """Count an unanswered question; its id is what a "Tell me" button refers to.

        Written on the light connection: a gap must survive a crash of the bot, not of the
        machine, and skipping the fsync keeps members' replies fast.
        """
        text = normalise_question(question)
        if not text:
            return None
        with self._lock:
            row = self._light.execute(
                "INSERT INTO gap_questions (question, count, last_day) VALUES (?, 1, ?) "
                "ON CONFLICT (question) DO UPDATE SET count = count + 1, last_day = excluded.last_day "
                "RETURNING id", (text, self._today().isoformat())).fetchone()
        return int(row[0])

    def gap_questions(self) -> list[GapQuestion]:
        """Every stored wording, most asked first (grouping is the engine's job)."""
        rows = self._query("SELECT id, question, count, last_day FROM gap_questions "
                           "ORDER BY count DESC, last_day DESC, id")
        return [GapQuestion(r[0], r[1], int(r[2]), date.fromisoformat(r[3])) for r in rows]

    def top_gaps(self, limit: int = 10) -> list[tuple[str, int]]:
        """(wording, count) pairs, most asked first, ungrouped."""
        return [(g.question, g.count) for g in self.gap_questions()[:limit]]

    def gaps_to_clear(self) -> GapsToClear:
        """What /gaps clear would delete now, for the organiser to confirm first."""
        [(up_to, questions)] = self._query("SELECT coalesce(max(id), 0), count(*) FROM gap_questions")
        [(opt_ins,)] = self._query("SELECT count(*) FROM gap_watchers WHERE fact_id IS NULL AND gap_id <= ?",
                                   (up_to,))
        return GapsToClear(int(up_to), int(questions), int(opt_ins))

    def clear_gaps(self, actor_id: int, up_to: int) -> GapsToClear:
        """/gaps clear, once confirmed: forget the unanswered questions the organiser was shown
        (ids up to `up_to`) and the opt-ins waiting on them. Ids are never reused, so a second
        or stale press deletes nothing asked since."""
        with self._tx() as db:
            opt_ins = db.execute("DELETE FROM gap_watchers WHERE fact_id IS NULL AND gap_id <= ?",
                                 (up_to,)).rowcount
            n = db.execute("DELETE FROM gap_questions WHERE id <= ?", (up_to,)).rowcount
            if n or opt_ins:
                self._audit(db, actor_id, "gaps_clear", None, f"{n} question(s), {opt_ins} opt-in(s)")
        return GapsToClear(up_to, n, opt_ins)

    def purge_expired(self, gap_days: int = MAX_RETENTION_DAYS) -> int:
        """Delete gaps, opt-ins and tap candidates past their time; returns rows deleted.

        Gaps go after `gap_days` without being asked (never more than 30), opt-ins after
        `WATCH_DAYS`, "Did you mean" candidates after `CANDIDATE_DAYS`.
        """
        gap_days = max(1, min(gap_days, MAX_RETENTION_DAYS))
        with self._tx() as db:
            n = db.execute("DELETE FROM gap_questions WHERE last_day < ?",
                           (self._days_ago(gap_days),)).rowcount
            n += db.execute("DELETE FROM gap_watchers WHERE day < ? OR (fact_id IS NULL AND gap_id "
                            "NOT IN (SELECT id FROM gap_questions))",
                            (self._days_ago(WATCH_DAYS),)).rowcount
            n += db.execute("DELETE FROM learned_phrasings WHERE state = 'candidate' AND last_day < ?",
                            (self._days_ago(CANDIDATE_DAYS),)).rowcount
        return n

    # -- "Tell me" opt-ins ------------------------------------------------------------

    def watch_gap(self, gap_id: int, chat_id: int) -> bool | None:
        """Opt a chat in to hearing about one gap; None if the gap is gone, False if already in."""
        with self._tx() as db:
            if db.execute("SELECT 1 FROM gap_questions WHERE id = ?", (gap_id,)).fetchone() is None:
                return None
            cur = db.execute("INSERT OR IGNORE INTO gap_watchers (chat_id, gap_id, day) VALUES (?, ?, ?)",
                             (chat_id, gap_id, self._today().isoformat()))
        return cur.rowcount == 1

    def watchers(self, gap_id: int) -> list[int]:
        return [r[0] for r in self._query("SELECT chat_id FROM gap_watchers WHERE gap_id = ?", (gap_id,))]

    def forget_chat(self, chat_id: int) -> int:
        """/unsubscribe: drop every opt-in of this chat."""
        return self._write("DELETE FROM gap_watchers WHERE chat_id = ?", (chat_id,))

    def owed_answers(self) -> list[tuple[int, int]]:
        """(chat id, organiser fact id) for every DM owed, including after a restart."""
        rows = self._query("SELECT DISTINCT chat_id, fact_id FROM gap_watchers "
                           "WHERE fact_id IS NOT NULL ORDER BY fact_id, chat_id")
        return [(r[0], r[1]) for r in rows]

    def take_owed(self, chat_id: int, fact_id: int) -> bool:
        """Delete the opt-in before the DM goes: at most one DM, even across a crash."""
        return self._write("DELETE FROM gap_watchers WHERE chat_id = ? AND fact_id = ?",
                           (chat_id, fact_id)) > 0
