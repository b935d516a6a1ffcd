"""/edit and /delete through the real bot: what the organiser hears of subscribers' copies, and
refusals that name the command listing the right numbers."""

from __future__ import annotations

import pytest

from tests.support.dialogue import eventually, press, say
from tests.support.fakebotapi import FakeBotAPI
from tests.support.harness import CHANNEL, MEMBER, RunningBot
from tests.support.organiser_flows import STRIKE, post, preview, schedule

EDITED = "Strike starts at 1pm on Tuesday 5 November"


@pytest.mark.parametrize("members, copies", [
    ((MEMBER,), "The 1 copy already sent by private message is unchanged."),
    ((MEMBER, 1002), "The 2 copies already sent by private message are unchanged."),
])
async def test_edit_and_delete_say_the_copies_sent_by_dm_are_unchanged(
    fake: FakeBotAPI, bot: RunningBot, members: tuple[int, ...], copies: str
) -> None:
    """The channel post changes but subscribers' DMs do not, and the organiser used to hear
    nothing of them."""
    for member in members:
        await say(fake, "/subscribe", user=member)
    ann_id, _ = await post(fake, STRIKE, subscribers=len(members))
    store = bot.services.store
    await eventually(fake, lambda: store.delivery_counts(ann_id).sent == len(members), "the DMs")
    await fake.wait_idle()

    [edited] = await say(fake, f"/edit {ann_id} {EDITED}")
    assert edited["text"] == f"✏️ #{ann_id} edited in the channel. {copies}"
    assert fake.messages_to(CHANNEL)[0]["text"] == EDITED
    [deleted] = await say(fake, f"/delete {ann_id}")
    assert deleted["text"] == f"🗑 #{ann_id} deleted from the channel. {copies}"
    for member in members:  # what the message says is so: their copy is as it was
        assert STRIKE in fake.messages_to(member)[-1]["text"]


async def test_refusals_name_the_list_with_the_right_numbers(fake: FakeBotAPI, bot: RunningBot) -> None:
    for command, refusal in (("/edit 999 New text", "Not edited"), ("/delete 999", "Not deleted")):
        [missing] = await say(fake, command)
        assert missing["text"] == (f"{refusal}: there is no announcement #999. "
                                   "/announcements lists the recent ones.")

    assert await schedule(fake, STRIKE) == 1
    [scheduled] = await say(fake, "/delete 1")
    assert scheduled["text"] == "Not deleted: #1 is only scheduled. /unschedule 1 takes it off the queue."
    [scheduled] = await say(fake, "/edit 1 New text")
    assert scheduled["text"] == "Not edited: #1 is only scheduled. /unschedule 1 takes it off the queue."

    ann_id, shown = await preview(fake, STRIKE)
    await press(fake, shown, f"a:cancel:{ann_id}")
    [cancelled] = await say(fake, f"/delete {ann_id}")
    assert cancelled["text"] == (f"Not deleted: #{ann_id} is cancelled, not a live post. "
                                 "/announcements lists them.")
    assert fake.calls_to("deleteMessage") == [] and fake.calls_to("editMessageText") == []
