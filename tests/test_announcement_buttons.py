"""Organisers' announcement buttons: forged or malformed data is refused politely, and an old
preview's buttons still work."""

from __future__ import annotations

import logging

import pytest

from tests.support.dialogue import eventually, press, say
from tests.support.fakebotapi import FakeBotAPI
from tests.support.harness import CHANNEL, MEMBER, ORGANISER, RunningBot
from tests.support.organiser_flows import STRIKE, preview


@pytest.mark.parametrize("data", ["a:post:99999999999999999999999", "a:post:x", "a:explode:1", "a:"])
async def test_malformed_button_data_gets_a_polite_answer(
    fake: FakeBotAPI, bot: RunningBot, caplog: pytest.LogCaptureFixture, data: str
) -> None:
    fake.send_text("/announce Strike on Tuesday", user_id=ORGANISER)
    preview = (await fake.wait_for_sent(2, chat_id=ORGANISER))[1]
    update = fake.press_button(preview, data, user_id=ORGANISER, check=False)
    await fake.wait_idle()
    answer = fake.callback_answers[update["callback_query"]["id"]]
    assert "isn't valid" in answer["text"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert fake.messages_to(CHANNEL) == [] and bot.services.store.get(1).state == "draft"


def test_every_announcement_button_the_parser_accepts_has_an_action() -> None:
    from bot.tg import callbacks
    from bot.tg.handlers.announcement_buttons import _ACTIONS

    assert set(_ACTIONS) == callbacks.ANNOUNCE_ACTIONS


async def test_a_preview_too_old_for_telegram_to_show_still_posts_and_reports(
    fake: FakeBotAPI, bot: RunningBot
) -> None:
    """Days later Telegram withholds the pressed message (chat, id, date 0): Post still posts,
    tells the organiser and delivers (`pressed_message` relies on PTB parsing it as a Message)."""
    await say(fake, "/subscribe", user=MEMBER)
    ann_id, shown = await preview(fake, STRIKE)
    [confirm, _progress], _ = await press(fake, shown, f"a:post:{ann_id}", n=2, old=True)
    [posted] = fake.messages_to(CHANNEL)
    assert confirm["text"] == f"✅ #{ann_id} posted to the channel (message id {posted['message_id']})."
    await eventually(fake, lambda: len(fake.messages_to(MEMBER)) == 2, "the subscriber's DM")
