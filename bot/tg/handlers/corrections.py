"""Organisers' commands after the fact: /edit and /delete a channel post, /reload knowledge.

Each command checks the user itself (`organiser_only`) and refuses politely. Members'
answers pick up an edited or deleted post by themselves (see `Services.engine`).
"""

from __future__ import annotations

import asyncio
import html

from telegram import Update
from telegram.error import BadRequest

from bot.storage import StoreError
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
    await message.reply_text(f"✏️ #{ann_id} edited in the channel.")


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
    await message.reply_text(f"🗑 #{ann_id} deleted from the channel.")


def _live(services: Services, ann_id: int) -> tuple[int, int]:
    """(channel id, message id) of a posted announcement, or the refusal to show."""
    ann = services.store.get(ann_id)
    post = ann.channel_post if ann is not None else None
    if post is None:
        raise ScheduleError(f"#{ann_id} is not a posted announcement with a known channel message")
    return post


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
