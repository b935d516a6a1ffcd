"""Learning from members' taps: "Did you mean" choices become candidate phrasings for /learn.

A "Did you mean" reply quotes the member's question (in private chats), so when they tap a
fact the question's text comes back with the button press: nothing is stored before the
tap, and the candidate kept is the text and the fact id, never who asked. Organisers see
candidates with /learn and Approve (the phrasing joins the fact, unless `check` would
refuse it) or Reject (it is dropped). Candidates expire after 30 days.
"""

from __future__ import annotations

import asyncio
import html
import logging

from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatType

from bot.answers.render import Reply
from bot.answers.vetting import vet_phrasing
from bot.tg import callbacks, keyboards
from bot.tg.access import organiser_button, organiser_only
from bot.tg.context import BotContext, off_loop
from bot.tg.ratelimit import best_effort
from bot.tg.updates import message_of, pressed_message

log = logging.getLogger(__name__)

SHOWN = 8  # candidates per /learn


async def record_tap(query: CallbackQuery, context: BotContext, reply: Reply) -> None:
    """Keep (question text, tapped fact) if the tap answered one of our "Did you mean"s."""
    message = query.message
    if not isinstance(message, Message) or reply.fact is None or message.chat.type != ChatType.PRIVATE:
        return
    asked = message.reply_to_message
    rows = message.reply_markup.inline_keyboard if message.reply_markup else ()
    offered = [b.callback_data for row in rows for b in row]
    if asked is None or asked.from_user is None or asked.from_user.is_bot:
        return
    if not asked.text or asked.text.startswith("/") or query.data not in offered:
        return
    await off_loop(context.services.store.record_tap, asked.text, reply.fact.id)
    log.info("did-you-mean tap recorded: fact=%s", reply.fact.id)


async def learn(update: Update, context: BotContext) -> None:
    """/learn: candidate phrasings, most frequent first, each with Approve and Reject."""
    if not await organiser_only(update, context):
        return
    services, message = context.services, message_of(update)
    await off_loop(services.store.purge_expired, services.settings.gap_days)
    found = services.store.candidates(SHOWN)
    if not found:
        await message.reply_text("No candidate phrasings yet. They come from members tapping a "
                                 "“Did you mean” suggestion.")
        return
    await message.reply_text(f"<b>Phrasings learned from members' taps</b> ({len(found)} most frequent):")
    kb = services.engine.kb
    for cand in found:
        fact = kb.facts.get(cand.fact_id)
        title = html.escape(fact.title if fact else cand.fact_id)
        await message.reply_text(
            f"“{html.escape(cand.phrasing)}” → <b>{title}</b> ({cand.count}×)",
            reply_markup=keyboards.learn(cand.id),
        )


@organiser_button(callbacks.parse_learn)
async def button(query: CallbackQuery, context: BotContext, action: str, cand_id: int) -> None:
    """Approve or Reject one candidate (the presser and the data are already checked)."""
    services, store, actor = context.services, context.services.store, query.from_user.id
    message = pressed_message(query)
    cand = store.candidate(cand_id)
    if cand is None:
        await message.reply_text("That phrasing was already approved, rejected or has expired.")
        return
    await best_effort(query.edit_message_reply_markup(None), "removing spent buttons")
    if action == "reject":
        await off_loop(store.reject_phrasing, cand_id, actor)
        await message.reply_text(f"Rejected: “{html.escape(cand.phrasing)}” is dropped.")
        return
    problems = await asyncio.to_thread(vet_phrasing, services.engine, cand.fact_id, cand.phrasing)
    if problems:
        await off_loop(store.reject_phrasing, cand_id, actor)
        shown = "\n".join(f"• {html.escape(p)}" for p in problems[:5])
        await message.reply_text(f"Not approved: `check` would refuse it, so it is dropped.\n{shown}")
        return
    await off_loop(store.approve_phrasing, cand_id, actor)
    await message.reply_text(f"Approved: “{html.escape(cand.phrasing)}” now leads to that answer.")
