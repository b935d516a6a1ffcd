"""Handlers for members: questions, commands, buttons, inline mode and odd input.

Each handler parses the update, asks the engine, and replies; nothing else. Logs carry
what happened (kind of reply, fact id), never who asked or what they typed.
"""

from __future__ import annotations

import html
import logging

from telegram import (
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatType

from bot.answers.render import Reply, sources_list
from bot.tg import callbacks, keyboards
from bot.tg.context import BotContext, off_loop
from bot.tg.handlers import learning
from bot.tg.updates import chat_of, inline_query_of, message_of, pressed_message, query_of

log = logging.getLogger(__name__)

INLINE_RESULTS = 5
NO_CARDS = "No sourced answer to share: ask me in a private chat"


def help_text(name: str, union: str, gap_days: int = 30, examples: tuple[str, ...] = ()) -> str:
    """The /help text: what to ask, what the bot won't do, every command, and what is kept.

    The example questions are the knowledge base's own (bot.yaml), which a test keeps answered."""
    asks = " or ".join(f"<i>{html.escape(e)}</i>" for e in examples[:2])
    return (
        f"<b>{html.escape(name)}</b>\n"
        f"Type a question in your own words{', e.g. ' + asks if asks else ''}. "
        "Typos and text-speak are fine.\n\n"
        "Every answer names its source. When reports disagree I give both. "
        f"If I have no sourced answer I say so: ask your {html.escape(union)} branch rep.\n\n"
        "/topics – browse everything I know\n"
        "/sources – where my answers come from\n"
        "/subscribe – get announcements by private message (/unsubscribe to stop)\n"
        "/help – this message\n\n"
        "In a group, use /ask QUESTION or mention me.\n\n"
        "<b>What I keep</b>\n"
        f"• Questions I couldn't answer are kept, without names or ids, for up to {gap_days} days "
        "so organisers can answer them.\n"
        "• If you tap “Tell me when there's an answer”, I keep this chat's id and that question "
        "only, until I tell you, for 30 days at most, or until you send /unsubscribe.\n"
        "• When you tap a “Did you mean” suggestion, I keep your question's text (no name or id) "
        "with the topic you chose, for 30 days, to learn how members ask.\n"
        "• /subscribe keeps this chat's id until you /unsubscribe."
    )


def group_help_text(name: str, username: str, examples: tuple[str, ...] = ()) -> str:
    """/help in a group: how to ask there, and where the rest is."""
    example = html.escape(examples[0]) if examples else "your question"
    return (
        f"<b>{html.escape(name)}</b>\n"
        f"In this group, ask with <code>/ask {example}</code>, mention me, or reply to me. "
        "/topics and /sources work here too.\n\n"
        f"Announcements by private message, and what I keep about you: send /help to me in a "
        f"private chat, @{html.escape(username)}."
    )


async def reply_with(message: Message, reply: Reply, markup: InlineKeyboardMarkup | None = None) -> None:
    """Send an engine reply with its buttons. "Did you mean" quotes the question, so a tap
    can be learned from (see `learning.record_tap`) without the bot storing anything first."""
    await message.reply_text(reply.html, reply_markup=markup or keyboards.for_reply(reply),
                             do_quote=reply.kind == "clarify" and message.chat.type == ChatType.PRIVATE)


async def answer_question(message: Message, context: BotContext, question: str) -> None:
    """Ask the engine and reply. A question without a sourced answer (a decline, or a partial
    answer: "the reports don't give the date") is recorded for the gap report, without
    identity, and in a private chat offers "Tell me when there's an answer" below its buttons."""
    services = context.services
    first = services.engine.ask(question)
    # A message asking several things gets a reply to each (first.also), gaps recorded apiece.
    for reply in (first, *first.also):
        markup = None
        if reply.kind in ("decline", "partial"):
            gap_id = await off_loop(services.store.record_gap, reply.question)
            if gap_id is not None and message.chat.type == ChatType.PRIVATE:
                markup = keyboards.decline(reply, gap_id)
        log.info("question: kind=%s fact=%s", reply.kind, reply.fact.id if reply.fact else "-")
        await reply_with(message, reply, markup)


async def start(update: Update, context: BotContext) -> None:
    """Welcome, what to ask, and example questions as buttons."""
    if not _group_allows(update, context):
        return
    texts = context.services.engine.kb.texts
    text = f"{html.escape(texts.welcome)}\n\nTry one of these, or type your own question. /help for more."
    await message_of(update).reply_text(text, reply_markup=keyboards.examples(texts.examples))


async def help_command(update: Update, context: BotContext) -> None:
    """Explain how to use the bot: in full in a private chat, in a group only how to ask there
    (the rest is about private messages, and a group reads every line of it)."""
    if not _group_allows(update, context):
        return
    texts = context.services.engine.kb.texts
    if chat_of(update).type != ChatType.PRIVATE:
        await message_of(update).reply_text(group_help_text(texts.name, context.bot.username, texts.examples))
        return
    days = context.services.settings.gap_days
    await message_of(update).reply_text(help_text(texts.name, texts.union, days, texts.examples))


async def topics(update: Update, context: BotContext) -> None:
    """Browse every fact through buttons."""
    if not _group_allows(update, context):
        return
    facts = list(context.services.engine.kb.facts.values())
    markup, page, pages = keyboards.topics(facts, 0)
    await message_of(update).reply_text(_topics_title(page, pages), reply_markup=markup)


def _topics_title(page: int, pages: int) -> str:
    suffix = f" (page {page + 1} of {pages})" if pages > 1 else ""
    return f"<b>Topics</b>{suffix}: tap one to see the answer and its source."


async def sources(update: Update, context: BotContext) -> None:
    """List the sources behind every answer."""
    if not _group_allows(update, context):
        return
    _, marked = sources_list(context.services.engine.kb)
    await message_of(update).reply_text(marked)


async def private_text(update: Update, context: BotContext) -> None:
    """Any text in a private chat is a question (edited messages too)."""
    message = message_of(update)
    await answer_question(message, context, message.text or "")


async def ask_command(update: Update, context: BotContext) -> None:
    """/ask QUESTION, in groups and private chats."""
    message = message_of(update)
    question = " ".join(context.args or [])
    if not question.strip():
        await message.reply_text("Put your question after the command: <code>/ask when is the strike?</code>")
        return
    if not _group_allows(update, context):
        return
    await answer_question(message, context, question)


def _addressed_to_bot(message: Message, username: str) -> str | None:
    """The question if a group message mentions the bot or replies to it, else None."""
    text = message.text or ""
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.username == username:
        return text
    for entity, value in message.parse_entities([MessageEntity.MENTION]).items():
        if value.lstrip("@").lower() == username.lower():
            return (text[: entity.offset] + text[entity.offset + entity.length :]).strip()
    return None


def _group_allows(update: Update, context: BotContext) -> bool:
    """Groups get a few replies a minute at most, so the bot never floods them."""
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        return True
    return context.services.group_flood.check(chat.id) == "ok"


async def group_text(update: Update, context: BotContext) -> None:
    """In groups, answer only mentions and replies to the bot; ignore chatter."""
    message = message_of(update)
    question = _addressed_to_bot(message, context.bot.username)
    if question is None or not _group_allows(update, context):
        return
    await answer_question(message, context, question)


async def odd_input(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice notes, locations, contacts...: a polite pointer to text."""
    message = message_of(update)
    kind = next(
        (k for k in ("sticker", "photo", "voice", "video", "audio", "document", "location",
                     "contact", "animation", "video_note", "poll", "dice") if getattr(message, k, None)),
        "message",
    )
    examples = context.services.engine.kb.texts.examples
    hint = f" For example: <i>{html.escape(examples[0])}</i>" if examples else ""
    await message.reply_text(
        f"Thanks for the {kind.replace('_', ' ')}, but I can only read questions typed as text.{hint}"
    )


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command the bot doesn't have."""
    await message_of(update).reply_text("I don't know that command. /help lists what I can do.")


async def fact_button(update: Update, context: BotContext) -> None:
    """A tapped topic, related fact or did-you-mean suggestion: show that fact."""
    query = query_of(update)
    await query.answer()
    try:
        reply = context.services.engine.fact(callbacks.parse_fact(query.data))
    except callbacks.BadCallback:
        reply = None
    if reply is None:
        await pressed_message(query).reply_text("That topic is no longer available. Try /topics.")
        return
    await learning.record_tap(query, context, reply)
    await reply_with(pressed_message(query), reply)


async def topics_button(update: Update, context: BotContext) -> None:
    """Turn the page of /topics in place."""
    query = query_of(update)
    await query.answer()
    try:
        page = callbacks.parse_number(query.data, callbacks.TOPICS)
    except callbacks.BadCallback:
        return
    facts = list(context.services.engine.kb.facts.values())
    markup, page, pages = keyboards.topics(facts, page)
    await query.edit_message_text(_topics_title(page, pages), reply_markup=markup)


async def example_button(update: Update, context: BotContext) -> None:
    """A /start example question, answered as if typed."""
    query = query_of(update)
    await query.answer()
    examples = context.services.engine.kb.texts.examples
    try:
        question = examples[callbacks.parse_number(query.data, callbacks.EXAMPLE)]
    except (callbacks.BadCallback, IndexError):
        return
    await reply_with(pressed_message(query), context.services.engine.ask(question))


async def inline_query(update: Update, context: BotContext) -> None:
    """`@bot ballot`: up to five sourced fact cards to send into any chat."""
    engine = context.services.engine
    inline = inline_query_of(update)
    text = inline.query.strip()
    facts = engine.inline_cards(text, INLINE_RESULTS) if text else []
    if not facts and not text:
        facts = [f for q in engine.kb.texts.examples if (f := engine.match(q).fact)][:INLINE_RESULTS]
    results = []
    for fact in dict.fromkeys(facts):
        card = engine.fact(fact.id)
        if card is None:
            continue
        results.append(
            InlineQueryResultArticle(
                id=fact.id[:64], title=fact.title, description=fact.answer[:120],
                input_message_content=InputTextMessageContent(card.html),
            )
        )
    # Nothing sourced to share: say so where the cards would be, and offer the private chat.
    button = None if results else InlineQueryResultsButton(NO_CARDS, start_parameter="ask")
    await inline.answer(results, cache_time=60, button=button)
