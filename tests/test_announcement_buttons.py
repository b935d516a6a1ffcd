"""Organisers' announcement buttons: forged or malformed data is refused politely."""

from __future__ import annotations

import logging

import pytest

from tests.support.fakebotapi import FakeBotAPI
from tests.support.harness import CHANNEL, ORGANISER, RunningBot


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
