"""FakeBotAPI: the fake's state, lifecycle, observation and waits.

The HTTP side lives in :mod:`.http` and :mod:`.dispatch`, the Bot API methods in
:mod:`.methods`, update injection in :mod:`.updates`; this class ties them to one set
of chats, messages and queues.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import Callable
from typing import Any

from tests.support.fakebotapi.dispatch import Dispatcher, Fault, RequestHook
from tests.support.fakebotapi.http import Connection
from tests.support.fakebotapi.methods import BotAPIMethods
from tests.support.fakebotapi.updates import UpdateInjection

TOKEN = "123456:TEST-fake-token"


class FakeBotAPI(UpdateInjection, BotAPIMethods, Dispatcher):
    """In-process fake of the Telegram Bot API for end-to-end tests of a PTB bot.

    Why: running the real ``Application`` against a real HTTP server catches bugs that
    mocks hide (encoding, retries, error mapping, update acknowledgement).

    Observing: ``calls`` (successful calls, in order), ``sent`` (Messages the bot created,
    updated in place on edits), ``errors`` (every error answer incl. injected ones, as
    dicts with method/params/status/description/injected/time (time.monotonic())),
    ``deleted``, ``arrived`` (requests counted on arrival, e.g. a long poll still open),
    ``callback_answers``, ``inline_answers``, ``inline_buttons``, ``updates_log``.

    Configuring: ``blocked_users`` (403 on sendMessage), ``chat_admins`` (chat id -> user
    ids, owner first), ``channels`` (chat id -> title), :meth:`add_chat`, :meth:`fail_next`.

    Only the methods the bot uses exist (see :mod:`.methods`); others answer 404. No
    media, file uploads or downloads, webhooks or inline-message edits. parse_mode
    MarkdownV2/Markdown answer 400 with a description saying the fake lacks them.
    Auto-detected entities (url/email/bot_command/mention/hashtag) are a simplification
    of tdlib's (no bare domains, cashtags or phone numbers).
    """

    def __init__(
        self,
        token: str = TOKEN,
        bot_username: str = "napo_test_bot",
        *,
        bot_first_name: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        first_update_id: int = 1,
    ) -> None:
        """Create the fake; nothing listens until :meth:`start`.

        ``port`` 0 lets the OS choose; ``first_update_id`` is where update numbering starts
        (Telegram restarts it at a random value after a week without updates).
        """
        self.token = token
        self.host = host
        self.port = port
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else 123456
        first_name = bot_first_name or " ".join(
            part.capitalize() for part in bot_username.removesuffix("_bot").split("_") if part
        )
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": first_name or "Bot",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

        # --- observation
        self.calls: list[tuple[str, dict]] = []
        self.sent: list[dict] = []
        self.errors: list[dict] = []
        self.deleted: set[tuple[int, int]] = set()
        self.callback_answers: dict[str, dict] = {}
        self.inline_answers: dict[str, list[dict]] = {}
        self.inline_buttons: dict[str, dict] = {}  # answerInlineQuery's button, by query id
        self.updates_log: list[dict] = []
        self.internal_errors: list[BaseException] = []
        self.arrived: Counter[str] = Counter()  # requests by lower-cased method, as they arrive

        # --- configuration
        self.blocked_users: set[int] = set()
        self.chat_admins: dict[int, list[int]] = {}
        self.channels: dict[int, str] = {}
        self.users: dict[int, dict] = {}
        self.chats: dict[int, dict] = {}

        # --- state
        self._updates: list[dict] = []
        self._next_update_id = first_update_id
        self._messages: dict[int, dict[int, dict]] = {}
        self._next_message_id: dict[int, int] = {}
        self._open_callback_queries: set[str] = set()
        self._open_inline_queries: set[str] = set()
        self._next_query_id = 1
        self._faults: list[Fault] = []
        self.on_request: RequestHook | None = None
        self._inflight: Counter[str] = Counter()
        self._poll_waiter: asyncio.Future[str] | None = None
        self._changed = asyncio.Event()
        self._server: asyncio.AbstractServer | None = None
        self._connections: set[Connection] = set()
        self._register_methods()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Listen on ``host`` with an OS-chosen port (read it from ``base_url``)."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: Connection(self._handle_http, self._connections), self.host, self.port
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close the listener and every connection; raise if the fake itself crashed.

        Why raise: a bug in the fake shows up to PTB as a 500 and would otherwise be
        mistaken for bot behaviour.
        """
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result("stop")
        if self._server is not None:
            self._server.close()
        conns = list(self._connections)
        for conn in conns:
            conn.abort()
        tasks = [c.task for c in conns if c.task is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None
        if self.internal_errors:
            errors, self.internal_errors = self.internal_errors, []
            raise AssertionError(f"FakeBotAPI crashed while serving: {errors!r}")

    async def __aenter__(self) -> FakeBotAPI:
        """``async with FakeBotAPI() as api`` starts and stops the server."""
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Stop the server."""
        await self.stop()

    @property
    def base_url(self) -> str:
        """Value for ``ApplicationBuilder.base_url`` (PTB appends token and method)."""
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``ApplicationBuilder.base_file_url`` (PTB requires one; nothing is served)."""
        return f"http://{self.host}:{self.port}/file/bot"

    # ------------------------------------------------------------------ observing

    def messages_to(self, chat_id: int, *, include_deleted: bool = True) -> list[dict]:
        """Messages the bot created in ``chat_id`` (current state, in order)."""
        return [
            m
            for m in self.sent
            if m["chat"]["id"] == chat_id
            and (include_deleted or (chat_id, m["message_id"]) not in self.deleted)
        ]

    def calls_to(self, method: str) -> list[dict]:
        """Params of every successful call of ``method`` (case-insensitive)."""
        wanted = method.lower()
        return [params for name, params in self.calls if name.lower() == wanted]

    @property
    def pending_updates(self) -> list[dict]:
        """Updates queued but not yet acknowledged by an ``offset``."""
        return list(self._updates)

    def is_deleted(self, message: dict) -> bool:
        """Whether the bot deleted this message."""
        return (message["chat"]["id"], message["message_id"]) in self.deleted

    async def wait_for_sent(
        self, count: int = 1, chat_id: int | None = None, timeout: float = 5.0
    ) -> list[dict]:
        """Wait until at least ``count`` bot messages exist (in ``chat_id`` if given)."""

        def matching() -> list[dict]:
            """Bot messages counted by this wait."""
            return [m for m in self.sent if chat_id is None or m["chat"]["id"] == chat_id]

        where = f" to chat {chat_id}" if chat_id is not None else ""
        await self._wait_until(
            lambda: len(matching()) >= count,
            timeout,
            lambda: f"expected >= {count} sent messages{where}, got {len(matching())}",
        )
        return matching()

    async def wait_for_call(self, method: str, count: int = 1, timeout: float = 5.0) -> list[dict]:
        """Wait until ``method`` succeeded at least ``count`` times; returns their params."""
        await self._wait_until(
            lambda: len(self.calls_to(method)) >= count,
            timeout,
            lambda: f"expected >= {count} {method} calls, got {len(self.calls_to(method))}",
        )
        return self.calls_to(method)

    async def wait_idle(self, timeout: float = 5.0, settle: float = 0.05) -> None:
        """Wait until every queued update was acknowledged and no request except the
        long poll is in flight, continuously for ``settle`` seconds.

        Why the settle time: PTB acknowledges an update (next getUpdates) before its
        handler necessarily reached the network, so a single observation could be
        premature. Handlers that sleep or do slow non-HTTP work need ``wait_for_sent``.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        idle_since: float | None = None
        while True:
            now = loop.time()
            busy = {m: c for m, c in self._inflight.items() if c and m != "getupdates"}
            if not self._updates and not busy:
                if idle_since is None:
                    idle_since = now
                elif now - idle_since >= settle:
                    return
            else:
                idle_since = None
            if now >= deadline:
                raise AssertionError(
                    f"FakeBotAPI not idle after {timeout}s: {len(self._updates)} unacknowledged "
                    f"updates, in flight {busy}\n{self.debug_summary()}"
                )
            await asyncio.sleep(0.005)

    def debug_summary(self, last: int = 15) -> str:
        """Human-readable recent history, used in timeout assertion messages."""
        calls = [(m, p) for m, p in self.calls if m != "getUpdates"][-last:]
        lines = ["recent calls (getUpdates omitted):"]
        lines += [f"  {m} {json.dumps(p, default=str, ensure_ascii=False)[:200]}" for m, p in calls]
        lines.append("recent errors:")
        lines += [f"  {e['method']} -> {e['status']} {e['description']}" for e in self.errors[-last:]]
        lines.append(f"pending updates: {[u['update_id'] for u in self._updates]}")
        return "\n".join(lines)

    # ------------------------------------------------------------------ internals

    def _wake_poll(self) -> None:
        """A new update is queued: answer the waiting long poll and wake the waiters."""
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result("update")
        self._notify()

    def _notify(self) -> None:
        """Wake every ``_wait_until``; a fresh event avoids lost wake-ups."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_until(
        self, predicate: Callable[[], bool], timeout: float, describe: Callable[[], str]
    ) -> None:
        """Wait for ``predicate`` re-checking on every state change."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._changed
            if predicate():
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout}s: {describe()}\n{self.debug_summary()}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def _alloc_message_id(self, chat_id: int) -> int:
        """Message ids are per chat and shared by the bot and the users, like Telegram."""
        next_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = next_id + 1
        return next_id

    def _store(self, message: dict) -> None:
        """Remember a message so edits, deletes, replies and buttons can find it."""
        self._messages.setdefault(message["chat"]["id"], {})[message["message_id"]] = message

    def _lookup(self, chat_id: int, message_id: int) -> dict | None:
        """Current stored version of a message (None if unknown or deleted)."""
        return self._messages.get(chat_id, {}).get(message_id)
