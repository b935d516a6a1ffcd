"""Telegram's 4,096 limit, counted as Telegram counts: UTF-16 units of the parsed text."""

from __future__ import annotations

import pytest

from bot.tg.textlimits import MAX_MESSAGE, split_plain, subscriber_messages, telegram_length
from tests.support.fakebotapi import parse_html, utf16_len


@pytest.mark.parametrize(
    "markup",
    [
        "plain",
        "<b>Strike</b> &amp; <i>picket</i> &lt;now&gt;",
        "📢 emoji outside the BMP count twice 🪧",
        "  trimmed outer whitespace \n",
        '<a href="https://napo.org.uk">link text only</a>',
    ],
)
def test_length_matches_the_fake_bot_api(markup: str) -> None:
    """The fake parses HTML as Telegram does; our count must agree with it."""
    text, _ = parse_html(markup)
    assert telegram_length(markup) == utf16_len(text.strip())


@pytest.mark.parametrize("size", [1, 3990, 4000, 4050, 4096])
@pytest.mark.parametrize("unit", ["x", "&amp;", "🪧", "<b>y</b>"])
def test_every_dm_fits_whatever_the_announcement(size: int, unit: str) -> None:
    text = unit * (size // telegram_length(unit))
    assert telegram_length(text) <= MAX_MESSAGE
    parts = subscriber_messages(text, "Napo")
    assert all(telegram_length(p) <= MAX_MESSAGE for p in parts)
    assert any(text in p for p in parts), "the announcement itself is never cut"
    assert "Napo announcement" in parts[0] and any("/unsubscribe" in p for p in parts)
    assert len(parts) <= 2


def test_a_short_announcement_is_one_dm() -> None:
    [dm] = subscriber_messages("Strike on Tuesday", "Napo")
    assert dm.startswith("📢 <b>Napo announcement</b>") and "Strike on Tuesday" in dm


def test_an_over_long_stored_text_is_split_into_plain_pieces() -> None:
    text = "<b>word</b> " * 1000 + "🪧" * 100  # 5,200 units
    parts = subscriber_messages(text, "Napo")
    assert len(parts) == 3 and all(telegram_length(p) <= MAX_MESSAGE for p in parts)
    pieces = split_plain(text)
    assert "".join(p.replace(" ", "") for p in pieces) == ("word" * 1000 + "🪧" * 100)
