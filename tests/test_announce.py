"""/announce as a conversation: members never enter it, and leave nothing in per-user memory."""

from __future__ import annotations

from tests.support.fakebotapi import FakeBotAPI
from tests.support.harness import MEMBER, ORGANISER, RunningBot


async def test_members_questions_leave_no_per_user_memory(fake: FakeBotAPI, bot: RunningBot) -> None:
    members = range(MEMBER, MEMBER + 25)
    for member in members:
        fake.send_text("when is the strike", user_id=member)
    for member in members:
        await fake.wait_for_sent(1, chat_id=member)
    await fake.wait_idle()
    assert not any(bot.app.user_data.values()) and not bot.app.user_data
    assert not any(bot.app.chat_data.values())


async def test_a_waiting_announce_takes_the_next_text_then_forgets(fake: FakeBotAPI, bot: RunningBot) -> None:
    fake.send_text("/announce", user_id=ORGANISER)
    [ask] = await fake.wait_for_sent(1, chat_id=ORGANISER)
    assert "next message" in ask["text"]
    fake.send_text("Picket from 7am", user_id=ORGANISER)
    sent = await fake.wait_for_sent(3, chat_id=ORGANISER)
    assert sent[1]["text"].startswith("Preview #1") and sent[2]["text"] == "Picket from 7am"
    fake.send_text("when is the strike", user_id=ORGANISER)  # an ordinary question again
    answer = (await fake.wait_for_sent(4, chat_id=ORGANISER))[3]
    assert "Preview" not in answer["text"] and bot.services.store.get(2) is None
