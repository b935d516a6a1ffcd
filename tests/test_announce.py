"""/announce as a conversation: members never enter it, and leave nothing in per-user memory."""

from __future__ import annotations

from pathlib import Path

from bot.answers.engine import Engine
from bot.tg.handlers.announce import NO_CHANNEL, NOT_TEXT
from tests.support.dialogue import press, replies, say
from tests.support.fakebotapi import FakeBotAPI
from tests.support.harness import MEMBER, ORGANISER, RunningBot
from tests.support.messages import buttons
from tests.support.organiser_flows import command


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


async def test_announce_while_waiting_starts_over(fake: FakeBotAPI, bot: RunningBot) -> None:
    """/announce TEXT sent while a bare /announce waits used to get "I don't know that command"."""
    await say(fake, "/announce")
    header, shown = await say(fake, "/announce Picket from 7am", n=2, entities=command("/announce"))
    assert header["text"].startswith("Preview #1") and shown["text"] == "Picket from 7am"
    [ask_again] = await say(fake, "/announce")  # and a bare one asks again
    assert "next message" in ask_again["text"]


async def test_a_photo_is_not_taken_for_the_announcement(fake: FakeBotAPI, bot: RunningBot) -> None:
    await say(fake, "/announce")
    [refusal] = await replies(fake, ORGANISER, lambda: fake.send_message(
        user_id=ORGANISER, photo=[{"file_id": "p1", "file_unique_id": "u2", "width": 90, "height": 90}]), 1)
    assert refusal["text"] == NOT_TEXT and bot.services.store.get(1) is None
    header, shown = await say(fake, "Picket from 7am", n=2)  # still waiting for the text
    assert header["text"].startswith("Preview #1") and shown["text"] == "Picket from 7am"


async def test_without_a_channel_announce_says_so_and_saves_nothing(
    fake: FakeBotAPI, tmp_path: Path, engine: Engine
) -> None:
    bot = await RunningBot(fake, tmp_path, engine, channel=None).start()
    try:
        [refusal] = await say(fake, "/announce Strike on Tuesday")
        assert refusal["text"] == NO_CHANNEL and "ANNOUNCE_CHANNEL_ID" in refusal["text"]
        [bare] = await say(fake, "/announce")
        assert bare["text"] == NO_CHANNEL
        assert bot.services.store.get(1) is None
    finally:
        await bot.stop()


async def test_a_post_that_fails_for_want_of_a_channel_offers_no_try_again(
    fake: FakeBotAPI, tmp_path: Path, engine: Engine
) -> None:
    """A preview made before the channel setting went: Post says why, with no button that
    could never work."""
    bot = await RunningBot(fake, tmp_path, engine).start()
    _, shown = await say(fake, "/announce Strike on Tuesday", n=2)
    await bot.stop()
    bot = await RunningBot(fake, tmp_path, engine, channel=None).start()
    try:
        [failed], _ = await press(fake, shown, "a:post:1")
        assert failed["text"].startswith("❌ #1 was not posted: ANNOUNCE_CHANNEL_ID is not set")
        assert buttons(failed) == []
    finally:
        await bot.stop()
