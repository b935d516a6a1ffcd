"""An organiser's side of a conversation with the bot, for end-to-end tests: say, press, post.

Each helper acts through the fake Bot API and waits for exactly the replies it expects, so
a test fails on one reply too many as well as one too few.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from zoneinfo import ZoneInfo

from tests.support.fakebotapi import FakeBotAPI
from tests.support.harness import ORGANISER

STRIKE = "Strike starts at noon on Tuesday 5 November"
LONDON = ZoneInfo("Europe/London")



async def eventually(fake: FakeBotAPI, predicate: Callable[[], bool], what: str,
                     timeout: float = 5.0) -> None:
    """Poll briefly for something that changes without a new message (edits, state)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n{fake.debug_summary()}")
        await asyncio.sleep(0.02)


async def new_messages(fake: FakeBotAPI, chat_id: int, action: Callable[[], object], n: int) -> list[dict]:
    """Do `action`, wait for exactly `n` new bot messages in `chat_id`, and return them."""
    before = len(fake.messages_to(chat_id))
    action()
    if n:
        await fake.wait_for_sent(before + n, chat_id=chat_id, timeout=5)
    await fake.wait_idle(timeout=5)
    new = fake.messages_to(chat_id)[before:]
    assert len(new) == n, [m.get("text") for m in new]
    return new


async def say(fake: FakeBotAPI, text: str, user: int = ORGANISER, n: int = 1, **extra: object) -> list[dict]:
    """`user` sends `text` in their private chat; returns the bot's `n` replies."""
    return await new_messages(fake, user, lambda: fake.send_text(text, user_id=user, **extra), n)


async def press(fake: FakeBotAPI, message: dict, data: str, user: int = ORGANISER, n: int = 1,
                check: bool = True) -> tuple[list[dict], dict]:
    """`user` presses a button; returns the bot's new messages in that chat and the query's answer."""
    query_id: list[str] = []

    def act() -> None:
        update = fake.press_button(message, data, user_id=user, check=check)
        query_id.append(update["callback_query"]["id"])

    new = await new_messages(fake, message["chat"]["id"], act, n)
    await eventually(fake, lambda: query_id[0] in fake.callback_answers, "answerCallbackQuery")
    return new, fake.callback_answers[query_id[0]]


def bold(text: str, word: str) -> dict:
    return {"type": "bold", "offset": text.index(word), "length": len(word)}


def command(text: str) -> list[dict]:
    """Telegram's bot_command entity for a message that starts with /command."""
    return [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]


async def preview(fake: FakeBotAPI, text: str, user: int = ORGANISER) -> tuple[int, dict]:
    """/announce TEXT (plain); returns the announcement id and the preview message."""
    header, shown = await say(fake, f"/announce {text}", user=user, n=2)
    assert header["text"].startswith("Preview #")
    ann_id = int(header["text"].split("#", 1)[1].split(",", 1)[0])
    return ann_id, shown


async def post(fake: FakeBotAPI, text: str, subscribers: int = 0) -> tuple[int, dict]:
    """Announce and post `text`; returns the id and the organiser's confirmation."""
    ann_id, shown = await preview(fake, text)
    replies, _ = await press(fake, shown, f"a:post:{ann_id}", n=2 if subscribers else 1)
    assert replies[0]["text"].startswith(f"✅ #{ann_id} posted"), replies[0]["text"]
    return ann_id, replies[0]
