"""Talking to the running bot through the fake Bot API: send, press, and collect exactly the replies."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from tests.support.fakebotapi import FakeBotAPI
from tests.support.harness import ORGANISER


async def eventually(fake: FakeBotAPI, predicate: Callable[[], bool], what: str,
                     timeout: float = 5.0) -> None:
    """Poll briefly for something that changes without a new message (answers, state)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{fake.debug_summary()}")
        await asyncio.sleep(0.02)


async def replies(fake: FakeBotAPI, chat_id: int, action: Callable[[], object], n: int) -> list[dict]:
    """Do `action`, wait for exactly `n` new bot messages in `chat_id`, and return them."""
    before = len(fake.messages_to(chat_id))
    action()
    if n:
        await fake.wait_for_sent(before + n, chat_id=chat_id, timeout=10)
    await fake.wait_idle(timeout=10)
    new = fake.messages_to(chat_id)[before:]
    assert len(new) == n, [m.get("text") for m in new]
    return new


async def say(fake: FakeBotAPI, text: str, user: int = ORGANISER, n: int = 1, **extra: object) -> list[dict]:
    """`user` sends `text` in their private chat (`extra`: e.g. entities); returns the `n` replies."""
    return await replies(fake, user, lambda: fake.send_text(text, user_id=user, **extra), n)


def with_bold(text: str, word: str) -> dict[str, object]:
    """Message fields for a /command whose `word` the member made bold in their client."""
    return {"entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])},
                         {"type": "bold", "offset": text.index(word), "length": len(word)}]}


async def press(fake: FakeBotAPI, message: dict, data: str, user: int = ORGANISER, n: int = 1,
                check: bool = True, old: bool = False) -> tuple[list[dict], dict]:
    """`user` presses a button (`old`: on a message Telegram no longer shows the bot); returns
    the new messages in that chat and the query's answer."""
    query_id: list[str] = []

    def act() -> None:
        update = fake.press_button(message, data, user_id=user, check=check, old=old)
        query_id.append(update["callback_query"]["id"])

    new = await replies(fake, message["chat"]["id"], act, n)
    await eventually(fake, lambda: query_id[0] in fake.callback_answers, "answerCallbackQuery")
    return new, fake.callback_answers[query_id[0]]
