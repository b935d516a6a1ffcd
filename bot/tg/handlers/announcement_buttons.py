"""Organisers' buttons on an announcement: Post, Cancel, Schedule, Pin, It's there, Post again.

The presser is checked again on every press and the callback data is parsed strictly, so a
forwarded preview or forged data does nothing. Spent buttons are removed here, once, before
any action runs, so a second tap cannot reach the same action.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable

from telegram import CallbackQuery, Message
from telegram.error import TelegramError

from bot.storage import Announcement, StoreError
from bot.storage.schedule import format_london
from bot.tg import announcer, callbacks, keyboards
from bot.tg.access import organiser_button
from bot.tg.context import BotContext, off_loop
from bot.tg.handlers.scheduling import arm
from bot.tg.ratelimit import best_effort
from bot.tg.updates import pressed_message

log = logging.getLogger(__name__)

Action = Callable[[Message, BotContext, Announcement, int], Awaitable[None]]


@organiser_button(callbacks.parse_announce)
async def button(query: CallbackQuery, context: BotContext, name: str, ann_id: int) -> None:
    """Dispatch an `a:` button (the presser and the data are already checked)."""
    await best_effort(query.edit_message_reply_markup(None), "removing spent buttons")
    ann = context.services.store.get(ann_id)
    if ann is not None:
        await _ACTIONS[name](pressed_message(query), context, ann, query.from_user.id)


async def _post(message: Message, context: BotContext, ann: Announcement, actor: int) -> None:
    """Post a draft (a press re-delivered after a crash finds it no longer a draft)."""
    result = await announcer.publish(context.bot, context.services, ann.id, actor)
    await announcer.report(context.application, result, message.chat_id)


async def _again(message: Message, context: BotContext, ann: Announcement, actor: int) -> None:
    """Post again, valid only from the newest "please check the channel" message."""
    result = await announcer.publish(context.bot, context.services, ann.id, actor,
                                     check_message_id=message.message_id)
    await announcer.report(context.application, result, message.chat_id)


async def _cancel(message: Message, context: BotContext, ann: Announcement, actor: int) -> None:
    ok = await off_loop(context.services.store.cancel, ann.id, actor)
    await message.reply_text(f"#{ann.id} cancelled." if ok else f"{announcer.already(ann)}.")


async def _schedule(message: Message, context: BotContext, ann: Announcement, actor: int) -> None:
    try:
        ann = await off_loop(context.services.store.confirm_schedule, ann.id, actor)
    except StoreError:
        current = await off_loop(context.services.store.get, ann.id)
        if current is not None and current.state == "draft" and current.due_at is not None:
            await message.reply_text(
                f"#{ann.id} was to post at {format_london(current.due_at)}, which has passed, so it "
                "is not scheduled. Send /announce again with a new time, or without one to post now.")
        else:
            await message.reply_text(f"{announcer.already(current or ann)}.")
        return
    arm(context.application, ann)
    # confirm_schedule only schedules a draft that has a due time.
    when = format_london(ann.due_at) if ann.due_at is not None else "its due time"
    await message.reply_text(f"🕒 #{ann.id} scheduled for {when}. /scheduled lists the queue.")


async def _pin(message: Message, context: BotContext, ann: Announcement, actor: int) -> None:
    post = ann.channel_post
    if post is None:
        await message.reply_text(f"#{ann.id} can't be pinned: it is {ann.state}.")
        return
    try:
        await context.bot.pin_chat_message(*post, disable_notification=True)
    except TelegramError as exc:  # in a channel, pinning takes the "Edit messages of others" right
        reason = html.escape(getattr(exc, "message", str(exc)))
        await message.reply_text(
            f"📌 #{ann.id} was not pinned: Telegram said “{reason}”. In a channel the bot needs "
            "the admin right “Edit messages of others” to pin; once it has it, try again:",
            reply_markup=keyboards.announcement(ann.id, ("📌 Pin it", "pin")))
        return
    await message.reply_text(f"📌 #{ann.id} pinned.")


async def _there(message: Message, context: BotContext, ann: Announcement, actor: int) -> None:
    try:
        # Recording it as posted starts its delivery in the same transaction.
        ann = await off_loop(context.services.store.resolve_uncertain, ann.id, actor, posted=True)
    except StoreError:
        await message.reply_text(f"{announcer.already(ann)}.")
        return
    try:
        await message.reply_text(f"Thanks: #{ann.id} is recorded as posted. Sending it to subscribers now.")
        await off_loop(context.services.store.mark_reported, ann.id)
    finally:
        announcer.start_delivery(context.application, ann.id, message.chat_id)


_ACTIONS: dict[str, Action] = {
    "post": _post, "again": _again, "cancel": _cancel, "sched": _schedule, "pin": _pin, "there": _there,
}
