"""Checks that run before any handler: slow down floods.

They live in handler groups below zero, so they see every update first and stop it with
`ApplicationHandlerStop` when it must go no further.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot.tg.access import is_organiser
from bot.tg.context import BotContext

log = logging.getLogger(__name__)

FLOOD_NOTICE = (
    "You're sending messages faster than I can answer them. "
    "Please wait a little, then ask again."
)
TAP_NOTICE = "You're tapping faster than I can answer. Please wait a little, then tap again."


async def flood_gate(update: Update, context: BotContext) -> None:
    """One polite notice to a member who floods a private chat, then silence until they slow down.

    A button tap is always answered, if only with nothing: an unanswered tap leaves the
    button's spinner running on the member's phone."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type != ChatType.PRIVATE:
        return
    if await is_organiser(context, user.id):
        return  # organisers posting and correcting in a hurry are not a flood
    services = context.services
    verdict = services.flood.check(user.id)
    if verdict == "ok":
        return
    if update.callback_query:
        await update.callback_query.answer(TAP_NOTICE if verdict == "warn" else None,
                                           show_alert=verdict == "warn")
    elif verdict == "warn" and update.effective_message:
        await update.effective_message.reply_text(FLOOD_NOTICE)
    if verdict == "warn":
        log.info("flood control: notice sent")
    raise ApplicationHandlerStop


async def forget_idle(context: BotContext) -> None:
    """A JobQueue job: drop the timestamps of members who have gone quiet."""
    services = context.services
    services.flood.forget_idle()
    services.group_flood.forget_idle()
