"""Organisers' commands after the fact: /edit and /delete a channel post, /reload knowledge.

Each command checks the user itself (`organiser_only`) and refuses politely. Members'
answers pick up an edited or deleted post by themselves (see `Services.engine`); copies
already sent to subscribers by private message are not touched, and the organiser is told so.
"""

from __future__ import annotations

import asyncio
import html

from telegram import Update
from telegram.error import BadRequest

from bot.storage import DeliveryCounts, StoreError
from bot.storage.schedule import ScheduleError, parse_edit_args, parse_id
from bot.tg.access import organiser_only
from bot.tg.commands import args_html
from bot.tg.context import BotContext, Services, off_loop
from bot.tg.updates import message_of, user_of


async def edit(update: Update, context: BotContext) -> None:
    """/edit ID NEW TEXT: correct a channel post in place."""
    if not await organiser_only(update, context):
        return
    services, message = context.services, message_of(update)
    try:
        ann_id, text = parse_edit_args(args_html(message))
        channel_id, message_id = _live(services, ann_id)
        await context.bot.edit_message_text(text, chat_id=channel_id, message_id=message_id)
        await off_loop(services.store.edit_posted, ann_id, text, user_of(update).id)
    except (ScheduleError, StoreError, BadRequest) as exc:
        await message.reply_text(f"Not edited: {html.escape(getattr(exc, 'message', str(exc)))}")
        return
    counts = services.store.delivery_counts(ann_id)
    rest = f" The {counts.pending:,} still to send go out as edited." if counts.pending else ""
    await message.reply_text(f"✏️ #{ann_id} edited in the channel.{_dms_unchanged(counts)}{rest}")


async def delete(update: Update, context: BotContext) -> None:
    """/delete ID: remove a channel post."""
    if not await organiser_only(update, context):
        return
    services, message = context.services, message_of(update)
    try:
        ann_id = parse_id(" ".join(context.args or []))
        channel_id, message_id = _live(services, ann_id)
        await context.bot.delete_message(channel_id, message_id)
        await off_loop(services.store.mark_deleted, ann_id, user_of(update).id)
    except (ScheduleError, StoreError, BadRequest) as exc:
        await message.reply_text(f"Not deleted: {html.escape(getattr(exc, 'message', str(exc)))}")
        return
    counts = services.store.delivery_counts(ann_id)
    await message.reply_text(f"🗑 #{ann_id} deleted from the channel.{_dms_unchanged(counts)}")


def _live(services: Services, ann_id: int) -> tuple[int, int]:
    """(channel id, message id) of a posted announcement, or the refusal to show, naming the
    command that lists the right numbers."""
    ann = services.store.get(ann_id)
    if ann is None:
        raise ScheduleError(f"there is no announcement #{ann_id}. /announcements lists the recent ones.")
    if ann.state == "scheduled":
        raise ScheduleError(f"#{ann_id} is only scheduled. /unschedule {ann_id} takes it off the queue.")
    if ann.state == "posted" and ann.channel_post is None:  # "It's there" gives no message id
        raise ScheduleError(f"I don't know #{ann_id}'s message in the channel: change it there yourself.")
    if ann.channel_post is None:
        raise ScheduleError(f"#{ann_id} is {ann.state}, not a live post. /announcements lists them.")
    return ann.channel_post


def _dms_unchanged(counts: DeliveryCounts) -> str:
    """Subscribers' DMs are left as sent (no message ids are kept for them), so the organiser
    must not think that correcting the channel corrected those too."""
    sent = counts.sent
    if not sent:
        return ""
    copies = "The 1 copy" if sent == 1 else f"The {sent:,} copies"
    return f" {copies} already sent by private message {'is' if sent == 1 else 'are'} unchanged."


async def reload(update: Update, context: BotContext) -> None:
    """/reload: re-read knowledge/; on any problem the running knowledge stays."""
    if not await organiser_only(update, context):
        return
    problems = context.services.reload()
    if problems:
        shown = "\n".join(html.escape(p) for p in problems[:10])
        await message_of(update).reply_text(f"Reload refused; still using the old knowledge.\n{shown}")
    else:
        conflicts = await asyncio.to_thread(context.services.organiser_conflicts)
        facts = len(context.services.engine.kb.facts)
        text = f"Knowledge reloaded: {facts} facts."
        if conflicts:  # organisers' facts are kept; the organiser who reloaded is told why
            shown = "\n".join(f"• {html.escape(c)}" for c in conflicts[:10])
            text += f"\n⚠️ Conflicts with organisers' facts (the organisers' facts are kept):\n{shown}"
        await message_of(update).reply_text(text)
