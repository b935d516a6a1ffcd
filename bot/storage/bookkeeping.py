"""Per-message bookkeeping: the gap report.

Written on the light connection: it must survive a crash of the bot, not of the machine.
The gap report stores no identities at all: no user id, no chat id, no time finer than a day.
"""

from __future__ import annotations

import re
from datetime import UTC

from bot.storage.db import Database

_WHITESPACE = re.compile(r"\s+")
GAP_MAX_LEN = 200


def normalise_question(question: str) -> str:
    """Fold trivial variations together so the gap report counts the same question once."""
    return _WHITESPACE.sub(" ", question).strip().lower()[:GAP_MAX_LEN].rstrip()


class Bookkeeping(Database):
    """Unanswered questions for the gap report."""

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
