"""Kill -9 at each step around Post, scheduled posts, "It's there" and DM delivery, then restart.

The bot runs as a real child process (`python -m bot run`) against the fake Bot API; the fake
SIGKILLs it when a chosen request arrives, either before Telegram acts on it or after (the
answer is then lost). A second process on the same DATA_DIR must finish the story: every
posted announcement is in the channel once and reaches each subscriber at most once, and
reaches all of them unless the organiser had to be asked to check the channel (then it
does once they answer). Only a DM in flight at the kill may be missing, and the organiser's
report counts it as unknown, never as sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.storage import Store
from tests.support.fakebotapi import FakeBotAPI
from tests.support.harness import CHANNEL, ORGANISER
from tests.support.messages import buttons
from tests.support.process import BotProcess

MEMBERS = (2001, 2002, 2003)  # DMs go out in this order (by chat id)
STRIKE = "Strike on Tuesday 5 November from noon: join the picket"


@dataclass(frozen=True)
class Kill:
    """Where to kill: which flow, at which request, and whether Telegram had acted on it."""

    flow: str  # "post" (the Post button), "scheduled" (the queue), "there" (It's there)
    target: str  # "channel", "confirm", "progress", "dm", "thanks"
    nth: int = 1  # the nth matching request
    performed: bool = False

    def __str__(self) -> str:
        done = "after" if self.performed else "before"
        return f"{self.flow}-{self.target}{self.nth}-{done}"


KILLS = [
    Kill("post", "channel"),
    Kill("post", "channel", performed=True),
    Kill("post", "confirm"),
    Kill("post", "progress"),
    Kill("post", "dm", 1),
    Kill("post", "dm", 1, performed=True),
    Kill("post", "dm", 2, performed=True),
    Kill("post", "dm", 3, performed=True),
    Kill("scheduled", "channel"),
    Kill("scheduled", "channel", performed=True),
    Kill("scheduled", "confirm"),
    Kill("scheduled", "dm", 2),
    Kill("there", "thanks"),
    Kill("there", "dm", 1, performed=True),
]


def _chat(params: dict) -> int:
    return int(params.get("chat_id", 0))


def matches(kill: Kill, method: str, params: dict) -> bool:
    """Is this request the kind the kill point waits for?"""
    if method != "sendMessage":
        return False
    text = str(params.get("text", ""))
    return {
        "channel": _chat(params) == CHANNEL,
        "confirm": _chat(params) == ORGANISER and text.startswith("✅"),
        "progress": _chat(params) == ORGANISER and text.startswith("#1 to subscribers: sent"),
        "thanks": _chat(params) == ORGANISER and text.startswith("Thanks:"),
        "dm": _chat(params) in MEMBERS,
    }[kill.target]


class Killer:
    """The fake's request hook: SIGKILL the child at the kill point, exactly once."""

    def __init__(self, bot: BotProcess, kill: Kill) -> None:
        self.bot, self.kill, self.seen, self.fired = bot, kill, 0, False
        self.victim: int | None = None

    def __call__(self, method: str, params: dict) -> str | None:
        if self.fired or not matches(self.kill, method, params):
            return None
        self.seen += 1
        if self.seen < self.kill.nth:
            return None
        self.fired, self.victim = True, _chat(params)
        self.bot.kill()
        return "drop_after" if self.kill.performed else "drop"


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    api = FakeBotAPI()
    api.add_chat(CHANNEL, "channel", title="Napo announcements")
    async with api:
        yield api


def prepare(data: Path, flow: str) -> None:
    """Subscribers, plus what the flow starts from: a due scheduled post, or an uncertain one."""
    with Store(data / "bot.sqlite3") as store:
        for member in MEMBERS:
            store.subscribe(member)
        if flow == "scheduled":
            ann = store.create_draft(STRIKE, ORGANISER, due_at=datetime.now(UTC) + timedelta(seconds=1))
            store.confirm_schedule(ann.id, ORGANISER)
        elif flow == "there":
            ann = store.create_draft(STRIKE, ORGANISER)
            store.begin_send(ann.id, CHANNEL, ORGANISER)  # died mid-send: the bot must ask


FINISHED = "#1 to subscribers, finished:"  # the delivery report's first words


def organiser_messages(fake: FakeBotAPI, prefix: str) -> list[dict]:
    return [m for m in fake.messages_to(ORGANISER) if m["text"].startswith(prefix)]


def asks(fake: FakeBotAPI) -> list[dict]:
    return organiser_messages(fake, "⚠️ I can't tell whether")


def dms(fake: FakeBotAPI, member: int) -> list[dict]:
    return [m for m in fake.messages_to(member) if STRIKE in m["text"]]


async def start_the_flow(fake: FakeBotAPI, bot: BotProcess, flow: str) -> None:
    """What the organiser does before the kill point."""
    if flow == "post":
        fake.send_text(f"/announce {STRIKE}", user_id=ORGANISER)
        await bot.wait_until(lambda: organiser_messages(fake, STRIKE), "the preview")
        [shown] = organiser_messages(fake, STRIKE)
        fake.press_button(shown, buttons(shown)[0][1], user_id=ORGANISER)
    elif flow == "there":
        await bot.wait_until(lambda: asks(fake), "the question to check the channel")
        fake.press_button(asks(fake)[-1], "a:there:1", user_id=ORGANISER)


@pytest.mark.parametrize("kill", KILLS, ids=str)
async def test_kill_9_then_restart_delivers_each_post_at_most_once(
    kill: Kill, fake: FakeBotAPI, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    prepare(data, kill.flow)
    bot = BotProcess(fake, data)
    killer = Killer(bot, kill)
    fake.on_request = killer
    try:
        await bot.start(wait=kill.flow != "scheduled")  # the queue may fire before the first poll
        await start_the_flow(fake, bot, kill.flow)
        await bot.wait_until(lambda: killer.fired, f"the kill point {kill}")
        assert await bot.wait_dead() != 0
        fake.on_request = None
        asked_before = len(asks(fake))

        await bot.start()
        if kill.target == "channel":  # nobody knows whether it is there: a person decides
            await bot.wait_until(lambda: len(asks(fake)) > asked_before, "the question after restart")
            assert [len(dms(fake, m)) for m in MEMBERS] == [0, 0, 0]  # nothing until they answer
            answer = "there" if kill.performed else "again"
            fake.press_button(asks(fake)[-1], f"a:{answer}:1", user_id=ORGANISER)
        await bot.wait_until(lambda: organiser_messages(fake, FINISHED), "the delivery report", 20)
        await fake.wait_idle(timeout=10)
    finally:
        await bot.stop()

    in_channel = [m for m in fake.messages_to(CHANNEL) if STRIKE in m["text"]]
    # In the "there" flow the bot had never sent it: the organiser's word is what counts.
    assert len(in_channel) == (0 if kill.flow == "there" else 1), "posted at most once"
    got = {m: len(dms(fake, m)) for m in MEMBERS}
    unknown = {killer.victim} if kill.target == "dm" else set()
    assert all(n <= 1 for n in got.values()), f"a member got a DM twice: {got}"
    assert all(got[m] == 1 for m in MEMBERS if m not in unknown), f"a member was left out: {got}"
    thanked = organiser_messages(fake, "Thanks: #1 is recorded as posted")
    told = organiser_messages(fake, "✅ #1 posted to the channel")
    assert told or thanked, "the organiser was never told"
    if told and kill.flow != "there":  # "It's there" gives no message id to pin
        assert buttons(told[-1]) == [("📌 Pin it", "a:pin:1")]
    [report] = organiser_messages(fake, FINISHED)
    sent = len(MEMBERS) - len(unknown)
    assert report["text"].startswith(f"{FINISHED} sent {sent} of {len(MEMBERS)}.")
    assert ("1 unknown" in report["text"]) == bool(unknown)
    with Store(data / "bot.sqlite3") as store:
        assert store.get(1).state == "posted"  # type: ignore[union-attr]
        assert store.unfinished_deliveries() == [] and store.unreported() == []
