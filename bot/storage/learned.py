"""What organisers teach the bot from Telegram: their own facts, and phrasings learned from taps.

Kept in the database, not in the YAML that ships with the code, and loaded on top of
`knowledge/`. None of it holds a member id: a fact is the organiser's text and the gap's
wordings; a candidate phrasing is a question's text and the fact tapped for it.
Every change bumps `learned_generation`, so whoever answers from them knows to rebuild.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from bot.storage.db import Database
from bot.storage.gaps import normalise_question
from bot.storage.records import InvalidTransition, NotFound, parse_utc, parse_utc_required


@dataclass(frozen=True)
class OrganiserFact:
    """One organiser-written fact; `answer` is Telegram HTML."""

    id: int
    state: str
    answer: str
    pending_answer: str | None
    phrasings: tuple[str, ...]
    gap_ids: tuple[int, ...]
    created_at: datetime
    saved_at: datetime | None

    @property
    def day(self) -> date:
        """The date members see in the source line: when it was saved (or drafted)."""
        return (self.saved_at or self.created_at).date()


@dataclass(frozen=True)
class LearnedPhrasing:
    """A question text and the fact it belongs to, as a candidate or an approved phrasing."""

    id: int
    fact_id: str
    phrasing: str
    state: str
    count: int


_FACT_COLUMNS = "id, state, answer, pending_answer, phrasings, gap_ids, created_at, saved_at"


def _fact(row: tuple[Any, ...]) -> OrganiserFact:
    return OrganiserFact(
        id=row[0], state=row[1], answer=row[2], pending_answer=row[3],
        phrasings=tuple(json.loads(row[4])), gap_ids=tuple(json.loads(row[5])),
        created_at=parse_utc_required(row[6]),
        saved_at=parse_utc(row[7]),
    )


class Learned(Database):
    """Organiser facts (draft -> live -> retired) and learned phrasings (candidate -> approved)."""

    learned_generation = 0

    def _bump(self) -> None:
        self.learned_generation += 1

    # -- organiser facts --------------------------------------------------------------

    def draft_fact(self, answer: str, phrasings: list[str], gap_ids: list[int],
                   actor_id: int) -> OrganiserFact:
        """A preview's draft: nothing members see until it is saved."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO organiser_facts (state, answer, phrasings, gap_ids, created_at) "
                "VALUES ('draft', ?, ?, ?, ?)",
                (answer, json.dumps(phrasings), json.dumps(gap_ids), self._now()))
            fact_id = int(cur.lastrowid or 0)
            self._audit(db, actor_id, "fact_draft", None, f"fact #{fact_id}")
        return self._require_fact(fact_id)

    def organiser_fact(self, fact_id: int) -> OrganiserFact | None:
        rows = self._query(f"SELECT {_FACT_COLUMNS} FROM organiser_facts WHERE id = ?", (fact_id,))
        return _fact(rows[0]) if rows else None

    def _require_fact(self, fact_id: int) -> OrganiserFact:
        fact = self.organiser_fact(fact_id)
        if fact is None:
            raise NotFound(f"fact #{fact_id} does not exist")
        return fact

    def live_facts(self) -> list[OrganiserFact]:
        rows = self._query(f"SELECT {_FACT_COLUMNS} FROM organiser_facts WHERE state = 'live' ORDER BY id")
        return [_fact(r) for r in rows]

    def save_fact(self, fact_id: int, actor_id: int) -> OrganiserFact:
        """Draft -> live, in one transaction with its consequences: the gap's wordings leave
        the report, and their opt-ins become owed DMs (so a restart still sends them)."""
        with self._tx() as db:
            row = db.execute("SELECT gap_ids FROM organiser_facts WHERE id = ? AND state = 'draft'",
                             (fact_id,)).fetchone()
            if row is None:
                raise InvalidTransition(f"fact #{fact_id} is not a draft")
            db.execute("UPDATE organiser_facts SET state = 'live', saved_at = ? WHERE id = ?",
                       (self._now(), fact_id))
            gap_ids = json.loads(row[0])
            marks = ", ".join("?" * len(gap_ids))
            if gap_ids:
                db.execute("UPDATE gap_watchers SET fact_id = ? "
                           f"WHERE fact_id IS NULL AND gap_id IN ({marks})",
                           (fact_id, *gap_ids))
                db.execute(f"DELETE FROM gap_questions WHERE id IN ({marks})", tuple(gap_ids))
            self._audit(db, actor_id, "fact_save", None, f"fact #{fact_id}")
        self._bump()
        return self._require_fact(fact_id)

    def cancel_fact(self, fact_id: int, actor_id: int) -> bool:
        return self._fact_change(fact_id, "draft", "cancelled", actor_id, "fact_cancel")

    def retire_fact(self, fact_id: int, actor_id: int) -> bool:
        """/retire: members stop getting it at once; the row stays for the audit trail."""
        return self._fact_change(fact_id, "live", "retired", actor_id, "fact_retire")

    def _fact_change(self, fact_id: int, old: str, new: str, actor_id: int, action: str) -> bool:
        with self._tx() as db:
            cur = db.execute("UPDATE organiser_facts SET state = ? WHERE id = ? AND state = ?",
                             (new, fact_id, old))
            if cur.rowcount != 1:
                return False
            self._audit(db, actor_id, action, None, f"fact #{fact_id}")
        if "live" in (old, new):
            self._bump()
        return True

    def propose_edit(self, fact_id: int, answer: str) -> OrganiserFact:
        """/editfact: hold the new text beside the live one until the organiser confirms.

        One correction waits at a time: Save and Cancel name only the fact, so a second one
        would make an older preview's Save apply a text that preview never showed."""
        if self._write("UPDATE organiser_facts SET pending_answer = ? WHERE id = ? AND state = 'live' "
                       "AND pending_answer IS NULL", (answer, fact_id)) != 1:
            fact = self.organiser_fact(fact_id)
            if fact is not None and fact.state == "live":
                raise InvalidTransition(f"fact #{fact_id} already has a correction waiting")
            raise InvalidTransition(f"fact #{fact_id} is not a live organiser fact")
        return self._require_fact(fact_id)

    def apply_edit(self, fact_id: int, actor_id: int) -> OrganiserFact:
        """The previewed text replaces the old one; the old text goes to the audit trail."""
        with self._tx() as db:
            row = db.execute("SELECT answer FROM organiser_facts WHERE id = ? AND state = 'live' "
                             "AND pending_answer IS NOT NULL", (fact_id,)).fetchone()
            if row is None:
                raise InvalidTransition(f"fact #{fact_id} has no correction waiting")
            db.execute("UPDATE organiser_facts SET answer = pending_answer, pending_answer = NULL, "
                       "saved_at = ? WHERE id = ?", (self._now(), fact_id))
            self._audit(db, actor_id, "fact_edit", None, f"fact #{fact_id}; previous text: {row[0][:1000]}")
        self._bump()
        return self._require_fact(fact_id)

    def drop_edit(self, fact_id: int) -> bool:
        return self._write("UPDATE organiser_facts SET pending_answer = NULL WHERE id = ? "
                           "AND pending_answer IS NOT NULL", (fact_id,)) == 1

    # -- phrasings learned from "Did you mean" taps -----------------------------------

    def record_tap(self, question: str, fact_id: str) -> None:
        """A member asked `question`, got "Did you mean", and tapped `fact_id`: no ids kept."""
        text = normalise_question(question)
        if not text or not fact_id:
            return
        with self._lock:
            self._light.execute(
                "INSERT INTO learned_phrasings (fact_id, phrasing, state, count, last_day) "
                "VALUES (?, ?, 'candidate', 1, ?) ON CONFLICT (fact_id, phrasing) DO UPDATE SET "
                "count = count + 1, last_day = excluded.last_day WHERE state = 'candidate'",
                (fact_id, text, self._clock().astimezone(UTC).date().isoformat()))

    def candidates(self, limit: int = 10) -> list[LearnedPhrasing]:
        """Candidate phrasings, most frequent first."""
        return self._phrasings("WHERE state = 'candidate' ORDER BY count DESC, last_day DESC, id LIMIT ?",
                               (limit,))

    def candidate(self, cand_id: int) -> LearnedPhrasing | None:
        found = self._phrasings("WHERE id = ? AND state = 'candidate'", (cand_id,))
        return found[0] if found else None

    def approved_phrasings(self) -> list[LearnedPhrasing]:
        return self._phrasings("WHERE state = 'approved' ORDER BY id", ())

    def _phrasings(self, where: str, params: tuple[object, ...]) -> list[LearnedPhrasing]:
        rows = self._query(f"SELECT id, fact_id, phrasing, state, count FROM learned_phrasings {where}",
                           params)
        return [LearnedPhrasing(r[0], r[1], r[2], r[3], int(r[4])) for r in rows]

    def approve_phrasing(self, cand_id: int, actor_id: int) -> bool:
        with self._tx() as db:
            cur = db.execute("UPDATE learned_phrasings SET state = 'approved' "
                             "WHERE id = ? AND state = 'candidate'", (cand_id,))
            if cur.rowcount != 1:
                return False
            self._audit(db, actor_id, "phrasing_approve", None, f"candidate #{cand_id}")
        self._bump()
        return True

    def reject_phrasing(self, cand_id: int, actor_id: int) -> bool:
        with self._tx() as db:
            cur = db.execute("DELETE FROM learned_phrasings WHERE id = ? AND state = 'candidate'", (cand_id,))
            if cur.rowcount != 1:
                return False
            self._audit(db, actor_id, "phrasing_reject", None, f"candidate #{cand_id}")
        return True
