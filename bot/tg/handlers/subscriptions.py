"""Members' /subscribe and /unsubscribe: the union's announcements by private message.

Only the chat id is kept, and /unsubscribe deletes it with its delivery history and any
"Tell me" opt-ins.
"""

from __future__ import annotations

from telegram import Update

from bot.tg.context import BotContext, off_loop
from bot.tg.updates import chat_of, message_of

# A group's chat id is the group's, not the member's: subscribing there would DM the group.
PRIVATE_ONLY = ("Announcements come by private message, so {command} works in a private chat "
                "with me: open one with @{username} and send {command} there.")


async def subscribe(update: Update, context: BotContext) -> None:
    """/subscribe: opt in to announcements by private message."""
    new = await off_loop(context.services.store.subscribe, chat_of(update).id)
    await message_of(update).reply_text(
        ("You're subscribed: I'll send you the union's announcements here. " if new
         else "You're already subscribed. ")
        + "Send /unsubscribe at any time to stop and delete your record."
    )


async def unsubscribe(update: Update, context: BotContext) -> None:
    """/unsubscribe: stop, and delete everything kept about this chat."""
    store, chat_id = context.services.store, chat_of(update).id
    removed = await off_loop(store.unsubscribe, chat_id)
    opt_ins = await off_loop(store.forget_chat, chat_id)  # "Tell me" opt-ins go too
    await message_of(update).reply_text(
        "Done: you're unsubscribed and your record is deleted." if removed
        else "Done: your “Tell me” requests are deleted." if opt_ins
        else "You weren't subscribed, so there's nothing to delete."
    )


async def in_group(update: Update, context: BotContext) -> None:
    """/subscribe or /unsubscribe in a group: say where they work instead of ignoring them."""
    message = message_of(update)
    command = (message.text or "/subscribe").split()[0].split("@")[0]
    await message.reply_text(PRIVATE_ONLY.format(command=command, username=context.bot.username))
