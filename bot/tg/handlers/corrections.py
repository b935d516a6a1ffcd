"""Organisers' commands after the fact: /edit, /delete, /announcements, /audit, /gaps, /reload.

They correct or withdraw channel posts, review history and gaps, and re-read the knowledge.

Each command checks the user itself (`organiser_only`) and refuses politely.
"""

from __future__ import annotations

import html

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.storage import Announcement, StoreError
from bot.storage.schedule import ScheduleError, format_london, parse_edit_args, parse_id
from bot.tg.context import Services, get_services
from bot.tg.handlers.organisers import args_html, listing, organiser_only, short


async def edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/edit ID NEW TEXT: correct a channel post in place."""
    if not await organiser_only(update, context):
        return
    services, message = get_services(context.bot_data), update.effective_message
    try:
        ann_id, text = parse_edit_args(args_html(message))
        ann = _posted(services, ann_id)
        await context.bot.edit_message_text(text, chat_id=ann.channel_id, message_id=ann.message_id)
        services.store.edit_posted(ann_id, text, update.effective_user.id)
    except (ScheduleError, StoreError, BadRequest) as exc:
        await message.reply_text(f"Not edited: {html.escape(getattr(exc, 'message', str(exc)))}")
        return
    services.refresh_announcements()
    await message.reply_text(f"✏️ #{ann_id} edited in the channel.")


async def delete(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/delete ID: remove a channel post."""
    if not await organiser_only(update, context):
        return
    services, message = get_services(context.bot_data), update.effective_message
    try:
        ann_id = parse_id(" ".join(context.args or []))
        ann = _posted(services, ann_id)
        await context.bot.delete_message(ann.channel_id, ann.message_id)
        services.store.mark_deleted(ann_id, update.effective_user.id)
    except (ScheduleError, StoreError, BadRequest) as exc:
        await message.reply_text(f"Not deleted: {html.escape(getattr(exc, 'message', str(exc)))}")
        return
    services.refresh_announcements()
    await message.reply_text(f"🗑 #{ann_id} deleted from the channel.")


def _posted(services: Services, ann_id: int) -> Announcement:
    ann = services.store.get(ann_id)
    if ann is None or ann.state != "posted" or ann.message_id is None or ann.channel_id is None:
        raise ScheduleError(f"#{ann_id} is not a posted announcement with a known channel message")
    return ann


async def announcements(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/announcements: recent posts with their ids, for /edit and /delete."""
    if not await organiser_only(update, context):
        return
    recent = get_services(context.bot_data).store.recent(10)
    lines = [
        f"#{a.id} · {a.state}{' (late)' if a.late else ''} · "
        f"{format_london(a.posted_at) if a.posted_at else '—'} · {short(a)}"
        for a in recent
    ]
    await listing(update, "Recent announcements", lines, "No announcements yet.")


async def audit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/audit: who did what and when (organisers' ids only; never members')."""
    if not await organiser_only(update, context):
        return
    entries = get_services(context.bot_data).store.audit(15)
    lines = [
        f"{format_london(e.at)} · {e.action} · #{e.announcement_id or '-'} · "
        f"{'bot' if e.actor_id is None else e.actor_id}"
        for e in entries
    ]
    await listing(update, "Audit log", lines, "The audit log is empty.")


async def gaps(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/gaps: what members asked that the bot could not answer, most frequent first."""
    if not await organiser_only(update, context):
        return
    top = get_services(context.bot_data).store.top_gaps(15)
    lines = [f"{count}× {html.escape(question)}" for question, count in top]
    await listing(update, "Unanswered questions (no names kept)", lines,
                   "No unanswered questions recorded yet.")


async def reload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reload: re-read knowledge/; on any problem the running knowledge stays."""
    if not await organiser_only(update, context):
        return
    problems = get_services(context.bot_data).reload()
    if problems:
        listing = "\n".join(html.escape(p) for p in problems[:10])
        await update.effective_message.reply_text(
            f"Reload refused; still using the old knowledge.\n{listing}"
        )
    else:
        facts = len(get_services(context.bot_data).engine.kb.facts)
        await update.effective_message.reply_text(f"Knowledge reloaded: {facts} facts.")


COMMANDS = {
    "edit": edit,
    "delete": delete,
    "announcements": announcements,
    "audit": audit,
    "gaps": gaps,
    "reload": reload,
}
