"""DM subscribers and the delivery of announcements to them, at most once each.

Subscribers are bare chat ids (union membership is special-category data under UK GDPR),
and unsubscribing erases every trace of the chat, delivery history included.
"""

from __future__ import annotations

from dataclasses import dataclass

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
        """Snapshot subscribers once (posting already did); later calls add nobody."""
        with self._tx() as db:
            row = db.execute("SELECT state FROM announcements WHERE id = ?", (ann_id,)).fetchone()
            if row is None:
                raise NotFound(f"announcement {ann_id} does not exist")
            if row[0] != "posted":
                raise InvalidTransition(f"announcement {ann_id} is {row[0]}, needs posted")
            self._snapshot_subscribers(db, ann_id)
            return int(db.execute("SELECT COUNT(*) FROM deliveries WHERE announcement_id = ?",
                                  (ann_id,)).fetchone()[0])

    def next_pending(self, ann_id: int, limit: int = 100) -> list[int]:
        """Empty once the announcement is deleted, so DMs of a withdrawn post stop."""
        rows = self._query(
            "SELECT d.chat_id FROM deliveries d JOIN announcements a ON a.id = d.announcement_id "
            "WHERE d.announcement_id = ? AND d.state = 'pending' AND a.state = 'posted' "
            "ORDER BY d.chat_id LIMIT ?", (ann_id, limit))
        return [r[0] for r in rows]

    def claim_delivery(self, ann_id: int, chat_id: int) -> bool:
        """Mark before sending: after a crash past this point the DM is "unknown", never repeated."""
        return self._write(
            "UPDATE deliveries SET state = 'sending' "
            "WHERE announcement_id = ? AND chat_id = ? AND state = 'pending' "
            "AND EXISTS (SELECT 1 FROM announcements WHERE id = ? AND state = 'posted')",
            (ann_id, chat_id, ann_id)) == 1

    def finish_delivery(self, ann_id: int, chat_id: int, outcome: str) -> bool:
        """outcome: sent, failed, or unknown (the connection died after the request left).

        False if the row vanished meanwhile (member unsubscribed mid-send).
        """
        if outcome not in ("sent", "failed", "unknown"):
            raise ValueError(f"not a delivery outcome: {outcome!r}")
        return self._write(
            "UPDATE deliveries SET state = ? "
            "WHERE announcement_id = ? AND chat_id = ? AND state = 'sending'",
            (outcome, ann_id, chat_id)) == 1

    def delivery_blocked(self, ann_id: int, chat_id: int) -> None:
        """The member blocked the bot: forget them entirely, keep only a count on the post."""
        with self._tx() as db:
            db.execute("DELETE FROM subscribers WHERE chat_id = ?", (chat_id,))
            cur = db.execute("DELETE FROM deliveries WHERE chat_id = ?", (chat_id,))
            if cur.rowcount:
                db.execute("UPDATE announcements SET dm_blocked = dm_blocked + 1 WHERE id = ?",
                           (ann_id,))

    def recover_deliveries(self) -> list[int]:
        """At-most-once: a DM in flight at the crash is "unknown", never re-sent.

        Returns the announcements with DMs still to send.
        """
        with self._tx() as db:
            db.execute("UPDATE deliveries SET state = 'unknown' WHERE state = 'sending'")
            rows = db.execute(
                "SELECT DISTINCT d.announcement_id FROM deliveries d "
                "JOIN announcements a ON a.id = d.announcement_id "
                "WHERE d.state = 'pending' AND a.state = 'posted' ORDER BY 1").fetchall()
        return [r[0] for r in rows]

    def delivery_counts(self, ann_id: int) -> DeliveryCounts:
        """Every subscriber in the snapshot, by outcome; blocked ones are only a count."""
        by_state = dict(self._query(
            "SELECT state, COUNT(*) FROM deliveries WHERE announcement_id = ? GROUP BY state",
            (ann_id,)))
        blocked = self._query("SELECT dm_blocked FROM announcements WHERE id = ?", (ann_id,))
        return DeliveryCounts(
            sent=by_state.get("sent", 0), failed=by_state.get("failed", 0),
            blocked=int(blocked[0][0]) if blocked else 0, unknown=by_state.get("unknown", 0),
            pending=by_state.get("pending", 0) + by_state.get("sending", 0),
        )

    def delivery_progress(self, ann_id: int) -> tuple[int, int]:
        """(finished, total) over the snapshot still held, whatever the outcome."""
        counts = self.delivery_counts(ann_id)
        return counts.total - counts.pending - counts.blocked, counts.total - counts.blocked


@dataclass(frozen=True)
class DeliveryCounts:
    """What happened to one announcement's DMs; "unknown" is never counted as sent."""

    sent: int
    failed: int
    blocked: int
    unknown: int
    pending: int

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.blocked + self.unknown + self.pending
