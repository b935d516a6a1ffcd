"""Telegram's 4,096-character limit, measured the way Telegram measures it.

Telegram counts UTF-16 code units of the text AFTER parsing HTML: tags are free, an entity
such as ``&amp;`` is one character, and an emoji outside the BMP is two. A DM wraps the
announcement in a header and footer, so a post that fits the channel can be too long as a
DM: `subscriber_messages` splits it so every message fits.
"""

from __future__ import annotations

import html
import re

MAX_MESSAGE = 4096  # sendMessage text, channel posts included

_TAG = re.compile(r"<[^>]*>")
_FOOTER = "<i>You get these because you sent /subscribe. Send /unsubscribe to stop.</i>"


def telegram_length(html_text: str) -> int:
    """Length as Telegram counts it: UTF-16 units of the parsed text, outer whitespace trimmed."""
    plain = html.unescape(_TAG.sub("", html_text)).strip()
    return len(plain.encode("utf-16-le")) // 2


def fits(html_text: str) -> bool:
    """Whether Telegram accepts this as one message."""
    return telegram_length(html_text) <= MAX_MESSAGE


def subscriber_messages(text: str, union: str) -> list[str]:
    """The DM(s) for one announcement, richest shape first, each within the limit.

    One message when header + text + footer fit; else the footer goes on its own; else a
    short heading (with the footer) comes first and the text, untouched, on its own. A text
    that does not fit even alone (only rows stored before the limit was enforced) is sent
    as plain-text pieces.
    """
    header = f"📢 <b>{html.escape(union)} announcement</b>"
    whole = f"{header}\n\n{text}\n\n{_FOOTER}"
    if fits(whole):
        return [whole]
    if fits(f"{header}\n\n{text}"):
        return [f"{header}\n\n{text}", _FOOTER]
    heading = f"{header} (in the next message{'' if fits(text) else 's'})\n\n{_FOOTER}"
    if fits(text):
        return [heading, text]
    return [heading, *split_plain(text)]


def split_plain(html_text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Cut a text into escaped plain-text pieces of at most ``limit`` units, at a space if any."""
    plain = html.unescape(_TAG.sub("", html_text)).strip()
    pieces: list[str] = []
    while plain:
        cut, units = 0, 0
        for cut, char in enumerate(plain):  # noqa: B007  # cut is used after the loop
            units += 2 if ord(char) > 0xFFFF else 1
            if units > limit:
                break
        else:
            cut = len(plain)
        if cut < len(plain):
            space = plain.rfind(" ", 0, cut)
            cut = space if space > cut // 2 else cut
        pieces.append(html.escape(plain[:cut].strip()))
        plain = plain[cut:].strip()
    return [p for p in pieces if p]
