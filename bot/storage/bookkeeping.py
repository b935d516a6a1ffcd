"""Per-message bookkeeping: the gap report and the last handled Telegram update.

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
    """Unanswered questions for the gap report, and update ids so none is answered twice."""

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
