"""Scheduled announcements on PTB's JobQueue, and what to pick up again after a restart.

The queue itself is in SQLite; jobs are only its alarm clocks, named `announce-<id>` so
that /unschedule can find and remove them. A post that fell due while the bot was down
goes out when it is back, marked as delayed.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

from telegram import Update
from telegram.ext import Application

from bot.storage import Announcement
from bot.storage.schedule import ScheduleError, parse_id
from bot.tg import announcer
from bot.tg.access import organiser_only
from bot.tg.context import BotContext, off_loop, services_of
from bot.tg.ratelimit import best_effort
from bot.tg.updates import job_data, job_queue_of, message_of, user_of

LATE_AFTER_SECONDS = 60


def arm(app: Application, ann: Announcement) -> None:
    """Put a scheduled announcement on the JobQueue, named so it can be removed."""
    _disarm(app, ann.id)
    due = ann.due_at
    when: float | datetime = due if due is not None and due > datetime.now(UTC) else 0  # overdue: now
    job_queue_of(app).run_once(_due, when=when, name=_job_name(ann.id), data=ann.id,
                               job_kwargs=announcer.NO_MISFIRE)


def _job_name(ann_id: int) -> str:
    return f"announce-{ann_id}"


def _disarm(app: Application, ann_id: int) -> None:
    for job in job_queue_of(app).get_jobs_by_name(_job_name(ann_id)):
        job.schedule_removal()


async def _due(context: BotContext) -> None:
    """A scheduled post fell due (or was overdue at startup: then it says it is late)."""
    services = context.services
    ann = services.store.get(job_data(context, int))
    if ann is None or ann.state != "scheduled":
        return
    late = ann.due_at is not None and (datetime.now(UTC) - ann.due_at).total_seconds() > LATE_AFTER_SECONDS
    result = await announcer.publish(context.bot, services, ann.id, None, late=late)
    await announcer.report(context.application, result, ann.author_id)


async def restore(app: Application) -> None:
    """At startup: ask about unknown outcomes, re-arm the queue, tell organisers about posts
    they never heard of, and finish every posted announcement's delivery."""
    store = services_of(app).store
    await off_loop(store.recover_after_restart)
    for ann in store.uncertain():
        await best_effort(announcer.ask_to_check(app, ann, ann.report_to or ann.author_id),
                          "asking to check the channel")
    for ann in store.scheduled():
        arm(app, ann)  # a past due time runs at once and is marked late
    await off_loop(store.recover_deliveries)  # a DM in flight at the crash is "unknown"
    for ann in store.unreported():
        await best_effort(announcer.confirm_posted(app, ann, ann.report_to or ann.author_id),
                          "confirming a post")
    for ann in store.unfinished_deliveries():
        announcer.start_delivery(app, ann.id, ann.report_to)


async def unschedule(update: Update, context: BotContext) -> None:
    """/unschedule ID."""
    if not await organiser_only(update, context):
        return
    try:
        ann_id = parse_id(" ".join(context.args or []))
    except ScheduleError as exc:
        await message_of(update).reply_text(html.escape(str(exc)))
        return
    ok = await off_loop(context.services.store.unschedule, ann_id, user_of(update).id)
    _disarm(context.application, ann_id)
    await message_of(update).reply_text(
        f"#{ann_id} removed from the queue." if ok
        else f"#{ann_id} is not in the queue. /scheduled lists what is."
    )
