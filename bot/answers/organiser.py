"""Organisers' own facts and learned phrasings, laid on top of `knowledge/`.

An organiser answers a gap from Telegram; the answer becomes an ordinary fact, sourced as
"<Union> organisers, DATE" (the union's name from bot.yaml), whose phrasings are the gap's
wordings. Members' "Did you mean" taps, once approved, add phrasings to existing facts.
Both live in the database; this module turns them into facts and merges them with the
YAML knowledge, organisers first: if a `/reload` brings a YAML phrasing that an organiser
fact owns, the organiser fact keeps it and the conflict is reported.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from bot.answers.knowledge import Claim, Fact, KnowledgeBase, Source

PREFIX = "organiser-"
ORGANISER_ORDER = 2_000_000  # after every article and announcement: the union's latest word
TITLE_LIMIT = 40
ANSWER_LIMIT = 400  # as knowledge/ answers: a phone screen; /announce is for long texts
_TAG = re.compile(r"<[^>]+>")


class Written(Protocol):
    """What this module needs of an organiser's fact (the store's OrganiserFact fits)."""

    @property
    def id(self) -> int: ...
    @property
    def answer(self) -> str: ...  # Telegram HTML
    @property
    def phrasings(self) -> tuple[str, ...]: ...
    @property
    def day(self) -> dt.date: ...


@dataclass(frozen=True)
class Draft:
    """An organiser's fact before it is stored (previews, tests)."""

    id: int
    answer: str
    phrasings: tuple[str, ...]
    day: dt.date


def fact_id(number: int) -> str:
    return f"{PREFIX}{number}"


def number_of(fid: str) -> int | None:
    """The organiser fact number in a fact id, or None for any other fact."""
    tail = fid.removeprefix(PREFIX)
    return int(tail) if fid.startswith(PREFIX) and tail.isdigit() else None


def is_organiser_fact(fact: Fact) -> bool:
    return number_of(fact.id) is not None


def plain(text_html: str) -> str:
    """Telegram HTML to the text a member reads (and the matcher indexes)."""
    return " ".join(html.unescape(_TAG.sub("", text_html)).split())


def title_for(wording: str) -> str:
    """A button label from the gap's representative wording, at most 40 characters."""
    text = " ".join(wording.split()).rstrip("?!. ") or "Organisers' answer"
    text = text[0].upper() + text[1:]
    if len(text) > TITLE_LIMIT:
        text = text[: TITLE_LIMIT - 1].rsplit(" ", 1)[0] + "…"
    return text


def to_fact(written: Written, union: str) -> tuple[Source, Fact]:
    """One source and one fact: the organiser's text, the gap's wordings as phrasings."""
    fid = fact_id(written.id)
    source = Source(id=fid, outlet=f"{union} organisers", title="", date=written.day,
                    order=ORGANISER_ORDER + written.id)
    text = plain(written.answer)
    fact = Fact(
        id=fid, title=title_for(written.phrasings[0] if written.phrasings else ""), answer=text,
        claims=(Claim(source=fid, quote=text),), phrasings=tuple(written.phrasings),
        file=f"organiser fact #{written.id}", answer_html=written.answer,
    )
    return source, fact


def _key(phrasing: str) -> str:
    return " ".join(phrasing.lower().split())


def overlay(kb: KnowledgeBase, written: Iterable[Written], approved: Mapping[str, Sequence[str]]
            ) -> tuple[KnowledgeBase, list[str]]:
    """`kb` with organiser facts and approved phrasings on top, and the conflicts resolved.

    Organisers win: a YAML phrasing that an organiser fact also has is dropped from the YAML
    fact. An approved phrasing of a fact that no longer exists, or that another fact now
    owns, is left out. Each such case is returned as a one-line conflict.
    """
    conflicts: list[str] = []
    pairs = [to_fact(w, kb.texts.union) for w in written]
    owned = {_key(p): f.id for _, f in pairs for p in f.phrasings}
    facts = dict(kb.facts)
    for fid, fact in kb.facts.items():
        if number_of(fid) is not None:
            continue
        kept = tuple(p for p in fact.phrasings if _key(p) not in owned)
        for p in fact.phrasings:
            if _key(p) in owned:
                conflicts.append(f"'{p}' is a phrasing of both knowledge fact '{fid}' and organiser fact "
                                 f"#{number_of(owned[_key(p)])}; the organiser fact keeps it")
        if kept != fact.phrasings:
            facts[fid] = replace(fact, phrasings=kept)
    merged = replace(kb, facts=facts).with_facts([s for s, _ in pairs], [f for _, f in pairs])
    owner = {_key(p): fid for fid, f in merged.facts.items() for p in f.phrasings}
    extra: dict[str, list[str]] = {}
    for fid, phrasings in approved.items():
        for p in phrasings:
            if fid not in merged.facts:
                conflicts.append(f"approved phrasing '{p}' belongs to fact '{fid}', which no longer exists")
            elif owner.setdefault(_key(p), fid) != fid:
                conflicts.append(f"approved phrasing '{p}' of fact '{fid}' is now a phrasing of "
                                 f"'{owner[_key(p)]}'; left out")
            else:
                extra.setdefault(fid, []).append(p)
    return merged.with_phrasings(extra), conflicts
