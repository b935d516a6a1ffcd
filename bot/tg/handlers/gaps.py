"""Closing the gaps: /gaps groups what members asked that the bot could not answer, /answer
turns a gap into an organiser's fact, and members' "Tell me" opt-ins wait for that answer.

Gaps are grouped with the engine's own normalisation and similarity (`GapGrouper`), so the
same question in other words is one gap, listed most asked first. A gap's number is the
stored id of its first recorded wording, not its place in the list: members asking more
between /gaps and /answer reorder the list, and /answer N must still mean the gap the
organiser read. Gap texts hold no identities and are deleted after GAP_RETENTION_DAYS
(30 at most); /gaps clear deletes them now, with members' opt-ins on them, once confirmed.
"""

from __future__ import annotations

import asyncio
import html
import logging

from telegram import CallbackQuery, Update
from telegram.constants import ChatType

from bot.answers.grouping import Gap, GapGrouper
from bot.storage import GapsToClear
from bot.tg import callbacks, keyboards
from bot.tg.access import organiser_button, organiser_only
from bot.tg.commands import args_html
from bot.tg.context import BotContext, Services, off_loop
from bot.tg.handlers.organiser_facts import show_preview, too_long
from bot.tg.ratelimit import best_effort
from bot.tg.updates import message_of, pressed_message, query_of, user_of

log = logging.getLogger(__name__)

SHOWN = 15  # gaps listed by /gaps
WORDINGS = 12  # wordings of one gap that become the new fact's phrasings
PURGE_SECONDS = 6 * 3600
MAX_GROUPED = 300  # most asked wordings grouped per /gaps: grouping is pairwise, ~0.4 s here

TOLD_KEPT = ("🔔 OK: I'll message you here when an organiser answers this. I've kept only this "
             "chat's id and this question, and delete them once I've told you, after 30 days, "
             "or when you send /unsubscribe.")


async def current_gaps(services: Services) -> list[Gap]:
    """Expired gaps purged, the rest grouped as /gaps shows them (most asked first).

    Grouping runs off the event loop so members' questions are not held up meanwhile.
    """
    await off_loop(services.store.purge_expired, services.settings.gap_days)
    engine, asked = services.engine, services.store.gap_questions()[:MAX_GROUPED]
    return await asyncio.to_thread(lambda: GapGrouper(engine.kb, engine.matcher.norm).group(asked))


def number_of(gap: Gap) -> int:
    """The gap's number in /gaps and /answer: stable while members go on asking."""
    return min(gap.ids)


def _line(gap: Gap) -> str:
    others = len(gap.wordings) - 1
    variants = f", +{others} other wording{'s' if others > 1 else ''}" if others else ""
    return (f"{number_of(gap)}. “{html.escape(gap.representative)}” · {gap.count}× · "
            f"last asked {gap.last_day:%-d %b}{variants}")


async def gaps(update: Update, context: BotContext) -> None:
    """/gaps: similar unanswered questions grouped, numbered, most asked first; /gaps clear."""
    if not await organiser_only(update, context):
        return
    services, message = context.services, message_of(update)
    arg = " ".join(context.args or []).strip().lower()
    if arg == "clear":
        await _ask_to_clear(update, context)
        return
    if arg:
        await message.reply_text("Usage: <code>/gaps</code> to list, "
                                 "<code>/gaps clear</code> to delete them all.")
        return
    found = await current_gaps(services)
    if not found:
        await message.reply_text("No unanswered questions recorded yet.")
        return
    days = services.settings.gap_days
    lines = "\n".join(_line(g) for g in found[:SHOWN])
    await message.reply_text(
        f"<b>Unanswered questions</b> (kept {days} days, without names or ids)\n{lines}\n\n"
        "<code>/answer N TEXT</code> answers gap N (its number stays the same as members ask "
        "more); <code>/gaps clear</code> deletes them all.")


def _what(found: GapsToClear) -> str:
    """'3 unanswered questions and 1 member's request to be told', for asking and for the result."""
    questions = f"{found.questions} unanswered question{'s' if found.questions != 1 else ''}"
    if not found.opt_ins:
        return f"{questions} (no member asked to be told of an answer)"
    requests = "1 member's request" if found.opt_ins == 1 else f"{found.opt_ins} members' requests"
    return f"{questions} and {requests} to be told of an answer"


async def _ask_to_clear(update: Update, context: BotContext) -> None:
    """/gaps clear: say what would go, with Clear and Keep; members' opt-ins go too, so ask first."""
    found = context.services.store.gaps_to_clear()
    if not found.questions:
        await message_of(update).reply_text("There are no unanswered questions to clear.")
        return
    await message_of(update).reply_text(f"Delete {_what(found)}? This can't be undone.",
                                        reply_markup=keyboards.clear_gaps(found.up_to))


@organiser_button(callbacks.parse_clear_gaps)
async def clear_button(query: CallbackQuery, context: BotContext, action: str, up_to: int) -> None:
    """Clear or Keep under /gaps clear. Clear deletes only what was counted (ids up to
    `up_to`), so a second or stale press cannot delete questions asked since."""
    await best_effort(query.edit_message_reply_markup(None), "removing spent buttons")
    message = pressed_message(query)
    if action == "keep":
        await message.reply_text("Kept: nothing was deleted.")
        return
    cleared = await off_loop(context.services.store.clear_gaps, query.from_user.id, up_to)
    await message.reply_text(f"Cleared: {_what(cleared)}." if cleared.questions or cleared.opt_ins
                             else "Nothing left to clear: those questions are already gone.")


async def answer(update: Update, context: BotContext) -> None:
    """/answer N TEXT: preview gap N as a new fact, with Save and Cancel."""
    if not await organiser_only(update, context):
        return
    services, message = context.services, message_of(update)
    head, _, text = args_html(message).partition(" ")
    text = text.strip()
    if not head.isdigit() or len(head) > 6 or not text:
        await message.reply_text("Usage: <code>/answer N TEXT</code>, where N is a number from /gaps.")
        return
    found = await current_gaps(services)
    number = int(head)
    # Any of its wordings' ids names a gap, so a number still works after two gaps merged.
    gap = next((g for g in found if number in g.ids), None)
    if gap is None:
        await message.reply_text(f"There is no gap {number} now: /gaps lists the current ones."
                                 if found else "There are no unanswered questions to answer.")
        return
    refusal = too_long(text)
    if refusal:
        await message.reply_text(refusal)
        return
    draft = await off_loop(services.store.draft_fact, text, list(gap.wordings[:WORDINGS]),
                           list(gap.ids), user_of(update).id)
    await show_preview(message, services, draft, text)


async def tell_me(update: Update, context: BotContext) -> None:
    """A member's "Tell me when there's an answer": keep this chat's id and the gap, say so."""
    query = query_of(update)
    chat = query.message.chat if query.message else None
    try:
        gap_id = callbacks.parse_number(query.data, callbacks.TELL_ME)
    except callbacks.BadCallback:
        gap_id = None
    if gap_id is None or chat is None or chat.type != ChatType.PRIVATE:
        await query.answer("That button isn't valid any more.")
        return
    added = await off_loop(context.services.store.watch_gap, gap_id, chat.id)
    if added is None:
        await query.answer("That question has been answered or cleared since: try asking it again.",
                           show_alert=True)
        return
    await query.answer("Done" if added else "You're already on the list for this one.")
    if added:
        await pressed_message(query).reply_text(TOLD_KEPT)
    log.info("gap opt-in %s", "added" if added else "repeated")


async def purge(context: BotContext) -> None:
    """Repeating job: delete gaps, opt-ins and candidates past their time even if nobody looks."""
    services = context.services
    n = await off_loop(services.store.purge_expired, services.settings.gap_days)
    if n:
        log.info("expired gap records deleted: %d", n)
