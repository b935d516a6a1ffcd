"""DM subscribers and the delivery of announcements to them, at most once each.

Subscribers are bare chat ids (union membership is special-category data under UK GDPR),
and unsubscribing erases every trace of the chat, delivery history included.
"""

from __future__ import annotations

from bot.storage.db import Database
from bot.storage.records import InvalidTransition, NotFound


class Subscriptions(Database):
    """Who asked for announcements by DM, and which of them each announcement reached."""

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
