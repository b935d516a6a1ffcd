"""What the store hands out and refuses with: its records, its errors, and time as text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

STATES = ("draft", "scheduled", "sending", "posted", "uncertain", "cancelled", "deleted")


class StoreError(Exception):
    """Base class so callers can catch every store refusal in one place."""


class NotFound(StoreError, LookupError):
    """The announcement id does not exist (typo in /delete 99, stale button)."""


class InvalidTransition(StoreError):
    """The announcement is not in a state that allows the requested change."""


@dataclass(frozen=True)
class Announcement:
    """One announcement row; `state` is one of STATES."""

    id: int
    text: str
    author_id: int
    state: str
    created_at: datetime
    due_at: datetime | None
    posted_at: datetime | None
    channel_id: int | None
    message_id: int | None
    late: bool
    preview_chat_id: int | None
    preview_message_id: int | None
    report_to: int | None = None  # the organiser's chat told about the post and its delivery

    @property
    def is_live(self) -> bool:
        """Posted, with a channel message that can still be edited, deleted or pinned."""
        return self.channel_post is not None

    @property
    def channel_post(self) -> tuple[int, int] | None:
        """(channel id, message id) of a live post, for editing, deleting or pinning it; else None."""
        if self.state != "posted" or self.channel_id is None or self.message_id is None:
            return None
        return self.channel_id, self.message_id


@dataclass(frozen=True)
class AuditEntry:
    """One audit row: who changed which announcement, when, and how."""

    id: int
    at: datetime
    actor_id: int | None  # None = the bot itself (startup recovery, confirmed send)
    action: str
    announcement_id: int | None
    detail: str | None


def utc_text(dt: datetime) -> str:
    """Fixed-width UTC ISO text, so SQL string comparison orders correctly."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("naive datetime: pass an aware datetime (UTC)")
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


def parse_utc(text: str | None) -> datetime | None:
    """The inverse of utc_text; NULL columns stay None."""
    return None if text is None else datetime.fromisoformat(text)


def parse_utc_required(text: str) -> datetime:
    """The inverse of utc_text for a NOT NULL column, typed so records need no None check."""
    return datetime.fromisoformat(text)
