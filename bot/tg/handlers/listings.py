"""Organisers' read-only lists: /announcements, /scheduled, /audit (/gaps groups, so it is in `gaps`).

Each is a row in one table (what to fetch, how to show a line, a title, what to say when
empty), served by one handler, so the lists cannot drift apart.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from telegram import Update

from bot.answers.announcements import excerpt
from bot.storage import Store
from bot.storage.schedule import format_london
from bot.tg.access import organiser_only
from bot.tg.context import BotContext
from bot.tg.updates import message_of


@dataclass(frozen=True)
class Listing:
    """One organiser list: a query on the store and a one-line format for each row."""

    title: str
    fetch: Callable[[Store], Sequence[Any]]
    line: Callable[[Any], str]
    empty: str

    async def __call__(self, update: Update, context: BotContext) -> None:
        if not await organiser_only(update, context):
            return
        rows = self.fetch(context.services.store)
        text = f"<b>{html.escape(self.title)}</b>\n" + "\n".join(map(self.line, rows)) if rows else self.empty
        await message_of(update).reply_text(text)


LISTINGS: dict[str, Listing] = {
    "announcements": Listing(
        "Recent announcements",
        lambda store: store.recent(10),
        lambda a: (f"#{a.id} · {a.state}{' (late)' if a.late else ''} · "
                   f"{format_london(a.posted_at) if a.posted_at else '—'} · {excerpt(a.text)}"),
        "No announcements yet.",
    ),
    "scheduled": Listing(
        "Scheduled",
        lambda store: store.scheduled(),
        lambda a: f"#{a.id} · {format_london(a.due_at)} · {excerpt(a.text)}",
        "Nothing is scheduled.",
    ),
    "audit": Listing(  # organisers' ids only; members' are never recorded
        "Audit log",
        lambda store: store.audit(15),
        lambda e: (f"{format_london(e.at)} · {e.action} · #{e.announcement_id or '-'} · "
                   f"{'bot' if e.actor_id is None else e.actor_id}"),
        "The audit log is empty.",
    ),
}
