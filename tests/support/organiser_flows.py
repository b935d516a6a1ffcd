"""An organiser's announcements in end-to-end tests: preview and post, on top of `dialogue`."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.support.dialogue import press, say
from tests.support.fakebotapi import FakeBotAPI
from tests.support.harness import ORGANISER

STRIKE = "Strike starts at noon on Tuesday 5 November"
LONDON = ZoneInfo("Europe/London")


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


async def schedule(fake: FakeBotAPI, text: str, days: int = 2) -> int:
    """/announce TEXT at noon (London) `days` ahead, then Schedule; returns the id."""
    when = (datetime.now(LONDON) + timedelta(days=days)).strftime("%Y-%m-%d 12:00")
    ann_id, shown = await preview(fake, f"at {when} {text}")
    await press(fake, shown, f"a:sched:{ann_id}")
    return ann_id
