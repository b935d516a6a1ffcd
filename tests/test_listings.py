"""Organisers' lists over real HTTP: one table serves /announcements, /scheduled, /audit, /gaps."""

from __future__ import annotations

import pytest

from bot.tg.access import PRIVATE_ONLY, REFUSAL
from bot.tg.handlers.listings import LISTINGS
from tests.support.fakebotapi import FakeBotAPI
from tests.support.harness import MEMBER, ORGANISER, RunningBot

GROUP = -4003


async def reply_to(fake: FakeBotAPI, text: str, user: int = ORGANISER, chat: int | None = None) -> dict:
    """The one reply the bot sends to `text` in a private chat, or in group `chat`."""
    where = chat or user
    before = len(fake.messages_to(where))
    fake.send_text(text, user_id=user, chat_id=chat, chat_type="group" if chat else "private")
    return (await fake.wait_for_sent(before + 1, chat_id=where))[before]


async def test_an_escaped_ampersand_is_shown_once_escaped(fake: FakeBotAPI, bot: RunningBot) -> None:
    """Telegram HTML `&amp;` is one `&` to the organiser, not `&amp;amp;` (the old bug)."""
    ann = bot.services.store.create_draft("Pay &amp; conditions <b>matter</b>", ORGANISER)
    bot.services.store.begin_send(ann.id, -100, ORGANISER)
    bot.services.store.mark_uncertain(ann.id, "test")
    reply = await reply_to(fake, "/announcements")
    assert "Pay & conditions matter" in reply["text"]
    assert "&amp;" not in reply["text"]


@pytest.mark.parametrize("command", sorted(LISTINGS))
async def test_every_listing_answers_organisers_when_empty(
    fake: FakeBotAPI, bot: RunningBot, command: str
) -> None:
    reply = await reply_to(fake, f"/{command}")
    assert reply["text"] == LISTINGS[command].empty


@pytest.mark.parametrize("command", sorted(LISTINGS))
async def test_listings_refuse_members_and_groups(fake: FakeBotAPI, bot: RunningBot, command: str) -> None:
    bot.services.store.record_gap("a question nobody could answer")
    assert (await reply_to(fake, f"/{command}", user=MEMBER))["text"] == REFUSAL
    assert (await reply_to(fake, f"/{command}", chat=GROUP))["text"] == PRIVATE_ONLY


async def test_gaps_lists_what_members_asked_without_names(fake: FakeBotAPI, bot: RunningBot) -> None:
    for _ in range(2):
        await reply_to(fake, "what colour are the union's biros", user=MEMBER)
    reply = await reply_to(fake, "/gaps")
    assert "1. “what colour are the union's biros” · 2×" in reply["text"]
    assert str(MEMBER) not in reply["text"]
