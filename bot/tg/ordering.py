"""Members are answered side by side; each chat's updates still run in the order they came.

PTB processes one update at a time by default: every member's question then waits for
the previous member's reply to reach Telegram and come back (a round trip of tens of
milliseconds), and a reply that AIORateLimiter holds back for a 429's `retry_after` holds
every other member back with it. PTB's own concurrent processing fixes that, but runs two
updates of the same chat in either order, and our conversations (an organiser's
/announce, then its text, then Post) rely on their order: ConversationHandler's docs warn
against it.

So updates run concurrently, except that those of one chat (or, without a chat, of one
user: inline queries) wait for each other, first come first served. A member who floods
the bot waits behind their own messages, not anyone else's. And an update that is quick
runs alone, as before: overlapping quick ones only costs more connections.

Measured (bench/bench_bot.py --rtt 50, a 50 ms round trip to the Bot API): 47 answers a
second against 16 one at a time with a 20 ms handoff (below), 106-116 at 2 ms.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Hashable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# Updates running at once, one chat's at a time: the rate limiter, not this, holds the bot
# to the 30 messages a second Telegram allows. More cost more than they give: each needs
# its own connection, and with 256 at once (and no handoff, below) the benchmark's rate
# halved, as httpx searched a pool of idle connections for each request.
MAX_RUNNING = 8
# Updates taken in at once, running or waiting their turn (PTB's semaphore): a waiting one
# costs a coroutine, and holds no running place while its chat is busy.
MAX_WAITING = 256
# How long an update runs alone before the next may start. Answering is synchronous work on
# the event loop, so an update first lets the loop run when it sends its reply: the turn
# passes on once it has waited that long for something, i.e. for the network, not for a
# thread's quick database write (well under a millisecond). Quick updates then still run
# one after another, and the bot computes the next answer while a reply is on its way.
# Measured with the bot in a process of its own (bench/bench_bot.py): at 20 ms, replies that
# take 50 ms capped the bot at 1/HANDOFF = 50 answers a second (47 measured; 106-120 at
# 2 ms), and with no round trip it sat idle while each reply crossed the loopback: on the
# practice set's wording 108-133 answers a second against 125-139 at 2 ms (dev: the same).
HANDOFF = 0.002


def ordering_key(update: object) -> Hashable:
    """What an update must wait its turn within: its chat, else its user, else everything."""
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
    return ("other",)


class PerChatOrder(BaseUpdateProcessor):
    """Concurrent across chats once an update takes longer than `handoff`; in arrival order
    within one chat (asyncio.Lock is first come, first served, and PTB starts the updates'
    tasks in arrival order)."""

    def __init__(self, running: int = MAX_RUNNING, waiting: int = MAX_WAITING,
                 handoff: float = HANDOFF) -> None:
        super().__init__(waiting)
        self._running = asyncio.Semaphore(running)
        self.handoff = handoff
        self._turn = asyncio.Lock()  # held by the update that started last, for up to `handoff`
        # One lock per chat with updates in progress, and how many updates hold or await it;
        # a chat's lock is dropped when its last update is done, so the map stays small.
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for this chat's earlier updates, then for a running place, then run, holding
        the turn until the update ends or `handoff` seconds pass."""
        key = ordering_key(update)
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        task: asyncio.Future[Any] | None = None
        try:
            async with lock, self._running:
                async with self._turn:
                    task = asyncio.ensure_future(coroutine)
                    await asyncio.wait({task}, timeout=self.handoff)
                await task
        except asyncio.CancelledError:
            if task is not None:
                task.cancel()
            raise
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    @property
    def chats_in_progress(self) -> int:
        """Chats with an update running or waiting (for tests: the map must empty again)."""
        return len(self._locks)

    async def initialize(self) -> None:
        """Nothing to set up: locks are made as chats need them."""

    async def shutdown(self) -> None:
        """Nothing to free: PTB has waited for the updates in progress."""
