"""The announcement outbox and its audit trail: drafts, scheduling, sending, corrections.

Every state change is a compare-and-set, so two paths racing for the same announcement
(double-tap on "Post", scheduled job vs. manual post) cannot both win.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.storage.db import Database
from bot.storage.records import (
    Announcement,
    AuditEntry,
    InvalidTransition,
    NotFound,
    parse_utc,
    parse_utc_required,
    utc_text,
)

_COLUMNS = (
    "id, text, author_id, state, created_at, due_at, posted_at, channel_id, message_id, "
    "late, preview_chat_id, preview_message_id, report_to"
)


def _row_to_announcement(row: tuple[Any, ...]) -> Announcement:
    """One `_COLUMNS` row as a record."""
    return Announcement(
        id=row[0], text=row[1], author_id=row[2], state=row[3],
        created_at=parse_utc_required(row[4]),
        due_at=parse_utc(row[5]), posted_at=parse_utc(row[6]), channel_id=row[7], message_id=row[8],
        late=bool(row[9]), preview_chat_id=row[10], preview_message_id=row[11],
        report_to=row[12],
    )


class Outbox(Database):
    """Announcements from draft to posted (or cancelled/deleted), and the audit log."""

    # Bumped whenever the set or text of posted announcements changes, so whoever answers
    # from them (the engine) knows to rebuild without being told by every caller.
    posted_generation = 0

    # -- compare-and-set --------------------------------------------------------------

    def _change(self, ann_id: int, allowed: tuple[str, ...], new_state: str,
                actor_id: int | None, action: str, detail: str | None = None,
                extra_where: str = "", extra_params: tuple[Any, ...] = (), **cols: Any) -> bool:
        """Compare-and-set: only one caller can move a row out of ``allowed``."""
        sets = ", ".join(f"{c} = ?" for c in ("state", *cols))
        marks = ", ".join("?" * len(allowed))
        with self._tx() as db:
            cur = db.execute(f"UPDATE announcements SET {sets} "
                             f"WHERE id = ? AND state IN ({marks}){extra_where}",
                             (new_state, *cols.values(), ann_id, *allowed, *extra_params))
            if cur.rowcount != 1:
                return False
            self._audit(db, actor_id, action, ann_id, detail)
            if new_state == "posted" and "posted" not in allowed:
                self._snapshot_subscribers(db, ann_id)
        if "posted" in (new_state, *allowed):
            self.posted_generation += 1
        return True

    def _require(self, ann_id: int, ok: bool, wanted: str) -> Announcement:
        """Turn a refused change into an exception for the calls that must not fail quietly."""
        ann = self.get(ann_id)
        if ann is None:
            raise NotFound(f"announcement {ann_id} does not exist")
        if not ok:
            raise InvalidTransition(f"announcement {ann_id} is {ann.state}, needs {wanted}")
        return ann

    def _select(self, where: str, params: tuple[Any, ...] = ()) -> list[Announcement]:
        rows = self._query(f"SELECT {_COLUMNS} FROM announcements {where}", params)
        return [_row_to_announcement(r) for r in rows]

    # -- announcements --------------------------------------------------------------

    def create_draft(self, text: str, author_id: int,
                     due_at: datetime | None = None) -> Announcement:
        """A draft is not queued until confirmed, so an unconfirmed preview never posts."""
        if not text.strip():
            raise ValueError("announcement text is empty")
        due = None if due_at is None else utc_text(due_at)
        with self._tx() as db:
            cur = db.execute("INSERT INTO announcements (text, author_id, state, created_at, "
                             "due_at) VALUES (?, ?, 'draft', ?, ?)",
                             (text, author_id, self._now(), due))
            ann_id = cur.lastrowid
            assert ann_id is not None
            self._audit(db, author_id, "create", ann_id, due and f"due {due}")
        return self._require(ann_id, True, "draft")

    def set_preview(self, ann_id: int, chat_id: int, message_id: int) -> None:
        """Remember where the button message is so it can be edited after a restart."""
        if self._write("UPDATE announcements SET preview_chat_id = ?, preview_message_id = ? "
                       "WHERE id = ?", (chat_id, message_id, ann_id)) != 1:
            raise NotFound(f"announcement {ann_id} does not exist")

    def get(self, ann_id: int) -> Announcement | None:
        found = self._select("WHERE id = ?", (ann_id,))
        return found[0] if found else None

    def confirm_schedule(self, ann_id: int, actor_id: int | None = None) -> Announcement:
        """Queue a draft whose due time is still to come: Schedule pressed after that time must
        not post at once, as a late post, what the organiser meant for a moment now passed."""
        ok = self._change(ann_id, ("draft",), "scheduled", actor_id, "schedule",
                          extra_where=" AND due_at IS NOT NULL AND due_at > ?", extra_params=(self._now(),))
        return self._require(ann_id, ok, "a draft with a due time still to come")

    def cancel(self, ann_id: int, actor_id: int) -> bool:
        return self._change(ann_id, ("draft", "scheduled", "uncertain"), "cancelled",
                            actor_id, "cancel")

    def unschedule(self, ann_id: int, actor_id: int) -> bool:
        """Only touches queued posts, so a stale /unschedule cannot kill a live draft."""
        return self._change(ann_id, ("scheduled",), "cancelled", actor_id, "unschedule")

    def begin_send(self, ann_id: int, channel_id: int, actor_id: int | None,
                   late: bool = False, check_message_id: int | None = None) -> bool:
        """Record the intent to post BEFORE calling Telegram; False = someone else has it.

        An uncertain post is sent again only from the latest "please check the channel"
        message (`check_message_id`): Telegram re-delivers a button press whose
        acknowledgement a crash cut off, and that stale press must not post a second time.
        Whoever pressed Post (else the author, for a scheduled post) is told the outcome,
        even by a restarted bot, so their chat is recorded with the intent.
        """
        return self._change(
            ann_id, ("draft", "scheduled", "uncertain"), "sending", actor_id, "begin_send",
            f"channel {channel_id}" + (" (late)" if late else ""),
            extra_where=" AND (state != 'uncertain' OR check_message_id = ?)",
            extra_params=(check_message_id,),
            channel_id=channel_id, late=int(late), send_started_at=self._now(),
            report_to=actor_id if actor_id is not None else self._author(ann_id),
            check_message_id=None,
        )

    def set_check_message(self, ann_id: int, message_id: int) -> None:
        """The organiser's newest "please check the channel" message: only its Post again counts."""
        self._write("UPDATE announcements SET check_message_id = ? WHERE id = ? AND state = 'uncertain'",
                    (message_id, ann_id))

    def _author(self, ann_id: int) -> int | None:
        found = self._query("SELECT author_id FROM announcements WHERE id = ?", (ann_id,))
        return found[0][0] if found else None

    def mark_uncertain(self, ann_id: int, reason: str) -> Announcement:
        """The send may or may not have reached Telegram (connection lost mid-request)."""
        ok = self._change(ann_id, ("sending",), "uncertain", None, "send_uncertain", reason[:500])
        return self._require(ann_id, ok, "sending")

    def mark_posted(self, ann_id: int, message_id: int, posted_at: datetime) -> Announcement:
        """Record the channel message AND start delivery, in one transaction: a crash
        right after posting cannot leave a posted announcement that no member receives."""
        ok = self._change(ann_id, ("sending",), "posted", None, "posted",
                          f"message {message_id}", message_id=message_id,
                          posted_at=utc_text(posted_at))
        return self._require(ann_id, ok, "sending")

    def mark_send_failed(self, ann_id: int, reason: str) -> None:
        """Only for definite refusals (e.g. 400): back to draft so the organiser can retry.

        Timeouts/network errors are NOT definite: leave the row in "sending" and let
        recovery turn it into "uncertain" rather than risk a double post.
        """
        ok = self._change(ann_id, ("sending",), "draft", None, "send_failed", reason[:500],
                          channel_id=None, late=0, send_started_at=None)
        self._require(ann_id, ok, "sending")

    def recover_after_restart(self) -> list[Announcement]:
        """A crash mid-send leaves the outcome unknown; a human must decide, never the bot."""
        with self._tx() as db:
            ids = [r[0] for r in db.execute(
                "SELECT id FROM announcements WHERE state = 'sending' ORDER BY id")]
            for ann_id in ids:
                db.execute("UPDATE announcements SET state = 'uncertain' WHERE id = ?",
                           (ann_id,))
                self._audit(db, None, "recovered_uncertain", ann_id)
        return [self._require(i, True, "uncertain") for i in ids]

    def resolve_uncertain(self, ann_id: int, actor_id: int, posted: bool,
                          message_id: int | None = None) -> Announcement:
        """"It's there" -> posted (time = when the send began); posted=False -> draft.

        "Post again" should call begin_send directly instead.
        """
        if posted:  # delivery starts in the same transaction, as in mark_posted
            with self._tx() as db:
                cur = db.execute("UPDATE announcements SET state = 'posted', message_id = ?, "
                                 "posted_at = COALESCE(send_started_at, ?), report_to = ?, "
                                 "reported_at = NULL WHERE id = ? AND state = 'uncertain'",
                                 (message_id, self._now(), actor_id, ann_id))
                ok = cur.rowcount == 1
                if ok:
                    self._audit(db, actor_id, "resolve_posted", ann_id,
                                f"message {message_id}" if message_id else "message unknown")
                    self._snapshot_subscribers(db, ann_id)
            self.posted_generation += ok
        else:
            ok = self._change(ann_id, ("uncertain",), "draft", actor_id, "resolve_not_posted",
                              channel_id=None, late=0, send_started_at=None)
        return self._require(ann_id, ok, "uncertain")

    def unreported(self) -> list[Announcement]:
        """Posted, but the organiser was never told (the bot died first): tell them now."""
        return self._select("WHERE state = 'posted' AND reported_at IS NULL "
                            "AND report_to IS NOT NULL ORDER BY id")

    def mark_reported(self, ann_id: int) -> None:
        """The organiser has the confirmation; a restart does not send it again."""
        self._write("UPDATE announcements SET reported_at = ? WHERE id = ?", (self._now(), ann_id))

    def unfinished_deliveries(self) -> list[Announcement]:
        """Posted announcements whose delivery has not been reported finished: resume them."""
        return self._select("WHERE state = 'posted' AND delivery_started_at IS NOT NULL "
                            "AND delivery_done_at IS NULL ORDER BY id")

    def mark_delivery_done(self, ann_id: int) -> None:
        """The final report went out; nothing is left to resume for this announcement."""
        self._write("UPDATE announcements SET delivery_done_at = ? WHERE id = ?",
                    (self._now(), ann_id))

    def uncertain(self) -> list[Announcement]:
        """Posts whose fate an organiser still has to confirm."""
        return self._select("WHERE state = 'uncertain' ORDER BY id")

    def due_scheduled(self, now: datetime) -> list[Announcement]:
        return self._select("WHERE state = 'scheduled' AND due_at <= ? ORDER BY due_at, id",
                            (utc_text(now),))

    def scheduled(self) -> list[Announcement]:
        return self._select("WHERE state = 'scheduled' ORDER BY due_at, id")

    def recent(self, limit: int = 10) -> list[Announcement]:
        return self._select(
            "WHERE state IN ('posted', 'deleted', 'uncertain') "
            "ORDER BY COALESCE(posted_at, send_started_at, created_at) DESC, id DESC LIMIT ?",
            (limit,),
        )

    def edit_posted(self, ann_id: int, new_text: str, actor_id: int) -> Announcement:
        """Call after Telegram accepted the edit; the old text goes to the audit trail."""
        if not new_text.strip():
            raise ValueError("announcement text is empty")
        old = self.get(ann_id)
        ok = self._change(ann_id, ("posted",), "posted", actor_id, "edit",
                          None if old is None else f"previous text: {old.text[:1000]}",
                          text=new_text)
        return self._require(ann_id, ok, "posted")

    def mark_deleted(self, ann_id: int, actor_id: int) -> Announcement:
        ok = self._change(ann_id, ("posted",), "deleted", actor_id, "delete")
        return self._require(ann_id, ok, "posted")

    def posted_for_knowledge(self) -> list[Announcement]:
        return self._select("WHERE state = 'posted' ORDER BY posted_at, id")

    def audit(self, limit: int = 50) -> list[AuditEntry]:
        rows = self._query(
            "SELECT id, at, actor_id, action, announcement_id, detail FROM audit "
            "ORDER BY id DESC LIMIT ?", (limit,))
        return [AuditEntry(r[0], parse_utc_required(r[1]), r[2], r[3], r[4], r[5])
                for r in rows]
