"""Inline keyboards: members' fact and "Tell me" buttons, organisers' announcement, fact,
learning and clear-gaps buttons.

Callback data always comes from `callbacks`, which owns every prefix.
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.answers.knowledge import Fact
from bot.answers.render import Reply
from bot.tg import callbacks

TOPICS_PER_PAGE = 8


def _fact_rows(facts: Sequence[Fact]) -> list[list[InlineKeyboardButton]]:
    return [[InlineKeyboardButton(f.title, callback_data=callbacks.fact(f.id))] for f in facts]


def for_reply(reply: Reply) -> InlineKeyboardMarkup | None:
    """'Did you mean' buttons for a clarification, 'related' buttons for an answer."""
    facts = reply.suggestions if reply.kind == "clarify" else reply.related[:3]
    return InlineKeyboardMarkup(_fact_rows(facts)) if facts else None


def examples(questions: Sequence[str]) -> InlineKeyboardMarkup | None:
    rows = [[InlineKeyboardButton(q, callback_data=callbacks.example(i))] for i, q in enumerate(questions)]
    return InlineKeyboardMarkup(rows) if rows else None


def topics(facts: Sequence[Fact], page: int) -> tuple[InlineKeyboardMarkup, int, int]:
    """One page of fact buttons with « » navigation; returns (markup, page, pages)."""
    pages = max(1, -(-len(facts) // TOPICS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    chunk = facts[page * TOPICS_PER_PAGE : (page + 1) * TOPICS_PER_PAGE]
    rows = _fact_rows(chunk)
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton("« Back", callback_data=callbacks.topics(page - 1)))
    if page < pages - 1:
        nav.append(InlineKeyboardButton("More »", callback_data=callbacks.topics(page + 1)))
    if nav:
        rows.append(nav)
    return InlineKeyboardMarkup(rows), page, pages


def announcement(ann_id: int, *actions: tuple[str, str]) -> InlineKeyboardMarkup:
    """One row of organiser buttons on announcement `ann_id`, given as (label, action) pairs."""
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(label, callback_data=callbacks.announce(action, ann_id))
        for label, action in actions
    ]])


TELL_ME = "🔔 Tell me when there's an answer"


def decline(reply: Reply, gap_id: int) -> InlineKeyboardMarkup:
    """A private decline's closest topics (a partial answer's related facts), then the opt-in
    below them (one chat id and one gap, deleted once told): asking to be told must not cost
    the member the one tap."""
    facts = reply.related[:3] if reply.kind == "partial" else reply.offered
    opt_in = [InlineKeyboardButton(TELL_ME, callback_data=callbacks.tell_me(gap_id))]
    return InlineKeyboardMarkup([*_fact_rows(facts), opt_in])


def fact_preview(number: int, save: str = "save", cancel: str = "cancel") -> InlineKeyboardMarkup:
    """Save and Cancel under an organiser's fact preview (or its correction)."""
    return InlineKeyboardMarkup([[
        InlineKeyboardButton("✅ Save", callback_data=callbacks.organiser_fact(save, number)),
        InlineKeyboardButton("Cancel", callback_data=callbacks.organiser_fact(cancel, number)),
    ]])


def learn(candidate_id: int) -> InlineKeyboardMarkup:
    """Approve and Reject under one candidate phrasing."""
    return InlineKeyboardMarkup([[
        InlineKeyboardButton("👍 Approve", callback_data=callbacks.learn("approve", candidate_id)),
        InlineKeyboardButton("👎 Reject", callback_data=callbacks.learn("reject", candidate_id)),
    ]])


def clear_gaps(up_to: int) -> InlineKeyboardMarkup:
    """Clear and Keep under "/gaps clear": nothing is deleted until Clear is pressed."""
    return InlineKeyboardMarkup([[
        InlineKeyboardButton("🗑 Clear", callback_data=callbacks.clear_gaps("clear", up_to)),
        InlineKeyboardButton("Keep", callback_data=callbacks.clear_gaps("keep", up_to)),
    ]])
