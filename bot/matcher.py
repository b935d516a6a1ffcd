"""Decides whether a question is answered by a fact, needs a "did you mean", or is declined.

A wrong answer on a picket line is worse than "I don't know", so the matcher asks two
questions of every candidate fact:
- how much of the question's *informative* wording does the fact explain (coverage,
  weighted by how rare each word is across facts; words no fact knows weigh most, so
  "strike pay" is not answered with the strike date), and
- how close is the question to one of the fact's phrasings (rapidfuzz, on stems).
Plain `WRatio`/`token_set_ratio` are not used: they score 100 on one shared word.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz, process, utils

from .knowledge import Fact, KnowledgeBase, SmallTalk
from .text import Normaliser, stem

Kind = Literal["answer", "clarify", "decline", "smalltalk", "empty"]


@dataclass(frozen=True)
class Match:
    """The matcher's verdict on one question."""

    kind: Kind
    question: str
    fact: Fact | None = None
    score: float = 0.0
    suggestions: tuple[Fact, ...] = ()
    smalltalk: SmallTalk | None = None
    unknown: tuple[str, ...] = ()


@dataclass(frozen=True)
class Thresholds:
    """Where answer ends and clarify/decline begin; tuned on the authors' own questions."""

    answer: float = 0.58
    clarify: float = 0.50
    margin: float = 0.03
    clear_lead: float = 0.10
    unknown_cap: int = 2
    smalltalk: float = 86.0
    coverage_weight: float = 0.65
    phrasing_weight: float = 0.23
    similarity_weight: float = 0.12
    phrasing_evidence: float = 2.5
    unknown_coverage: float = 0.5
    long_unknown_coverage: float = 0.3
    long_question: int = 6


@dataclass
class _FactIndex:
    weights: dict[str, float] = field(default_factory=dict)
    phrasings: list[str] = field(default_factory=list)
    phrasing_sets: list[frozenset[str]] = field(default_factory=list)


def _centrality(stems_per_phrasing: list[set[str]], anchors: set[str]) -> dict[str, float]:
    """How central a stem is to a fact: in every phrasing, in its keywords or title -> ~1."""
    counts: dict[str, int] = defaultdict(int)
    for stems in stems_per_phrasing:
        for s in stems:
            counts[s] += 1
    n = max(len(stems_per_phrasing), 1)
    weights = {s: 0.55 + 0.45 * min(1.0, 2 * c / n) for s, c in counts.items()}
    for s in anchors:
        weights[s] = max(weights.get(s, 0.0), 0.9)
    return weights


class Matcher:
    """Matches questions against one knowledge base; build once, call `match` often."""

    def __init__(self, kb: KnowledgeBase, thresholds: Thresholds | None = None) -> None:
        self.kb = kb
        self.t = thresholds or Thresholds()
        known = []
        for fact in kb.facts.values():
            known.extend([fact.title, fact.answer, *fact.phrasings, *fact.keywords])
            known.extend(c.quote for c in fact.claims)
        for talk in kb.smalltalk:
            known.extend(talk.phrasings)
        self.norm = Normaliser(kb.vocabulary, known)
        self._index: dict[str, _FactIndex] = {}
        self._postings: dict[str, list[str]] = defaultdict(list)
        for fact in kb.facts.values():
            self._add(fact)
        n = max(len(kb.facts), 1)
        self._idf = {s: math.log(1 + n / len(ids)) for s, ids in self._postings.items()}
        self._unknown_idf = math.log(1 + n / 0.5)
        self._talk: list[tuple[str, SmallTalk]] = [
            (" ".join(self.norm.words(p)), t) for t in kb.smalltalk for p in t.phrasings
        ]
        self._talk_stems = {
            stem(w) for text, _ in self._talk for w in text.split() if w not in self.norm.stopwords
        }

    def _add(self, fact: Fact) -> None:
        per_phrasing = [set(self.norm.content(p)) for p in fact.phrasings]
        anchors = set(self.norm.content(" ".join((fact.title, *fact.keywords))))
        weights = _centrality(per_phrasing, anchors)
        for text in (fact.answer, *(c.quote for c in fact.claims)):
            for s in self.norm.content(text):
                weights.setdefault(s, 0.4)
        idx = _FactIndex(
            weights, [" ".join(sorted(p)) for p in per_phrasing], [frozenset(p) for p in per_phrasing if p]
        )
        self._index[fact.id] = idx
        for s in weights:
            self._postings[s].append(fact.id)

    # ------------------------------------------------------------------ scoring

    def rank(self, question: str, limit: int = 5) -> list[tuple[Fact, float]]:
        """Facts by score, best first; the basis for answer/clarify/decline."""
        return self._rank(self.norm.content(question), limit)

    def _rank(self, stems: list[str], limit: int) -> list[tuple[Fact, float]]:
        if not stems:
            return []
        qweights = {s: self._idf[s] for s in stems if s in self._idf}
        # Words no fact knows count heavily ("strike *pay*"), but only the first few: a long
        # message is mostly context, not the thing asked about.
        unknown = sum(1 for s in stems if s not in self._idf)
        total = sum(qweights.values()) + self._unknown_idf * min(unknown, self.t.unknown_cap)
        coverage: dict[str, float] = defaultdict(float)
        for s, q in qweights.items():
            for fid in self._postings.get(s, ()):
                coverage[fid] += q * self._index[fid].weights[s]
        if not coverage:
            return []
        candidates = sorted(coverage, key=coverage.__getitem__, reverse=True)[: max(limit, 8)]
        query = " ".join(sorted(stems))
        qset = frozenset(stems)
        self.last_parts: dict[str, tuple[float, float, float]] = {}
        scored = []
        for fid in candidates:
            idx = self._index[fid]
            best = process.extractOne(
                query, idx.phrasings, scorer=fuzz.token_sort_ratio, processor=utils.default_process
            )
            sim = best[1] / 100 if best else 0.0
            cov = coverage[fid] / total
            inside = max((self._contained(p, qset) for p in idx.phrasing_sets), default=0.0)
            t = self.t
            score = t.coverage_weight * cov + t.phrasing_weight * inside + t.similarity_weight * sim
            self.last_parts[fid] = (round(cov, 3), round(inside, 3), round(sim, 3))
            scored.append((self.kb.facts[fid], round(score, 4)))
        scored.sort(key=lambda fs: fs[1], reverse=True)
        return scored[:limit]

    def _contained(self, phrasing: frozenset[str], query: frozenset[str]) -> float:
        """How much of one phrasing (by word rarity) the question contains.

        A phrasing made only of common words ("napo strike") is weak evidence even when
        the question contains all of it, so its share is scaled down.
        """
        total = sum(self._idf.get(s, 0.0) for s in phrasing)
        if not total:
            return 0.0
        shared = sum(self._idf.get(s, 0.0) for s in phrasing & query)
        return shared / total * min(1.0, shared / self.t.phrasing_evidence)

    # ------------------------------------------------------------------ verdict

    def match(self, question: str) -> Match:
        """Answer, clarify, small talk, or decline: never a guess."""
        words = self.norm.words(question)
        if not words:
            return Match("empty", question)
        stems = [stem(w) for w in dict.fromkeys(words) if w not in self.norm.stopwords]
        talk = self._smalltalk(words, stems)
        if talk is not None:
            return Match("smalltalk", question, smalltalk=talk)
        unknown = tuple(s for s in stems if s not in self._idf)
        ranked = self._rank(stems, 4)
        if not ranked:
            return Match("decline", question, unknown=unknown)
        top_fact, top = ranked[0]
        close = [f for f, s in ranked if top - s < self.t.margin]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        # A fact far ahead of the rest may answer below the usual bar, unless the question
        # has words no fact knows: those may be exactly what is being asked about.
        clear = not unknown and top >= self.t.clarify and top - second >= self.t.clear_lead
        # In a chatty message unknown words are mostly context; in a short one they are the point.
        long = len(stems) >= self.t.long_question
        needed = self.t.long_unknown_coverage if long else self.t.unknown_coverage
        if unknown and self.last_parts[top_fact.id][0] < needed:
            # Most of what was asked is about something no fact covers: don't guess.
            return Match("decline", question, None, top, unknown=unknown)
        if (top >= self.t.answer and len(close) == 1) or clear:
            return Match("answer", question, top_fact, top, unknown=unknown)
        if top >= self.t.clarify:
            if len(close) == 1:
                close = [f for f, s in ranked[:3] if s >= self.t.clarify]
            if len(close) > 1:
                return Match("clarify", question, None, top, tuple(close[:3]), unknown=unknown)
        return Match("decline", question, None, top, unknown=unknown)

    def _smalltalk(self, words: list[str], stems: list[str]) -> SmallTalk | None:
        if not self._talk:
            return None
        text = " ".join(words)
        best = process.extractOne(
            text, [t for t, _ in self._talk], scorer=fuzz.ratio, score_cutoff=self.t.smalltalk
        )
        if best:
            return self._talk[best[2]][1]
        # "cheers mate": only small-talk words, and none that any fact uses.
        if stems and all(s in self._talk_stems and s not in self._idf for s in stems):
            for t, talk in self._talk:
                if any(stem(w) in stems for w in t.split()):
                    return talk
        return None

    def suggest(self, facts: Iterable[str]) -> list[Fact]:
        """Existing facts among the given ids, for "related" buttons."""
        return [self.kb.facts[f] for f in facts if f in self.kb.facts]
