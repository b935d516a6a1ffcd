"""Posting announcements to the channel and delivering them to subscribers, through the outbox.

The order never changes: record the intent (SQLite), send, record the channel message id.
Errors are sorted by what they tell us about Telegram:
- it answered "no" (400/403): the post is definitely not there, back to draft;
- it answered "later" (429) or "broken" (5xx), or we never reached it: safe to retry;
- the connection died after the request left: nobody knows, so a person decides.
"""

from __future__ import annotations

import asyncio
import enum
import html
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from telegram import Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ExtBot

from bot.answers.announcements import excerpt
from bot.storage import Announcement, DeliveryCounts
from bot.storage.schedule import format_london
from bot.tg import keyboards
from bot.tg.context import BotContext, Services, off_loop, services_of
from bot.tg.ratelimit import AT_MOST_ONCE, best_effort, never_reached_telegram
from bot.tg.textlimits import fits, subscriber_messages
from bot.tg.updates import job_data, job_queue_of

log = logging.getLogger(__name__)

SEND_ATTEMPTS = 5
FIRST_BACKOFF = 0.5
PROGRESS_EVERY = 3.0  # seconds between progress edits, to stay well inside edit limits
BATCH = 200
# Jobs armed in post_init run only once polling has begun (a network round trip later);
# APScheduler's default one-second grace would silently skip them.
NO_MISFIRE = {"misfire_grace_time": None}
NO_SUBSCRIBERS = " Nobody has subscribed to private messages yet, so no DMs are sent."


class Outcome(enum.Enum):
    POSTED = "posted"
    TAKEN = "taken"  # another path (double tap, scheduled job) already has it
    FAILED = "failed"  # Telegram refused; nothing was posted
    UNCERTAIN = "uncertain"  # may or may not be in the channel: ask a person


@dataclass(frozen=True)
class PublishResult:
    outcome: Outcome
    announcement: Announcement | None = None
    reason: str = ""


def _at_most_once(bot: ExtBot[Any]) -> dict[str, Any] | None:
    """`rate_limit_args` asking the rate limiter (if any) never to repeat a send whose outcome
    is unknown. ExtBot[Any]: our limiter takes AT_MOST_ONCE as well as AIORateLimiter's int,
    which PTB's generics cannot say (AIORateLimiter fixes its argument type to int)."""
    return AT_MOST_ONCE if bot.rate_limiter is not None else None


def _retry_delay(error: RetryAfter) -> float:
    after = error.retry_after
    return after.total_seconds() if hasattr(after, "total_seconds") else float(after)


def channel_text(ann: Announcement, late: bool) -> str:
    """The post as it appears in the channel; a late one says when it was due (if that fits)."""
    if late and ann.due_at:
        marked = f"{ann.text}\n\n<i>Delayed post: scheduled for {format_london(ann.due_at)}.</i>"
        if fits(marked):
            return marked
    return ann.text


async def publish(bot: ExtBot[Any], services: Services, ann_id: int, actor_id: int | None,
                  late: bool = False, check_message_id: int | None = None) -> PublishResult:
    """Post one announcement to the channel at most once; the outbox row says what happened.

    `check_message_id`: the "please check" message whose Post again was pressed.
    """
    store, channel = services.store, services.settings.announce_channel_id
    if channel is None:
        return PublishResult(Outcome.FAILED, store.get(ann_id), "ANNOUNCE_CHANNEL_ID is not set")
    if not await off_loop(store.begin_send, ann_id, channel, actor_id, late, check_message_id):
        return PublishResult(Outcome.TAKEN, store.get(ann_id))
    ann = store.get(ann_id)
    assert ann is not None
    text = channel_text(ann, late)
    backoff = FIRST_BACKOFF
    for _ in range(SEND_ATTEMPTS):
        try:
            message = await bot.send_message(channel, text, rate_limit_args=_at_most_once(bot))
        except RetryAfter as exc:
            await asyncio.sleep(_retry_delay(exc))
        except (BadRequest, Forbidden) as exc:
            await off_loop(store.mark_send_failed, ann_id, exc.message)
            log.warning("announcement %d refused by Telegram: %s", ann_id, exc.message)
            return PublishResult(Outcome.FAILED, store.get(ann_id), exc.message)
        except NetworkError as exc:
            if not never_reached_telegram(exc):
                log.warning("announcement %d: outcome unknown (%s)", ann_id,
                            type(exc.__cause__).__name__)
                return PublishResult(Outcome.UNCERTAIN,
                                     await off_loop(store.mark_uncertain, ann_id, str(exc)))
            await asyncio.sleep(backoff)
            backoff *= 2
        else:
            # Recording the post starts its delivery in the same transaction (see Outbox).
            posted = await off_loop(store.mark_posted, ann_id, message.message_id,
                                    message.date or datetime.now(UTC))
            log.info("announcement %d posted as channel message %d", ann_id, message.message_id)
            return PublishResult(Outcome.POSTED, posted)
    await off_loop(store.mark_send_failed, ann_id, "Telegram could not be reached")
    reason = "Telegram could not be reached; nothing was posted"
    return PublishResult(Outcome.FAILED, store.get(ann_id), reason)


async def _dm(bot: ExtBot[Any], chat_id: int, parts: list[str]) -> str:
    """One subscriber's DM (one or more messages), at most once.

    Returns sent, failed, blocked, or unknown: the connection died after a request left, so
    nobody knows whether it arrived, and it is neither repeated nor counted as sent.
    """
    for part in parts:
        outcome = await _send_once(bot, chat_id, part)
        if outcome != "sent":
            return outcome
    return "sent"


async def _send_once(bot: ExtBot[Any], chat_id: int, text: str) -> str:
    """One message, retried only while Telegram certainly did not act on it."""
    backoff = FIRST_BACKOFF
    for _ in range(SEND_ATTEMPTS):
        try:
            await bot.send_message(chat_id, text, rate_limit_args=_at_most_once(bot))
            return "sent"
        except RetryAfter as exc:
            await asyncio.sleep(_retry_delay(exc))
        except Forbidden:
            return "blocked"  # they blocked the bot: forget them
        except BadRequest as exc:
            return "blocked" if "chat not found" in exc.message.lower() else "failed"
        except NetworkError as exc:
            if not never_reached_telegram(exc):
                return "unknown"
            await asyncio.sleep(backoff)
            backoff *= 2
    return "failed"


async def deliver(bot: ExtBot[Any], services: Services, ann_id: int,
                  report_to: int | None) -> DeliveryCounts | None:
    """DM a posted announcement to every subscriber once, resuming where a restart left off,
    and tell the organiser how it went: sent, failed, blocked, unknown."""
    store = services.store
    ann = store.get(ann_id)
    if ann is None or ann.state != "posted":
        return None
    await off_loop(store.start_delivery, ann_id)  # already started by the post; kept for old rows
    union = services.engine.kb.texts.union
    text = ann.text
    parts = subscriber_messages(text, union)
    progress: Message | None = None
    counts = store.delivery_counts(ann_id)
    if report_to is not None and counts.total:
        try:
            progress = await bot.send_message(report_to, _progress(ann_id, counts))
        except TelegramError as exc:
            log.info("progress message skipped: %s", type(exc).__name__)
    last = time.monotonic()
    while batch := store.next_pending(ann_id, BATCH):
        for chat_id in batch:
            if await off_loop(store.claim_delivery, ann_id, chat_id):
                current = store.get(ann_id)  # an /edit while DMs go out reaches those not yet sent
                if current is not None and current.text != text:
                    text = current.text
                    parts = subscriber_messages(text, union)
                outcome = await _dm(bot, chat_id, parts)
                if outcome == "blocked":
                    await off_loop(store.delivery_blocked, ann_id, chat_id)
                else:
                    await off_loop(store.finish_delivery, ann_id, chat_id, outcome)
            if progress is not None and time.monotonic() - last > PROGRESS_EVERY:
                counts = store.delivery_counts(ann_id)
                await best_effort(progress.edit_text(_progress(ann_id, counts)), "progress edit")
                last = time.monotonic()
    counts = store.delivery_counts(ann_id)
    if progress is not None:
        await best_effort(progress.edit_text(_progress(ann_id, counts, finished=True)), "progress edit")
    latest = store.get(ann_id)  # rows are never removed: None would be a caller's wrong id
    if latest is not None and latest.state == "posted":
        await off_loop(store.mark_delivery_done, ann_id)
    log.info("announcement %d delivered: %d sent, %d failed, %d blocked, %d unknown, %d pending",
             ann_id, counts.sent, counts.failed, counts.blocked, counts.unknown, counts.pending)
    return counts


def _progress(ann_id: int, counts: DeliveryCounts, finished: bool = False) -> str:
    """The organiser's view (which post: two deliveries may run at once): only a DM Telegram
    accepted counts as sent."""
    state = f"#{ann_id} to subscribers, finished: sent" if finished else f"#{ann_id} to subscribers: sent"
    text = f"{state} {counts.sent:,} of {counts.total:,}."
    extras = [f"{n:,} {what}" for n, what in (
        (counts.failed, "failed"),
        (counts.blocked, "blocked the bot (removed)"),
        (counts.unknown, "unknown: interrupted by a restart, not sent again"),
        (counts.pending if finished else 0, "not sent: the post was deleted"),
    ) if n]
    return text + (" " + "; ".join(extras) + "." if extras else "")


def start_delivery(app: Application, ann_id: int, report_to: int | None) -> None:
    """The one way a delivery starts: after a post, after "It's there", and after a restart."""
    job_queue_of(app).run_once(_deliver_job, when=0, data=(ann_id, report_to), name=f"deliver-{ann_id}",
                               job_kwargs=NO_MISFIRE)


async def _deliver_job(context: BotContext) -> None:
    ann_id, report_to = job_data(context, tuple)
    await deliver(context.bot, context.services, ann_id, report_to)


def already(ann: Announcement) -> str:
    """The answer to a button or command that came too late for this announcement."""
    return f"#{ann.id} is already {ann.state}"


async def report(app: Application, result: PublishResult, chat_id: int) -> None:
    """Tell the organiser what happened to a post, and start subscriber delivery."""
    ann, bot = result.announcement, app.bot
    if ann is None:
        return
    if result.outcome is Outcome.POSTED:
        try:
            await confirm_posted(app, ann, chat_id)
        finally:  # delivery was recorded with the post: it goes ahead whatever happens here
            start_delivery(app, ann.id, chat_id)
    elif result.outcome is Outcome.TAKEN:
        await bot.send_message(chat_id, f"{already(ann)}; nothing more was sent.")
    elif result.outcome is Outcome.FAILED:
        # Without a channel, Try again could never work: the reason says what to set.
        retry = services_of(app).settings.announce_channel_id is not None
        await bot.send_message(
            chat_id, f"❌ #{ann.id} was not posted: {html.escape(result.reason)}. Nothing is in the channel.",
            reply_markup=keyboards.announcement(ann.id, ("Try again", "post")) if retry else None,
        )
    else:
        await ask_to_check(app, ann, chat_id)


async def confirm_posted(app: Application, ann: Announcement, chat_id: int) -> None:
    """Tell the organiser the post is in the channel, with a Pin button; a restarted bot
    calls this for every post whose organiser was never told."""
    where = f" (message id {ann.message_id})" if ann.message_id is not None else ""
    # With subscribers, a progress message follows; without, say so rather than nothing.
    nobody = "" if services_of(app).store.delivery_counts(ann.id).total else NO_SUBSCRIBERS
    await app.bot.send_message(
        chat_id, f"✅ #{ann.id} posted to the channel{where}.{nobody}",
        reply_markup=keyboards.announcement(ann.id, ("📌 Pin it", "pin")) if ann.is_live else None,
    )
    await off_loop(services_of(app).store.mark_reported, ann.id)


async def ask_to_check(app: Application, ann: Announcement, chat_id: int) -> None:
    """The outcome is unknown: a person checks the channel; the bot never re-posts on its own.
    Only this newest question's Post again can send it again."""
    asked = await app.bot.send_message(
        chat_id,
        f"⚠️ I can't tell whether #{ann.id} reached the channel (“{excerpt(ann.text)}”). "
        "Please check the channel, then tell me:",
        reply_markup=keyboards.announcement(ann.id, ("It's there", "there"), ("Post again", "again")),
    )
    await off_loop(services_of(app).store.set_check_message, ann.id, asked.message_id)
