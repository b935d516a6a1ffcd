"""Organisers' own facts from Telegram: preview, Save or Cancel, /facts, /editfact, /retire.

A fact is drafted by /answer (see `gaps`) or corrected by /editfact, and previewed exactly
as members will see it. Save runs the same checks as `python -m bot check` and refuses,
saying why. Once saved, members get it at once (`Services.engine` rebuilds when the store
says organisers' facts changed), and every member who asked to be told gets a DM.
The presser of every button is checked again, so a forged Save does nothing.
"""

from __future__ import annotations

import asyncio
import html
import logging
from datetime import UTC, date, datetime

from telegram import Bot, CallbackQuery, Message, Update
from telegram.error import Forbidden, TelegramError

from bot.answers.organiser import ANSWER_LIMIT, Draft, plain, to_fact
from bot.answers.render import Reply, fact_reply
from bot.answers.vetting import vet_fact
from bot.storage import OrganiserFact, StoreError
from bot.tg import callbacks, keyboards
from bot.tg.access import organiser_button, organiser_only
from bot.tg.commands import args_html
from bot.tg.context import BotContext, Services, off_loop
from bot.tg.ratelimit import best_effort
from bot.tg.updates import message_of, pressed_message, user_of

log = logging.getLogger(__name__)

TOLD = "🔔 You asked me to tell you when there's an answer. The union's organisers have answered:\n\n"


def card(services: Services, number: int, answer: str, phrasings: tuple[str, ...],
         day: date | None = None) -> Reply:
    """The reply members will see for an organiser's fact, with its source line."""
    when = day if day is not None else datetime.now(UTC).date()
    source, fact = to_fact(Draft(number, answer, phrasings, when), services.base.kb.texts.union)
    return fact_reply(services.engine.kb.with_facts([source], [fact]), fact)


def too_long(answer: str) -> str | None:
    """A polite refusal for an answer that would not fit a phone screen, or None."""
    if not plain(answer):
        return "The answer is empty. Put it after the command."
    if len(plain(answer)) > ANSWER_LIMIT:
        return (f"That answer is {len(plain(answer))} characters; keep it under {ANSWER_LIMIT} "
                "(use /announce for long texts).")
    return None


async def show_preview(message: Message, services: Services, fact: OrganiserFact, answer: str,
                       save: str = "save", cancel: str = "cancel") -> None:
    """Header, the card exactly as members will see it, the wordings it answers, Save/Cancel."""
    reply = card(services, fact.id, answer, fact.phrasings)
    await message.reply_text(f"<b>Preview of fact #{fact.id}</b>, exactly as members will see it:")
    await message.reply_text(reply.html)
    wordings = "\n".join(f"• {html.escape(p)}" for p in fact.phrasings)
    await message.reply_text(f"It answers these wordings (they become its phrasings):\n{wordings}",
                             reply_markup=keyboards.fact_preview(fact.id, save, cancel))


async def facts(update: Update, context: BotContext) -> None:
    """/facts: the organiser-written facts members are getting now."""
    if not await organiser_only(update, context):
        return
    live = context.services.store.live_facts()
    if not live:
        await message_of(update).reply_text("No organiser facts yet: /gaps, then /answer N TEXT.")
        return
    lines = [f"#{f.id} · {f.day:%-d %b %Y} · {html.escape(plain(f.answer)[:60])}" for f in live]
    await message_of(update).reply_text(
        "<b>Organisers' facts</b> (/editfact ID TEXT corrects one, /retire ID removes it)\n"
        + "\n".join(lines))


def _id_and_text(message: Message) -> tuple[int | None, str]:
    head, _, rest = args_html(message).partition(" ")
    head = head.lstrip("#")
    return (int(head) if head.isdigit() and len(head) <= 12 else None), rest.strip()


async def editfact(update: Update, context: BotContext) -> None:
    """/editfact ID TEXT: preview a correction, applied only on Save."""
    if not await organiser_only(update, context):
        return
    message, store = message_of(update), context.services.store
    number, text = _id_and_text(message)
    if number is None or not text:
        await message.reply_text("Usage: <code>/editfact ID NEW TEXT</code> (/facts lists the ids).")
        return
    refusal = too_long(text)
    if refusal:
        await message.reply_text(refusal)
        return
    try:
        fact = await off_loop(store.propose_edit, number, text)
    except StoreError:
        waiting = store.organiser_fact(number)
        if waiting is None or waiting.state != "live" or waiting.pending_answer is None:
            await message.reply_text(f"#{number} is not a live organiser fact. /facts lists them.")
            return
        await message.reply_text(f"Fact #{number} already has a correction waiting: here it is "
                                 "again. Save or drop it, then send /editfact again.")
        await show_preview(message, context.services, waiting, waiting.pending_answer,
                           save="edit", cancel="keep")
        return
    await show_preview(message, context.services, fact, text, save="edit", cancel="keep")


async def retire(update: Update, context: BotContext) -> None:
    """/retire ID: members stop getting the fact at once."""
    if not await organiser_only(update, context):
        return
    message = message_of(update)
    number, _ = _id_and_text(message)
    if number is None:
        await message.reply_text("Usage: <code>/retire ID</code> (/facts lists the ids).")
        return
    if await off_loop(context.services.store.retire_fact, number, user_of(update).id):
        await message.reply_text(f"🗑 Fact #{number} retired: members no longer get it.")
    else:
        await message.reply_text(f"#{number} is not a live organiser fact. /facts lists them.")


@organiser_button(callbacks.parse_organiser_fact)
async def button(query: CallbackQuery, context: BotContext, action: str, number: int) -> None:
    """Save, Cancel, or confirm/drop a correction (the presser and the data are already checked)."""
    services, actor, message = context.services, query.from_user.id, pressed_message(query)
    fact = services.store.organiser_fact(number)
    if fact is None:
        await message.reply_text("That fact no longer exists.")
        return
    if action == "cancel":
        ok = await off_loop(services.store.cancel_fact, number, actor)
        await message.reply_text("Cancelled: nothing was saved." if ok
                                 else f"Fact #{number} is {fact.state}.")
    elif action == "keep":
        dropped = await off_loop(services.store.drop_edit, number)
        await message.reply_text(f"Correction dropped: fact #{number} is unchanged." if dropped
                                 else f"No correction of fact #{number} is waiting: it was saved "
                                 "or dropped already. /facts shows its text now.")
    elif not await _commit(message, context, fact, actor, action):
        return  # refused by `check`: the buttons stay
    await best_effort(query.edit_message_reply_markup(None), "removing spent buttons")


async def _vet(services: Services, fact: OrganiserFact, answer: str) -> list[str]:
    """`check`'s verdict on the fact with `answer`; a correction replaces its old version."""
    draft = Draft(fact.id, answer, fact.phrasings, fact.day)
    source, candidate = to_fact(draft, services.base.kb.texts.union)
    return await asyncio.to_thread(vet_fact, services.engine, source, candidate)


async def _refuse(message: Message, problems: list[str]) -> None:
    shown = "\n".join(f"• {html.escape(p)}" for p in problems[:6])
    await message.reply_text(f"Not saved: <code>check</code> would refuse it.\n{shown}\n"
                             "Cancel it, or answer with other wording.")


async def _commit(message: Message, context: BotContext, fact: OrganiserFact, actor: int,
                  action: str) -> bool:
    """Save a draft ("save") or apply a previewed correction ("edit") unless `check` refuses
    it; False only when refused, so its buttons stay and the organiser can cancel."""
    saving, store = action == "save", context.services.store
    answer = fact.answer if saving else fact.pending_answer
    if answer is None or (saving and fact.state != "draft"):
        await message.reply_text(f"Fact #{fact.id} is already {fact.state}." if saving
                                 else f"Fact #{fact.id} has no correction waiting.")
        return True
    problems = await _vet(context.services, fact, answer)
    if problems:
        await _refuse(message, problems)
        return False
    try:
        await off_loop(store.save_fact if saving else store.apply_edit, fact.id, actor)
    except StoreError:
        await message.reply_text(f"Fact #{fact.id} changed meanwhile; nothing was saved.")
        return True
    if saving:
        sent = await deliver_owed(context.bot, context.services)
        await message.reply_text(f"✅ Saved as fact #{fact.id}: members asking this now get your answer. "
                                 f"Told {sent} member(s) who asked to be told. /facts lists it.")
    else:
        await message.reply_text(f"✏️ Fact #{fact.id} corrected.")
    return True


async def deliver_owed(bot: Bot, services: Services) -> int:
    """DM every member owed an answer; each opt-in is deleted before its DM (at most once)."""
    sent = 0
    for chat_id, number in services.store.owed_answers():
        fact = services.store.organiser_fact(number)
        taken = await off_loop(services.store.take_owed, chat_id, number)
        if not taken or fact is None or fact.state != "live":
            continue
        reply = card(services, fact.id, fact.answer, fact.phrasings, fact.day)
        try:
            await bot.send_message(chat_id, TOLD + reply.html)
            sent += 1
        except Forbidden:
            log.info("answer DM skipped: member blocked the bot")
        except TelegramError as exc:
            log.warning("answer DM failed: %s", type(exc).__name__)
    return sent


async def resume_owed(context: BotContext) -> None:
    """Job at startup: DMs owed when the bot stopped are sent now."""
    sent = await deliver_owed(context.bot, context.services)
    if sent:
        log.info("owed answer DMs sent after restart: %d", sent)
