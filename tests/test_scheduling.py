"""/unschedule through the real bot (the queue's restarts are in test_organisers)."""

from __future__ import annotations

from tests.support.dialogue import say
from tests.support.fakebotapi import FakeBotAPI
from tests.support.harness import RunningBot
from tests.support.organiser_flows import STRIKE, schedule


async def test_unscheduling_what_is_not_queued_points_to_the_queue(fake: FakeBotAPI, bot: RunningBot) -> None:
    """It used to say only "not in the queue", leaving the organiser to guess the number."""
    [missing] = await say(fake, "/unschedule 999")
    assert missing["text"] == "#999 is not in the queue. /scheduled lists what is."
    assert await schedule(fake, STRIKE) == 1
    [removed] = await say(fake, "/unschedule 1")
    assert removed["text"] == "#1 removed from the queue."
    [again] = await say(fake, "/unschedule 1")
    assert again["text"] == "#1 is not in the queue. /scheduled lists what is."
