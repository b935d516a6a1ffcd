"""The knowledge base's shape: sources, facts, vocabulary, bot texts, and located errors.

Kept apart from the YAML readers so both they and `bot.knowledge` can import it without
a cycle; everyone else imports these names from `bot.knowledge`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any


class KnowledgeError(Exception):
    """A problem in a knowledge file, located so that a person can fix it."""

    def __init__(self, path: Path | str, line: int | None, reason: str) -> None:
        self.path = str(path)
        self.line = line
        self.reason = reason
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.reason}"


class KnowledgeErrors(Exception):
    """Several problems at once, so one `check` run lists them all."""

    def __init__(self, errors: list[KnowledgeError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True)
class Source:
    """Where a claim comes from; `order` ranks sources in time when dates are missing."""

    id: str
    outlet: str
    title: str
    author: str | None = None
    date: dt.date | None = None
    date_note: str | None = None
    order: int = 0
    seed: str | None = None
    sha256: str | None = None  # of the seed text, so `check --sources` knows it has the right one
    line: int = 0

    @property
    def date_label(self) -> str:
        return self.date.strftime("%-d %b %Y") if self.date else "undated"

    def to_json(self) -> dict[str, Any]:
        return {
            "outlet": self.outlet,
            "title": self.title,
            "date": self.date.isoformat() if self.date else None,
        }


@dataclass(frozen=True)
class Claim:
    """A statement behind an answer and the source that makes it."""

    source: str
    quote: str
    line: int = 0


@dataclass(frozen=True)
class Fact:
    """One answerable thing, with the words members use to ask for it."""

    id: str
    title: str
    answer: str
    claims: tuple[Claim, ...]
    phrasings: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    file: str = ""
    line: int = 0
    # Announcements are dated news; they outrank older reports on the same topic.
    date: dt.datetime | None = None
    # Organisers' facts keep their Telegram formatting; `answer` is then its plain text.
    answer_html: str = ""

    @property
    def source_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.source for c in self.claims))


@dataclass(frozen=True)
class SmallTalk:
    """A friendly non-answer ("hi", "thanks") with what the bot can do."""

    id: str
    phrasings: tuple[str, ...]
    reply: str


@dataclass(frozen=True)
class Decline:
    """A question members ask that the sources do not answer, and the honest reply to it.

    Its phrasings keep such questions from being answered with a look-alike fact, and
    they are the negatives the confidence model learns from.
    """

    id: str
    reply: str
    phrasings: tuple[str, ...]
    file: str = ""
    line: int = 0


@dataclass(frozen=True)
class Vocabulary:
    """Domain words that normalise how members type: text-speak, synonyms, filler."""

    textspeak: dict[str, str] = field(default_factory=dict)
    synonyms: dict[str, str] = field(default_factory=dict)  # variant -> canonical
    stopwords: frozenset[str] = frozenset()


@dataclass(frozen=True)
class BotTexts:
    """The union-specific texts around the answers."""

    name: str
    union: str
    welcome: str
    decline: str
    examples: tuple[str, ...]


@dataclass(frozen=True)
class KnowledgeBase:
    """A loaded, validated knowledge directory."""

    directory: Path
    sources: dict[str, Source]
    facts: dict[str, Fact]
    vocabulary: Vocabulary
    smalltalk: tuple[SmallTalk, ...]
    texts: BotTexts
    declines: tuple[Decline, ...] = ()

    def sources_for(self, fact: Fact) -> list[Source]:
        """Sources of a fact, newest first (undated ones ranked by `order`)."""
        found = [self.sources[s] for s in fact.source_ids if s in self.sources]
        return sorted(found, key=lambda s: s.order, reverse=True)

    def with_facts(self, extra_sources: Iterable[Source], extra_facts: Iterable[Fact]) -> KnowledgeBase:
        """A copy with dated facts added (announcements), leaving this one untouched."""
        sources = dict(self.sources)
        sources.update((s.id, s) for s in extra_sources)
        facts = dict(self.facts)
        facts.update((f.id, f) for f in extra_facts)
        return replace(self, sources=sources, facts=facts)

    def with_phrasings(self, extra: Mapping[str, Iterable[str]]) -> KnowledgeBase:
        """A copy where facts gain phrasings (approved from members' taps); unknown ids are skipped."""
        facts = dict(self.facts)
        for fact_id, phrasings in extra.items():
            if fact_id in facts:
                fact = facts[fact_id]
                facts[fact_id] = replace(fact, phrasings=tuple(dict.fromkeys((*fact.phrasings, *phrasings))))
        return replace(self, facts=facts)
