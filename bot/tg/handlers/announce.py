"""/announce: a preview exactly as it will post, with Post/Cancel (or Schedule/Cancel).

A bare /announce waits for the text in the organiser's next message, as a PTB
ConversationHandler: it times out, and /cancel ends it. Members never enter the
conversation, so their messages leave nothing behind in per-user memory.
"""

from __future__ import annotations

import html
import logging
from datetime import UTC, datetime

from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import CommandHandler, ConversationHandler, MessageHandler, TypeHandler, filters

from bot.storage.schedule import AnnounceRequest, ScheduleError, format_london, parse_announce_args
from bot.tg import keyboards
from bot.tg.access import organiser_only
from bot.tg.commands import args_html
from bot.tg.context import BotContext, off_loop
from bot.tg.textlimits import MAX_MESSAGE, telegram_length
from bot.tg.updates import message_of, user_of

log = logging.getLogger(__name__)

WAITING_FOR_TEXT = 1
NO_CHANNEL = ("No announcement channel is set up, so there is nowhere to post. Whoever runs the bot "
              "must set ANNOUNCE_CHANNEL_ID and restart it. Nothing was saved.")
NOT_TEXT = "Announcements are text only: send the announcement's text, or /cancel."


def conversation(wait_seconds: float) -> ConversationHandler:
    """/announce, the text that may follow it, /cancel and the timeout (Settings), as one handler."""
    private, fresh = filters.ChatType.PRIVATE, filters.UpdateType.MESSAGE
    return ConversationHandler(
        entry_points=[CommandHandler("announce", announce)],
        states={
            WAITING_FOR_TEXT: [
                MessageHandler(private & filters.TEXT & ~filters.COMMAND & fresh, got_text),
                # A photo or a sticker is not the announcement: say so, and keep waiting.
                MessageHandler(private & ~filters.TEXT & fresh, not_text),
            ],
            ConversationHandler.TIMEOUT: [TypeHandler(Update, timed_out)],
        },
        fallbacks=[CommandHandler("cancel", cancel)],
        conversation_timeout=wait_seconds,
        # /announce while waiting starts over, rather than "I don't know that command".
        allow_reentry=True,
        name="announce",
    )


async def announce(update: Update, context: BotContext) -> int:
    """/announce [at YYYY-MM-DD HH:MM] TEXT, or a bare /announce that asks for the text."""
    if not await organiser_only(update, context):
        return ConversationHandler.END
    message = message_of(update)
    if context.services.settings.announce_channel_id is None:
        await message.reply_text(NO_CHANNEL)
        return ConversationHandler.END
    args = args_html(message)
    if not args:
        await message.reply_text("Send me the announcement text in your next message (or /cancel).")
        return WAITING_FOR_TEXT
    try:
        request = parse_announce_args(args, datetime.now(UTC))
    except ScheduleError as exc:
        await message.reply_text(html.escape(str(exc)))
        return ConversationHandler.END
    await preview(message, user_of(update).id, context, request)
    return ConversationHandler.END


async def got_text(update: Update, context: BotContext) -> int:
    """The message after a bare /announce is the announcement, verbatim ("At the…" too),
    to post now; rights are re-checked, since they can go."""
    if await organiser_only(update, context):
        message = message_of(update)
        request = AnnounceRequest(text=message.text_html.strip(), due_at=None)
        await preview(message, user_of(update).id, context, request)
    return ConversationHandler.END


async def not_text(update: Update, context: BotContext) -> None:
    """Anything but text while the bot waits for the announcement: it stays waiting."""
    await message_of(update).reply_text(NOT_TEXT)


async def cancel(update: Update, context: BotContext) -> int:
    """/cancel while the bot waits for announcement text."""
    await message_of(update).reply_text("Cancelled.")
    return ConversationHandler.END


async def nothing_to_cancel(update: Update, context: BotContext) -> None:
    """/cancel when nothing is waiting."""
    await message_of(update).reply_text("Nothing to cancel.")


async def timed_out(update: Update, context: BotContext) -> None:
    """Say that the wait is over, so a message days later is not taken as an announcement."""
    if update.effective_chat is not None:
        seconds = round(context.services.settings.announce_wait_seconds)
        amount, unit = (seconds // 60, "minute") if seconds >= 60 else (seconds, "second")
        await context.bot.send_message(
            update.effective_chat.id,
            f"I stopped waiting for the announcement text after {amount} {unit}"
            f"{'s' if amount != 1 else ''}. Send /announce again when you're ready.",
        )


async def preview(message: Message, author: int, context: BotContext, request: AnnounceRequest) -> None:
    """Store `author`'s draft and show it as the channel will, with its buttons; refuse one
    that Telegram would refuse in the channel, saying by how much it is over."""
    store = context.services.store
    length = telegram_length(request.text)
    if length > MAX_MESSAGE:
        await message.reply_text(
            f"⚠️ That announcement is {length:,} characters; Telegram allows {MAX_MESSAGE:,} in a "
            f"channel post. Shorten it by {length - MAX_MESSAGE:,} and send /announce again. "
            "Nothing was saved.")
        return
    ann = await off_loop(store.create_draft, request.text, author, request.due_at)
    if request.due_at:
        header = f"<b>Preview #{ann.id}</b>, to post at {format_london(request.due_at)}:"
        markup = keyboards.announcement(ann.id, ("Schedule", "sched"), ("Cancel", "cancel"))
    else:
        header = f"<b>Preview #{ann.id}</b>, exactly as it will appear in the channel:"
        markup = keyboards.announcement(ann.id, ("Post to channel", "post"), ("Cancel", "cancel"))
    await message.reply_text(header)
    try:
        shown = await message.reply_text(request.text, reply_markup=markup)
    except BadRequest as exc:
        await off_loop(store.cancel, ann.id, author)
        await message.reply_text(f"Telegram can't show that text: {html.escape(exc.message)}")
        return
    await off_loop(store.set_preview, ann.id, shown.chat_id, shown.message_id)
