"""Who counts as an organiser: the one definition every command, button and gate uses.

Organisers are the ids in ORGANISER_IDS plus the announcement channel's administrators
(looked up with getChatAdministrators, cached ten minutes). Everyone is checked again on
every command and every button press, so a forwarded preview or forged button does nothing.
Organiser commands work in private chats only: a group would see drafts, gaps and ids.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import CallbackQuery, Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.tg.callbacks import BadCallback
from bot.tg.context import BotContext
from bot.tg.ratelimit import best_effort

log = logging.getLogger(__name__)

ADMIN_CACHE_SECONDS = 600
REFUSAL = "Sorry, only the union's organisers can do that."
# What PTB's handlers accept: a coroutine function (a function returning a mere Awaitable is refused).
Callback = Callable[[Update, BotContext], Coroutine[Any, Any, None]]
STALE_BUTTON = "That button isn't valid any more."
PRIVATE_ONLY = "Organiser commands work in a private chat with me, so the group doesn't see them."


async def is_organiser(context: BotContext, user_id: int | None) -> bool:
    """ORGANISER_IDS, or an administrator of the announcement channel (cached)."""
    if user_id is None:
        return False
    services = context.services
    if user_id in services.settings.organiser_ids:
        return True
    channel = services.settings.announce_channel_id
    if channel is None:
        return False
    cached = services.admin_cache.get(channel)
    if cached is None or time.monotonic() - cached[0] > ADMIN_CACHE_SECONDS:
        try:
            admins = await context.bot.get_chat_administrators(channel)
        except TelegramError as exc:
            log.warning("could not fetch channel administrators: %s", type(exc).__name__)
            return False
        cached = (time.monotonic(), frozenset(a.user.id for a in admins))
        services.admin_cache[channel] = cached
    return user_id in cached[1]


async def organiser_only(update: Update, context: BotContext) -> bool:
    """Gate for an organiser command: False, after a polite one-liner, anywhere but a private
    chat or for anyone but an organiser."""
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    if message is None:
        return False
    # The chat first: in a group, organisers and members get the same reply, so the group
    # does not learn who the organisers are.
    if chat is not None and chat.type != ChatType.PRIVATE:
        log.info("organiser command refused outside a private chat")
        await message.reply_text(PRIVATE_ONLY)
        return False
    if not await is_organiser(context, user.id if user else None):
        log.info("organiser command refused")
        await message.reply_text(REFUSAL)
        return False
    return True


OnPress = Callable[[CallbackQuery, BotContext, str, int], Awaitable[None]]


def organiser_button(parse: Callable[[str | None], tuple[str, int]]) -> Callable[[OnPress], Callback]:
    """Make `on_press(query, context, action, id)` a button handler that only organisers reach.

    Every organiser button goes through here: the presser is checked again on each press,
    and data that none of our buttons could have sent is refused before anything runs.
    """
    def wrap(on_press: OnPress) -> Callback:
        async def handler(update: Update, context: BotContext) -> None:
            query = update.callback_query
            if query is None:
                return
            if not await is_organiser(context, query.from_user.id):
                log.info("organiser button refused")
                await query.answer(REFUSAL, show_alert=True)
                return
            try:
                action, number = parse(query.data)
            except BadCallback:
                await query.answer(STALE_BUTTON, show_alert=True)
                return
            # Best effort: a press re-delivered after a restart is too old to answer, but its
            # action must still reach the store, which refuses it if it is spent.
            await best_effort(query.answer(), "answering the button")
            await on_press(query, context, action, number)

        handler.__doc__ = on_press.__doc__
        return handler
    return wrap
