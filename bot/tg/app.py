"""The composition root: builds the Application and registers every handler in one place.

Run with `python -m bot run` (long polling, or a webhook when WEBHOOK_URL is set).
Settings come from the environment; see .env.example.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from pathlib import Path
from typing import Any

from telegram import BotCommand, BotCommandScopeAllGroupChats, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    ExtBot,
    InlineQueryHandler,
    JobQueue,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.answers.engine import Engine
from bot.answers.knowledge import KnowledgeErrors
from bot.config import ConfigError, Settings
from bot.logs import RedactSecrets, install_excepthooks, setup_logging
from bot.storage import Store, StoreError, open_store
from bot.tg import callbacks
from bot.tg.access import Callback
from bot.tg.context import BASE_ENGINE, CONTEXT_TYPES, SERVICES, SETTINGS, BotContext, Services, services_of
from bot.tg.handlers import (
    announce,
    announcement_buttons,
    corrections,
    errors,
    gaps,
    gates,
    learning,
    listings,
    members,
    organiser_facts,
    scheduling,
    subscriptions,
)
from bot.tg.ordering import PerChatOrder
from bot.tg.ratelimit import RetryingRateLimiter, best_effort
from bot.tg.updates import job_queue_of

log = logging.getLogger(__name__)

STORE = "store"  # bot_data key: the store opened by `run` before Telegram is contacted
# At boot, retry for ever while Telegram cannot be reached (a rejected token still stops it).
RETRY_FOR_EVER = -1
TOKEN_REJECTED = "error: Telegram rejected TELEGRAM_BOT_TOKEN; check it with @BotFather"

NO_PREVIEWS = LinkPreviewOptions(is_disabled=True)
MEMBER_COMMANDS = [
    BotCommand("start", "What this bot does"),
    BotCommand("help", "How to ask, and every command"),
    BotCommand("topics", "Browse everything I know"),
    BotCommand("sources", "Where my answers come from"),
    BotCommand("subscribe", "Get announcements by private message"),
    BotCommand("unsubscribe", "Stop announcements and delete your record"),
]
GROUP_COMMANDS = [
    BotCommand("ask", "Ask me a question: /ask and your question"),
    *(c for c in MEMBER_COMMANDS if c.command not in ("start", "subscribe", "unsubscribe")),
]


# PTB's type parameters for this bot. ExtBot[Any]: its rate-limit arguments are None without a
# rate limiter, and AIORateLimiter's int or our AT_MOST_ONCE dict with RetryingRateLimiter.
Builder = ApplicationBuilder[
    ExtBot[Any], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], JobQueue[Any]
]


def build_application(settings: Settings, engine: Engine, store: Store | None = None) -> Application:
    """The bot, ready to run; the store (opened here if not given) closes in post_shutdown."""
    builder: Builder = (
        Application.builder()
        .token(settings.token)
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEWS))
        .context_types(CONTEXT_TYPES)
        # Members side by side, each chat's updates in order (ordering.py says why).
        .concurrent_updates(PerChatOrder())
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if settings.api_url:
        base = settings.api_url.rstrip("/")
        builder = builder.base_url(base).base_file_url(base.removesuffix("/bot") + "/file/bot")
    if settings.rate_limit:
        builder = builder.rate_limiter(RetryingRateLimiter(max_retries=3))
    app = builder.build()
    app.bot_data[SETTINGS] = settings
    app.bot_data[BASE_ENGINE] = engine
    app.bot_data[STORE] = store
    register(app)
    return app


def register(app: Application) -> None:
    """Every handler, in the order and groups they run."""
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    fresh = filters.UpdateType.MESSAGE
    edited = filters.UpdateType.EDITED_MESSAGE

    # No update de-duplication of our own: PTB acknowledges updates by offset, and stored
    # update ids would make the bot deaf when Telegram restarts its numbering.
    # Group -2: flood control for private chats (one notice, then silence; organisers exempt).
    app.add_handler(TypeHandler(Update, gates.flood_gate), group=-2)

    # Organisers: /announce and the text that may follow it, as one conversation. It comes
    # first so a waiting organiser's text is the announcement, not a question.
    app.add_handler(announce.conversation(app.bot_data[SETTINGS].announce_wait_seconds))
    app.add_handler(CommandHandler("cancel", announce.nothing_to_cancel))

    # Members' commands: /start, /help, /topics, /sources and /ask in any chat; subscribing
    # only in a private chat, where the chat id is the member's own.
    for name, command in {
        "start": members.start, "help": members.help_command, "topics": members.topics,
        "sources": members.sources, "ask": members.ask_command,
    }.items():
        app.add_handler(CommandHandler(name, command))
    app.add_handler(CommandHandler("subscribe", subscriptions.subscribe, filters=private))
    app.add_handler(CommandHandler("unsubscribe", subscriptions.unsubscribe, filters=private))
    app.add_handler(CommandHandler(["subscribe", "unsubscribe"], subscriptions.in_group, filters=groups))

    # Organisers' other commands: each checks the user (and the chat) and refuses politely.
    organisers: dict[str, Callback] = {
        **listings.LISTINGS,  # /announcements, /scheduled, /audit
        "unschedule": scheduling.unschedule,
        # Corrections after posting, and re-reading knowledge/.
        "edit": corrections.edit, "delete": corrections.delete, "reload": corrections.reload,
        # Closing the gaps: grouped gaps, answering one, organisers' facts, learning from taps.
        "gaps": gaps.gaps, "answer": gaps.answer, "facts": organiser_facts.facts,
        "editfact": organiser_facts.editfact, "retire": organiser_facts.retire, "learn": learning.learn,
    }
    for name, organiser_command in organisers.items():
        app.add_handler(CommandHandler(name, organiser_command))

    # Buttons, by callback prefix: members' facts, topic pages, examples and "Tell me", then
    # organisers' announcement, fact and learning buttons, and Clear/Keep under /gaps clear.
    for prefix, on_press in {
        callbacks.FACT: members.fact_button,
        callbacks.TOPICS: members.topics_button,
        callbacks.EXAMPLE: members.example_button,
        callbacks.ANNOUNCE: announcement_buttons.button,
        callbacks.TELL_ME: gaps.tell_me,
        callbacks.ORGANISER_FACT: organiser_facts.button,
        callbacks.LEARN: learning.button,
        callbacks.CLEAR_GAPS: gaps.clear_button,
    }.items():
        app.add_handler(CallbackQueryHandler(on_press, pattern=callbacks.pattern(prefix)))

    # Inline mode: `@bot ballot` in any chat.
    app.add_handler(InlineQueryHandler(members.inline_query))

    # Private text is a question (edited ones too).
    app.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND & (fresh | edited),
                                   members.private_text))
    app.add_handler(MessageHandler(private & filters.COMMAND, members.unknown_command))
    # Anything else sent privately (stickers, photos, voice, locations, contacts...).
    app.add_handler(MessageHandler(private & ~filters.TEXT & (fresh | edited), members.odd_input))
    # Groups: only mentions of the bot and replies to it; chatter is ignored.
    app.add_handler(MessageHandler(groups & filters.TEXT & ~filters.COMMAND & fresh, members.group_text))

    # Jobs (they run once post_init has built the services): DMs owed when the bot last
    # stopped, and deleting gaps, opt-ins and candidates past their time.
    jobs = job_queue_of(app)
    jobs.run_once(organiser_facts.resume_owed, when=0, name="resume-owed-answers")
    jobs.run_repeating(gaps.purge, interval=gaps.PURGE_SECONDS, first=1, name="purge-gaps")

    # Last: the error handler.
    app.add_error_handler(errors.on_error)


async def _post_init(app: Application) -> None:
    """Open the store, build the services, restore announcements and schedules."""
    settings: Settings = app.bot_data[SETTINGS]
    store = app.bot_data[STORE] or open_store(settings.data_dir)
    services = Services(settings=settings, base=app.bot_data[BASE_ENGINE], store=store)
    app.bot_data[SERVICES] = services
    # Groups' menu leaves out what only works in a private chat.
    await best_effort(app.bot.set_my_commands(MEMBER_COMMANDS), "setting the command menu")
    await best_effort(app.bot.set_my_commands(GROUP_COMMANDS, scope=BotCommandScopeAllGroupChats()),
                      "setting the groups' command menu")
    await scheduling.restore(app)
    # Flood control keeps per-member timestamps in memory: forget quiet members regularly.
    job_queue_of(app).run_repeating(gates.forget_idle, interval=600, name="forget-idle")
    log.info("bot ready: %d facts, %d subscribers", len(services.engine.kb.facts), store.subscriber_count())


async def _post_shutdown(app: Application) -> None:
    """Close the store, whether or not post_init got as far as building the services."""
    store = services_of(app).store if SERVICES in app.bot_data else app.bot_data.get(STORE)
    if store is not None:
        store.close()


class _QuietInvalidToken(logging.Filter):
    """`run` reports a rejected token in one line; PTB's traceback of it would only add noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], InvalidToken))


def run(knowledge_dir: Path | None = None) -> int:
    """`python -m bot run`: refuse to start on bad settings or knowledge, then serve."""
    setup_logging()
    try:
        settings = Settings.from_env(knowledge_dir=knowledge_dir)
        engine = Engine.load(settings.knowledge_dir)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KnowledgeErrors as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        print("error: the knowledge base failed `check`; the bot will not start", file=sys.stderr)
        return 1
    setup_logging(secret=settings.token)
    install_excepthooks(settings.token)
    try:  # the data directory and database first: a bad DATA_DIR never reaches Telegram
        store = open_store(settings.data_dir)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    logging.getLogger("telegram.ext").addFilter(_QuietInvalidToken())
    app = build_application(settings, engine, store)
    try:
        _serve(app, settings)
    except InvalidToken:
        print(TOKEN_REJECTED, file=sys.stderr)
        return 1
    except TelegramError as exc:  # e.g. a webhook URL Telegram refuses
        reason = RedactSecrets((settings.token,)).scrub(str(exc))
        print(f"error: Telegram refused to start the bot: {reason}", file=sys.stderr)
        return 1
    return 0


def _serve(app: Application, settings: Settings) -> None:
    """Long polling, or a webhook when WEBHOOK_URL is set; both wait out a network outage at boot."""
    if settings.webhook_url:
        path = hashlib.sha256(settings.token.encode()).hexdigest()[:32]
        app.run_webhook(
            listen="0.0.0.0",
            port=settings.port,
            url_path=path,
            webhook_url=f"{settings.webhook_url.rstrip('/')}/{path}",
            secret_token=settings.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
            bootstrap_retries=RETRY_FOR_EVER,
        )
    else:
        app.run_polling(allowed_updates=Update.ALL_TYPES, bootstrap_retries=RETRY_FOR_EVER)
