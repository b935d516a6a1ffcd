"""Posted announcements as dated facts, so members' questions can reach the latest news.

An announcement is sourced as "<Union> announcement, DATE" and is newer than any article,
so when it is about the same thing as an article fact the reply leads with it.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable, Sequence
from typing import Protocol

from bot.answers.knowledge import Claim, Fact, Source
from bot.answers.render import truncate

_TAG = re.compile(r"<[^>]+>")
ANNOUNCEMENT_ORDER = 1_000_000  # after every article, however many there are
TITLE_LIMIT = 40
ANSWER_LIMIT = 600  # a long post is read in the channel; a reply stays phone-sized


class PostedAnnouncement(Protocol):
    """What this module needs of a stored announcement (read-only, as the store's are)."""

    @property
    def id(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def posted_at(self) -> dt.datetime | None: ...


def plain(text_html: str) -> str:
    """Telegram HTML to the text a member reads."""
    return " ".join(html.unescape(_TAG.sub("", text_html)).split())


def excerpt(text_html: str, limit: int = 60) -> str:
    """A one-line excerpt for organisers' lists, escaped again for Telegram HTML."""
    text = plain(text_html)
    return html.escape(text if len(text) <= limit else text[: limit - 1] + "…")


def fact_id(announcement_id: int) -> str:
    return f"announcement-{announcement_id}"


def announcement_facts(
    posted: Iterable[PostedAnnouncement], union: str = "Union"
) -> tuple[list[Source], list[Fact]]:
    """One source and one fact per posted announcement, oldest first."""
    sources: list[Source] = []
    facts: list[Fact] = []
    for ann in posted:
        when = ann.posted_at.date() if ann.posted_at else None
        text = plain(ann.text)
        fid = fact_id(ann.id)
        title = text if len(text) <= TITLE_LIMIT else text[: TITLE_LIMIT - 1].rsplit(" ", 1)[0] + "…"
        sources.append(
            Source(id=fid, outlet=f"{union} announcement", title=title, date=when,
                   order=ANNOUNCEMENT_ORDER + ann.id)
        )
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if s]
        facts.append(
            Fact(
                id=fid, title=title, answer=truncate(text, ANSWER_LIMIT),
                claims=(Claim(source=fid, quote=text),),
                phrasings=tuple(dict.fromkeys([text, *sentences])), file="announcement",
                date=ann.posted_at,
            )
        )
    return sources, facts


def is_announcement(fact: Fact) -> bool:
    return fact.id.startswith("announcement-")


def newest_first(facts: Sequence[Fact]) -> list[Fact]:
    """Announcements (newest first) ahead of article facts, which keep their order."""
    news = sorted((f for f in facts if is_announcement(f)), key=lambda f: f.id, reverse=True)
    news.sort(key=lambda f: f.date.timestamp() if f.date else 0, reverse=True)
    return news + [f for f in facts if not is_announcement(f)]
