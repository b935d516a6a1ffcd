"""Narrowing PTB's Optionals to what a handler's registration guarantees, in one place.

PTB types every part of an update as optional (`update.effective_message`, `query.message`,
`context.job`, `app.job_queue`...), because an Update may be any kind of update. A handler
registered for commands always gets a message; a CallbackQueryHandler always gets a query.
These functions say so once, and raise `MissingPart` (a clear error, not an AttributeError
on None deep inside a handler) if PTB ever hands us something else.
"""

from __future__ import annotations

from typing import Any, TypeVar

from telegram import CallbackQuery, Chat, InlineQuery, Message, Update, User
from telegram.ext import Application, CallbackContext, JobQueue

T = TypeVar("T")


class MissingPart(RuntimeError):
    """An update or context lacks what the handler's registration guarantees: a wiring bug."""


def _part(update: Update, part: T | None, what: str) -> T:
    """`part` of `update`, which the handler's registration guarantees is there."""
    if part is None:
        raise MissingPart(f"update {update.update_id} has no {what}")
    return part


def message_of(update: Update) -> Message:
    """The message of a command or message update (every CommandHandler/MessageHandler's)."""
    return _part(update, update.effective_message, "message")


def user_of(update: Update) -> User:
    """Who sent a command or pressed a button (absent only for channel posts, which we never handle)."""
    return _part(update, update.effective_user, "user")


def chat_of(update: Update) -> Chat:
    """The chat a command came from."""
    return _part(update, update.effective_chat, "chat")


def query_of(update: Update) -> CallbackQuery:
    """The button press of a CallbackQueryHandler's update."""
    return _part(update, update.callback_query, "callback query")


def inline_query_of(update: Update) -> InlineQuery:
    """The `@bot text` of an InlineQueryHandler's update."""
    return _part(update, update.inline_query, "inline query")


def pressed_message(query: CallbackQuery) -> Message:
    """The bot message whose button was pressed, to reply to.

    PTB types it `MaybeInaccessibleMessage | None`, but PTB 22 parses even a message too old
    for Telegram to show a bot (date 0, content withheld) as a `Message`, and every button
    of ours is on a bot message, never an inline one: anything else is a change in PTB.
    """
    message = query.message
    if not isinstance(message, Message):
        raise MissingPart(f"callback query {query.id} has {type(message).__name__}, not a Message")
    return message


def job_queue_of(app: Application[Any, Any, Any, Any, Any, Any]) -> JobQueue[Any]:
    """The application's JobQueue: always there, since we depend on PTB's `job-queue` extra."""
    if app.job_queue is None:
        raise MissingPart("no JobQueue: install python-telegram-bot[job-queue]")
    return app.job_queue


def job_data(context: CallbackContext[Any, Any, Any, Any], kind: type[T]) -> T:
    """The data a JobQueue callback's job was armed with (PTB sets `context.job` for job
    callbacks only, and types its data as `object`)."""
    job = context.job
    if job is None:
        raise MissingPart("a job callback ran without its job")
    if not isinstance(job.data, kind):
        raise MissingPart(f"job {job.name!r} carries {type(job.data).__name__}, not {kind.__name__}")
    return job.data
