"""Per-message bookkeeping: the last handled Telegram update (the gap report is in `gaps`).

Written on the light connection: it must survive a crash of the bot, not of the machine.
"""

from __future__ import annotations

from bot.storage.db import Database


class Bookkeeping(Database):
    """Update ids, so no update is answered twice."""

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
