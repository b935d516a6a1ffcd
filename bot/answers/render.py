"""Turns a match into the reply a member sees: the answer first, then where it comes from.

One renderer serves Telegram (HTML) and the terminal (plain text). Both are built from
the same styled segments, so the text Telegram shows after parsing the HTML is exactly
the text `python -m bot ask` prints.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from bot.answers.knowledge import Fact, KnowledgeBase, Source
from bot.answers.matcher import Match

Style = Literal["", "b", "i", "html"]  # "html": already Telegram HTML (organisers' own)
Segment = tuple[str, Style]

TELEGRAM_LIMIT = 4096
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Reply:
    """A rendered reply plus what the transports need to build buttons and JSON."""

    question: str
    kind: str
    answered: bool
    text: str
    html: str
    fact: Fact | None = None
    score: float = 0.0
    sources: tuple[Source, ...] = ()
    suggestions: tuple[Fact, ...] = ()
    related: tuple[Fact, ...] = ()
    # What tapping each offered button shows (`offered`), filled in by the engine.
    cards: tuple[str, ...] = ()
    # Replies to the message's other questions, sent after this one ("... and what was the
    # turnout?"): each stands alone, with its own source.
    also: tuple[Reply, ...] = ()

    @property
    def offered(self) -> tuple[Fact, ...]:
        """The fact buttons shown instead of an answer: "did you mean", or a decline's topics."""
        if self.kind == "clarify":
            return self.suggestions
        return self.related[:3] if self.kind == "decline" else ()

    def to_json(self) -> dict[str, object]:
        """`ask --json`: suggestions carry what tapping them shows (their cards)."""
        cards = dict(zip((f.id for f in self.offered), self.cards, strict=False))
        out: dict[str, object] = {
            "question": self.question,
            "answered": self.answered,
            "fact": self.fact.id if self.fact else None,
            "score": self.score,
            "text": self.text,
            "sources": [s.to_json() for s in self.sources],
            "suggestions": [
                {"fact": f.id, "title": f.title, "text": cards.get(f.id, "")} for f in self.offered
            ],
        }
        if self.also:
            out["also"] = [r.to_json() for r in self.also]
        return out


def _join(segments: Iterable[Segment]) -> tuple[str, str]:
    """Plain text and Telegram HTML for the same segments."""
    plain, marked = [], []
    for text, style in segments:
        if style == "html":
            plain.append(html.unescape(_TAG.sub("", text)))
            marked.append(text)
            continue
        plain.append(text)
        escaped = html.escape(text, quote=False)
        marked.append(f"<{style}>{escaped}</{style}>" if style and text.strip() else escaped)
    return "".join(plain), "".join(marked)


def source_line(source: Source, later: bool = False, newest: bool = False, when: str | None = None) -> str:
    """'The Independent, "Probation officers vote for strike", 18 Oct 2013'."""
    when = when or source.date_label
    if not source.title:  # the union's organisers: "Napo organisers, 5 Nov 2013"
        suffix = (", newest" if newest else ", later report") if later else ""
        return f"{source.outlet}, {when}{suffix}"
    if later:
        when += ", newest" if newest else ", later report"
    return f"{source.outlet}, “{source.title}” ({when})"


def _source_segments(kb: KnowledgeBase, facts: Sequence[Fact]) -> tuple[list[Segment], list[Source]]:
    """The sources of some facts, newest first, as styled lines."""
    found = {s.id: s for fact in facts for s in kb.sources_for(fact)}
    sources = sorted(found.values(), key=lambda s: s.order, reverse=True)
    label = "Sources" if len(sources) > 1 else "Source"
    segments: list[Segment] = [(f"\n\n{label}:", "i")]
    for i, src in enumerate(sources):
        later = len(sources) > 1 and i == 0 and src.order > sources[-1].order
        segments.append((f"\n• {source_line(src, later, newest=later and len(sources) > 2)}", "i"))
    return segments, sources


def fact_reply(kb: KnowledgeBase, fact: Fact, question: str = "", score: float = 1.0,
               newer: Sequence[Fact] = ()) -> Reply:
    """The card for one fact, as an answer, a tapped topic or an inline result.

    `newer` are announcements on the same topic: they lead, and the fact follows as the
    earlier report, so a member sees the latest news first and knows which is newer.
    """
    segments: list[Segment] = []
    for news in newer:
        when = news.date.strftime("%-d %b %Y") if news.date else "undated"
        segments += [("Latest", "b"), (f" ({when}): {news.answer}\n\n", ""), ("Earlier report: ", "b")]
        break  # the newest one is enough on a phone screen; /topics has the rest
    segments.append((fact.answer_html, "html") if fact.answer_html else (fact.answer, ""))
    src_segments, sources = _source_segments(kb, [*newer[:1], fact])
    text, marked = _join(segments + src_segments)
    related = tuple(kb.facts[r] for r in fact.related if r in kb.facts)
    return Reply(
        question=question, kind="answer", answered=True, text=text, html=marked,
        fact=fact, score=score, sources=tuple(sources), related=related,
    )


def render(kb: KnowledgeBase, match: Match) -> Reply:
    """The reply for any verdict; only an answer is `answered`."""
    q = match.question
    if match.kind == "answer" and match.fact is not None:
        return fact_reply(kb, match.fact, q, match.score)
    if match.kind == "clarify":
        one = len(match.suggestions) == 1
        ask = "Did you mean this?" if one else "I'm not sure which of these you mean:"
        segments: list[Segment] = [(ask, "")]
        segments += [(f"\n• {f.title}", "") for f in match.suggestions]
        segments.append((f"\nTap {'it' if one else 'one'}, or ask again in other words.", ""))
        text, marked = _join(segments)
        return Reply(q, "clarify", False, text, marked, score=match.score,
                     suggestions=match.suggestions)
    if match.kind == "smalltalk" and match.smalltalk is not None:
        text, marked = _join([(match.smalltalk.reply, "")])
        return Reply(q, "smalltalk", False, text, marked)
    if match.kind == "empty":
        example = kb.texts.examples[0] if kb.texts.examples else "a question about the dispute"
        # Emoji, punctuation or blanks only: the member did type, just no words.
        ask = f"I couldn't find a question in that. Type it in words, for example: {example}"
        text, marked = _join([(ask, "")])
        return Reply(q, "empty", False, text, marked)
    segments = [(match.decline.reply, "")] if match.decline is not None else [(kb.texts.decline, "")]
    if match.related:
        segments.append(("\nClosest topics I can answer:", ""))
        segments += [(f"\n• {f.title}", "") for f in match.related]
    text, marked = _join(segments)
    return Reply(q, "decline", False, text, marked, score=match.score, related=match.related)


def partial_reply(kb: KnowledgeBase, fact: Fact, question: str, missing: str, score: float) -> Reply:
    """A question asking for a detail the reports lack: say so, then what they do say.

    Not `answered`: the member's actual question has no sourced answer.
    """
    segments: list[Segment] = [(f"The reports don't give {missing}. ", "b"), ("What they do say: ", ""),
                               (fact.answer, "")]
    src_segments, sources = _source_segments(kb, [fact])
    text, marked = _join(segments + src_segments)
    related = tuple(kb.facts[r] for r in fact.related if r in kb.facts)
    return Reply(question, "partial", False, text, marked, fact=fact, score=score,
                 sources=tuple(sources), related=related)


def notice(question: str, kind: str, message: str) -> Reply:
    """A reply that is no answer and names no fact (a message too long to read, say)."""
    text, marked = _join([(message, "")])
    return Reply(question, kind, False, text, marked)


def sources_list(kb: KnowledgeBase) -> tuple[str, str]:
    """Every source, newest first, as plain text and HTML (for /sources)."""
    segments: list[Segment] = [("Where my answers come from:", "b")]
    for src in sorted(kb.sources.values(), key=lambda s: s.order, reverse=True):
        # An undated source's note ("undated; published after …") replaces the bare "undated".
        in_place = src.date is None and bool(src.date_note)
        segments.append((f"\n• {source_line(src, when=src.date_note if in_place else None)}", ""))
        if src.author:
            segments.append((f", by {src.author}", ""))
        if src.date_note and not in_place:
            segments.append((f" ({src.date_note})", "i"))
    return _join(segments)


def truncate(text: str, limit: int = TELEGRAM_LIMIT) -> str:
    """Cut plain text to Telegram's limit on a word boundary."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"
