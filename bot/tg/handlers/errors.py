"""The error handler, registered last: log it, apologise to the member, keep running."""

from __future__ import annotations

import html
import logging

from telegram import Update
from telegram.error import Forbidden, NetworkError, RetryAfter

from bot.tg.context import SERVICES, BotContext
from bot.tg.ratelimit import best_effort

log = logging.getLogger(__name__)

APOLOGY = "Sorry, something went wrong on my side. Please try again in a moment."


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure (no user ids, no message text) and tell the member briefly."""
    error = context.error
    if isinstance(error, (NetworkError, RetryAfter)) and not isinstance(update, Update):
        log.warning("transient Telegram error: %s", type(error).__name__)
        return
    log.error("error while handling an update", exc_info=error)
    if isinstance(update, Update) and not isinstance(error, Forbidden):
        message = update.effective_message
        if update.callback_query is not None:
            await best_effort(update.callback_query.answer(APOLOGY, show_alert=False), "apology")
        elif message is not None:
            await best_effort(message.reply_text(APOLOGY), "apology")
    services = context.services if SERVICES in context.bot_data else None
    admin = services.settings.admin_chat_id if services else None
    if admin:
        name = html.escape(type(error).__name__)
        notice = f"⚠️ Handler error: <code>{name}</code>. See the logs."
        await best_effort(context.bot.send_message(admin, notice), "admin notice")
