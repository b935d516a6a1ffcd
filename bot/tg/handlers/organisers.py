"""Organisers' announcements: who may make them, /announce, its preview buttons, scheduling.

Scheduling includes `restore`: what to pick up again after a restart.

Every command and every button press checks the user again, so a preview's buttons are
useless in anyone else's hands, even with forged callback data. Corrections after posting
are in `corrections`; members' /subscribe and /unsubscribe in `subscriptions`.
"""

from __future__ import annotations

import html
import logging
import re
import time
from datetime import UTC, datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes

from bot.storage import Announcement, StoreError
from bot.storage.schedule import ScheduleError, format_london, parse_announce_args, parse_id
from bot.tg import announcer
from bot.tg.announcer import Outcome
from bot.tg.context import Services, get_services
from bot.tg.ratelimit import best_effort

log = logging.getLogger(__name__)

PREFIX = "a:"
ADMIN_CACHE_SECONDS = 600
REFUSAL = "Sorry, only the union's organisers can do that."
PENDING = "pending_announce"
# restore() arms jobs in post_init, but run_polling starts the JobQueue only after polling
# began (a network round trip); APScheduler's default 1 s grace would silently skip them.
NO_MISFIRE = {"misfire_grace_time": None}
_COMMAND = re.compile(r"^/\w+(@\w+)?\s*", re.ASCII)


# ---------------------------------------------------------------- who is an organiser


async def is_organiser(context: ContextTypes.DEFAULT_TYPE, user_id: int | None) -> bool:
    """ORGANISER_IDS, or an administrator of the announcement channel (cached)."""
    if user_id is None:
        return False
    services = get_services(context.bot_data)
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


async def organiser_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Gate for an organiser command: False (after a polite refusal) for anyone else."""
    user = update.effective_user
    if await is_organiser(context, user.id if user else None):
        return True
    log.info("organiser command refused")
    await update.effective_message.reply_text(REFUSAL)
    return False


async def listing(update: Update, title: str, lines: list[str], empty: str) -> None:
    """A titled list for an organiser, or a plain sentence when there is nothing to list."""
    text = f"<b>{html.escape(title)}</b>\n" + "\n".join(lines) if lines else empty
    await update.effective_message.reply_text(text)


def args_html(message: Message) -> str:
    """The message after its /command, keeping the sender's formatting as Telegram HTML."""
    return _COMMAND.sub("", message.text_html or "", count=1).strip()


def _buttons(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    """One row of callback buttons, given as (label, data) pairs."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in pairs]])


def short(ann: Announcement, limit: int = 60) -> str:
    """A one-line, tag-free, escaped excerpt for lists and questions about a post."""
    text = " ".join(re.sub(r"<[^>]+>", "", ann.text).split())
    return html.escape(text if len(text) <= limit else text[: limit - 1] + "…")


# ---------------------------------------------------------------- announcing


async def announce(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/announce [at YYYY-MM-DD HH:MM] TEXT: a preview with Post/Cancel (or Schedule/Cancel)."""
    if not await organiser_only(update, context):
        return
    message = update.effective_message
    if update.effective_chat.type != ChatType.PRIVATE:
        await message.reply_text("Please send /announce to me in a private chat.")
        return
    args = args_html(message)
    if not args:
        context.user_data[PENDING] = True
        await message.reply_text("Send me the announcement text in your next message (or /cancel).")
        return
    await _preview(message, context, args)


async def pending_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The next private message after a bare /announce is the announcement text."""
    if not context.user_data.pop(PENDING, False):
        return
    if await is_organiser(context, update.effective_user.id):
        await _preview(update.effective_message, context, update.effective_message.text_html)
    raise ApplicationHandlerStop


async def cancel_pending(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cancel: forget a bare /announce that was waiting for text."""
    had = context.user_data.pop(PENDING, False)
    await update.effective_message.reply_text("Cancelled." if had else "Nothing to cancel.")


async def _preview(message: Message, context: ContextTypes.DEFAULT_TYPE, args: str) -> None:
    services = get_services(context.bot_data)
    try:
        request = parse_announce_args(args, datetime.now(UTC))
    except ScheduleError as exc:
        await message.reply_text(html.escape(str(exc)))
        return
    ann = services.store.create_draft(request.text, message.from_user.id, request.due_at)
    if request.due_at:
        header = f"<b>Preview #{ann.id}</b>, to post at {format_london(request.due_at)}:"
        markup = _buttons(("Schedule", f"{PREFIX}sched:{ann.id}"), ("Cancel", f"{PREFIX}cancel:{ann.id}"))
    else:
        header = f"<b>Preview #{ann.id}</b>, exactly as it will appear in the channel:"
        markup = _buttons(("Post to channel", f"{PREFIX}post:{ann.id}"),
                          ("Cancel", f"{PREFIX}cancel:{ann.id}"))
    await message.reply_text(header)
    try:
        preview = await message.reply_text(request.text, reply_markup=markup)
    except BadRequest as exc:
        services.store.cancel(ann.id, message.from_user.id)
        await message.reply_text(f"Telegram can't show that text: {html.escape(exc.message)}")
        return
    services.store.set_preview(ann.id, preview.chat_id, preview.message_id)


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Post / Cancel / Schedule / Pin / Post again / It's there — organisers only."""
    query = update.callback_query
    if not await is_organiser(context, query.from_user.id):
        log.info("organiser button refused")
        await query.answer(REFUSAL, show_alert=True)
        return
    await query.answer()
    try:
        _, action, raw_id = query.data.split(":", 2)
        ann_id = int(raw_id)
    except ValueError:
        return
    services = get_services(context.bot_data)
    ann = services.store.get(ann_id)
    if ann is None:
        await query.edit_message_reply_markup(None)
        return
    handler = _ACTIONS.get(action)
    if handler is not None:
        await handler(query.message, context, services, ann, query.from_user.id)


async def _post(message: Message, context: ContextTypes.DEFAULT_TYPE, services: Services,
                ann: Announcement, actor: int) -> None:
    await best_effort(message.edit_reply_markup(None), "removing spent buttons")
    result = await announcer.publish(context.bot, services, ann.id, actor)
    await _report(context, services, result, message.chat_id)


async def _report(context: ContextTypes.DEFAULT_TYPE, services: Services,
                  result: announcer.PublishResult, chat_id: int) -> None:
    """Tell the organiser what happened to a post, and start subscriber delivery."""
    ann = result.announcement
    if ann is None:
        return
    if result.outcome is Outcome.POSTED:
        await context.bot.send_message(
            chat_id, f"✅ #{ann.id} posted to the channel (message id {ann.message_id}).",
            reply_markup=_buttons(("📌 Pin it", f"{PREFIX}pin:{ann.id}")),
        )
        context.application.create_task(announcer.deliver(context.bot, services, ann.id, chat_id))
    elif result.outcome is Outcome.TAKEN:
        await context.bot.send_message(chat_id, f"#{ann.id} is already {ann.state}; nothing more was sent.")
    elif result.outcome is Outcome.FAILED:
        await context.bot.send_message(
            chat_id, f"❌ #{ann.id} was not posted: {html.escape(result.reason)}. Nothing is in the channel.",
            reply_markup=_buttons(("Try again", f"{PREFIX}post:{ann.id}")),
        )
    else:
        await ask_to_check(context.bot, ann, chat_id)


async def ask_to_check(bot: object, ann: Announcement, chat_id: int) -> None:
    """The outcome is unknown: a person checks the channel; the bot never re-posts on its own."""
    await bot.send_message(  # type: ignore[attr-defined]
        chat_id,
        f"⚠️ I can't tell whether #{ann.id} reached the channel (“{short(ann)}”). "
        "Please check the channel, then tell me:",
        reply_markup=_buttons(("It's there", f"{PREFIX}there:{ann.id}"),
                              ("Post again", f"{PREFIX}again:{ann.id}")),
    )


async def _cancel(message: Message, context: ContextTypes.DEFAULT_TYPE, services: Services,
                  ann: Announcement, actor: int) -> None:
    ok = services.store.cancel(ann.id, actor)
    await best_effort(message.edit_reply_markup(None), "removing spent buttons")
    await message.reply_text(f"#{ann.id} cancelled." if ok else f"#{ann.id} is already {ann.state}.")


async def _schedule(message: Message, context: ContextTypes.DEFAULT_TYPE, services: Services,
                    ann: Announcement, actor: int) -> None:
    await best_effort(message.edit_reply_markup(None), "removing spent buttons")
    try:
        ann = services.store.confirm_schedule(ann.id, actor)
    except StoreError:
        await message.reply_text(f"#{ann.id} is already {ann.state}.")
        return
    arm(context.application, ann)
    when = format_london(ann.due_at)
    await message.reply_text(f"🕒 #{ann.id} scheduled for {when}. /scheduled lists the queue.")


async def _pin(message: Message, context: ContextTypes.DEFAULT_TYPE, services: Services,
               ann: Announcement, actor: int) -> None:
    await best_effort(message.edit_reply_markup(None), "removing spent buttons")
    if ann.state != "posted" or ann.message_id is None or ann.channel_id is None:
        await message.reply_text(f"#{ann.id} can't be pinned: it is {ann.state}.")
        return
    await context.bot.pin_chat_message(ann.channel_id, ann.message_id, disable_notification=True)
    await message.reply_text(f"📌 #{ann.id} pinned.")


async def _there(message: Message, context: ContextTypes.DEFAULT_TYPE, services: Services,
                 ann: Announcement, actor: int) -> None:
    await best_effort(message.edit_reply_markup(None), "removing spent buttons")
    try:
        ann = services.store.resolve_uncertain(ann.id, actor, posted=True)
    except StoreError:
        await message.reply_text(f"#{ann.id} is already {ann.state}.")
        return
    services.refresh_announcements()
    await message.reply_text(f"Thanks: #{ann.id} is recorded as posted. Sending it to subscribers now.")
    context.application.create_task(announcer.deliver(context.bot, services, ann.id, message.chat_id))


async def _again(message: Message, context: ContextTypes.DEFAULT_TYPE, services: Services,
                 ann: Announcement, actor: int) -> None:
    await _post(message, context, services, ann, actor)


_ACTIONS = {"post": _post, "cancel": _cancel, "sched": _schedule, "pin": _pin,
            "there": _there, "again": _again}


# ---------------------------------------------------------------- scheduling


def arm(app: Application, ann: Announcement) -> None:
    """Put a scheduled announcement on the JobQueue, named so it can be removed."""
    name = f"announce-{ann.id}"
    for job in app.job_queue.get_jobs_by_name(name):
        job.schedule_removal()
    overdue = ann.due_at is None or ann.due_at <= datetime.now(UTC)
    app.job_queue.run_once(_due, when=0 if overdue else ann.due_at, name=name, data=ann.id,
                           job_kwargs=NO_MISFIRE)


async def _due(context: ContextTypes.DEFAULT_TYPE) -> None:
    """A scheduled post fell due (or was overdue at startup: then it says it is late)."""
    services = get_services(context.bot_data)
    ann = services.store.get(context.job.data)
    if ann is None or ann.state != "scheduled":
        return
    late = ann.due_at is not None and (datetime.now(UTC) - ann.due_at).total_seconds() > 60
    result = await announcer.publish(context.bot, services, ann.id, None, late=late)
    await _report(context, services, result, ann.author_id)


async def restore(app: Application) -> None:
    """At startup: ask about unknown outcomes, re-arm the queue, resume deliveries."""
    services = get_services(app.bot_data)
    store = services.store
    store.recover_after_restart()
    for ann in store.uncertain():
        await ask_to_check(app.bot, ann, ann.author_id)
    for ann in store.scheduled():
        arm(app, ann)  # a past due time runs at once and is marked late
    for ann_id in store.recover_deliveries():
        app.job_queue.run_once(_resume, when=0, data=ann_id, name=f"deliver-{ann_id}",
                               job_kwargs=NO_MISFIRE)


async def _resume(context: ContextTypes.DEFAULT_TYPE) -> None:
    await announcer.deliver(context.bot, get_services(context.bot_data), context.job.data, None)


async def scheduled(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/scheduled: the queue."""
    if not await organiser_only(update, context):
        return
    queue = get_services(context.bot_data).store.scheduled()
    lines = [f"#{a.id} · {format_london(a.due_at)} · {short(a)}" for a in queue]
    await listing(update, "Scheduled", lines, "Nothing is scheduled.")


async def unschedule(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unschedule ID."""
    if not await organiser_only(update, context):
        return
    try:
        ann_id = parse_id(" ".join(context.args or []))
    except ScheduleError as exc:
        await update.effective_message.reply_text(html.escape(str(exc)))
        return
    ok = get_services(context.bot_data).store.unschedule(ann_id, update.effective_user.id)
    for job in context.job_queue.get_jobs_by_name(f"announce-{ann_id}"):
        job.schedule_removal()
    await update.effective_message.reply_text(
        f"#{ann_id} removed from the queue." if ok else f"#{ann_id} is not in the queue."
    )


COMMANDS = {
    "announce": announce,
    "cancel": cancel_pending,
    "scheduled": scheduled,
    "unschedule": unschedule,
}
