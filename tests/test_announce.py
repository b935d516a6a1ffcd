"""/announce as a conversation: members never enter it, and leave nothing in per-user memory."""

from __future__ import annotations

from pathlib import Path

from bot.answers.engine import Engine
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


async def test_a_bare_announce_stops_waiting_after_the_timeout(
    fake: FakeBotAPI, tmp_path: Path, engine: Engine
) -> None:
    bot = await RunningBot(fake, tmp_path, engine, announce_wait=1.0).start()
    try:
        fake.send_text("/announce", user_id=ORGANISER)
        notice = (await fake.wait_for_sent(2, chat_id=ORGANISER, timeout=10))[1]
        assert notice["text"].startswith("I stopped waiting for the announcement text after 1 second.")
        fake.send_text("when is the strike", user_id=ORGANISER)  # days later: a question
        answer = (await fake.wait_for_sent(3, chat_id=ORGANISER))[2]
        assert "Preview" not in answer["text"] and bot.services.store.get(1) is None
    finally:
        await bot.stop()


async def test_at_that_is_not_a_time_is_refused_with_the_format(fake: FakeBotAPI, bot: RunningBot) -> None:
    fake.send_text("/announce at tomorrow 9am strike", user_id=ORGANISER)
    [refusal] = await fake.wait_for_sent(1, chat_id=ORGANISER)
    assert "Use: at YYYY-MM-DD HH:MM your announcement (London time)" in refusal["text"]
    assert bot.services.store.get(1) is None


async def test_text_after_a_bare_announce_is_taken_verbatim(fake: FakeBotAPI, bot: RunningBot) -> None:
    """The way to post a text that starts with "At": /announce alone, then the text."""
    fake.send_text("/announce", user_id=ORGANISER)
    await fake.wait_for_sent(1, chat_id=ORGANISER)
    fake.send_text("At the picket line from 7am", user_id=ORGANISER)
    header, shown = (await fake.wait_for_sent(3, chat_id=ORGANISER))[1:]
    assert header["text"].startswith("Preview #1, exactly as it will appear")
    assert shown["text"] == "At the picket line from 7am"
