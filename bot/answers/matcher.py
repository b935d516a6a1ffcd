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
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz, process, utils

from bot.answers.knowledge import Fact, KnowledgeBase, SmallTalk
from bot.answers.text import STOPWORDS, Normaliser, stem

COMMON_POSTINGS = 64  # a word in more facts than this is "common" (see _rank)
CANDIDATES = 6  # facts scored in full per question, best coverage first
SIMILARITY_PHRASINGS = 4  # per candidate fact: those sharing the most with the question

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

    answer: float = 0.55
    clarify: float = 0.45
    margin: float = 0.03
    clear_lead: float = 0.15
    unknown_cap: int = 2
    smalltalk: float = 86.0
    coverage_weight: float = 0.65
    phrasing_weight: float = 0.23
    similarity_weight: float = 0.12
    phrasing_evidence: float = 2.5
    unknown_coverage: float = 0.5
    long_unknown_coverage: float = 0.3
    long_question: int = 6
    long_answer: float = 0.40
    long_lead: float = 0.12
    long_contained: float = 0.7
    min_evidence: float = 1.5


@dataclass
class _FactIndex:
    weights: dict[str, float]
    # Per phrasing: its stems, and their total rarity (for "does the question contain it").
    phrasing_sets: list[frozenset[str]]
    phrasing_totals: list[float] = field(default_factory=list)
    by_stem: dict[str, list[int]] = field(default_factory=dict)  # stem -> phrasings with it
    anchors: frozenset[str] = frozenset()  # stems of the title and keywords: what it is about
    # The phrasings' slice of Matcher._phrasings (pre-processed strings for rapidfuzz).
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class Scored:
    """One candidate fact and the three parts of its score."""

    fact: Fact
    score: float
    evidence: float  # rarity-weighted words shared with the question, before normalising
    coverage: float
    contained: float
    similarity: float


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
        self._phrasings: list[str] = []
        self._owner: list[str] = []
        for fact in kb.facts.values():
            self._add(fact)
        n = max(len(kb.facts), 1)
        self._idf = {s: math.log(1 + n / len(ids)) for s, ids in self._postings.items()}
        self._unknown_idf = math.log(1 + n / 0.5)
        for idx in self._index.values():
            idx.phrasing_totals = [sum(self._idf.get(s, 0.0) for s in p) for p in idx.phrasing_sets]
        self._talk: list[tuple[str, SmallTalk]] = [
            (" ".join(self.norm.words(p)), t) for t in kb.smalltalk for p in t.phrasings
        ]
        self._talk_longest = max((len(text.split()) for text, _ in self._talk), default=0)
        # Words that mark small talk ("bye", "cheers"), first entry wins; generic filler is no sign.
        self._talk_words: dict[str, SmallTalk] = {}
        for text, talk in self._talk:
            for w in text.split():
                if w not in STOPWORDS:
                    self._talk_words.setdefault(w, talk)

    def _add(self, fact: Fact) -> None:
        per_phrasing = [set(self.norm.content(p)) for p in fact.phrasings]
        per_phrasing = [p for p in per_phrasing if p]
        anchors = set(self.norm.content(" ".join((fact.title, *fact.keywords))))
        weights = _centrality(per_phrasing, anchors)
        for text in (fact.answer, *(c.quote for c in fact.claims)):
            for s in self.norm.content(text):
                weights.setdefault(s, 0.4)
        start = len(self._phrasings)
        # Processed once here, so the per-question call can skip processing.
        self._phrasings += [utils.default_process(" ".join(sorted(p))) for p in per_phrasing]
        self._owner += [fact.id] * len(per_phrasing)
        by_stem: dict[str, list[int]] = defaultdict(list)
        for i, stems in enumerate(per_phrasing):
            for s in stems:
                by_stem[s].append(i)
        self._index[fact.id] = _FactIndex(
            weights, [frozenset(p) for p in per_phrasing], by_stem=dict(by_stem), anchors=frozenset(anchors),
            start=start, end=len(self._phrasings),
        )
        for s in weights:
            self._postings[s].append(fact.id)

    # ------------------------------------------------------------------ scoring

    def rank(self, question: str, limit: int = 5) -> list[tuple[Fact, float]]:
        """Facts by score, best first; the basis for answer/clarify/decline."""
        return [(c.fact, c.score) for c in self._rank(self.norm.content(question), limit)]

    def _rank(self, stems: list[str], limit: int) -> list[Scored]:
        if not stems:
            return []
        qweights = {s: self._idf[s] for s in stems if s in self._idf}
        # Words no fact knows count heavily ("strike *pay*"), but only the first few: a long
        # message is mostly context, not the thing asked about.
        unknown = sum(1 for s in stems if s not in self._idf)
        total = sum(qweights.values()) + self._unknown_idf * min(unknown, self.t.unknown_cap)
        coverage: dict[str, float] = defaultdict(float)
        # Rarest words first. A very common word ("strike" in a big base) only adds to facts
        # already found through rarer ones: walking its long postings list would cost more
        # than it could change, since those facts lack the question's rarer words.
        for s, q in sorted(qweights.items(), key=lambda sq: -sq[1]):
            postings = self._postings[s]
            if coverage and len(postings) > COMMON_POSTINGS:
                for fid in coverage:
                    coverage[fid] += q * self._index[fid].weights.get(s, 0.0)
                continue
            for fid in postings:
                coverage[fid] += q * self._index[fid].weights[s]
        if not coverage:
            return []
        candidates = sorted(coverage, key=coverage.__getitem__, reverse=True)[: max(limit, CANDIDATES)]
        shared = {fid: self._shared(self._index[fid], qweights) for fid in candidates}
        similarity = self._similarity(" ".join(sorted(stems)), shared)
        t = self.t
        scored = []
        for fid in candidates:
            cov = coverage[fid] / total
            inside = self._contained(self._index[fid], shared[fid])
            sim = similarity.get(fid, 0.0)
            score = t.coverage_weight * cov + t.phrasing_weight * inside + t.similarity_weight * sim
            scored.append(Scored(self.kb.facts[fid], score, coverage[fid], cov, inside, sim))
        scored.sort(key=lambda c: c.score, reverse=True)
        return scored[:limit]

    @staticmethod
    def _shared(idx: _FactIndex, qweights: dict[str, float]) -> dict[int, float]:
        """For each phrasing sharing a word with the question: the rarity of what it shares."""
        acc: dict[int, float] = defaultdict(float)
        for s, w in qweights.items():
            for i in idx.by_stem.get(s, ()):
                acc[i] += w
        return acc

    def _similarity(self, query: str, shared: dict[str, dict[int, float]]) -> dict[str, float]:
        """Best fuzzy similarity of the question to each candidate's phrasings, in one call.

        Only phrasings that share a word with the question are compared: the others cannot
        be the best match, and skipping them keeps a 100x knowledge base fast.
        """
        choices: list[str] = []
        owners: list[str] = []
        for fid, acc in shared.items():
            start = self._index[fid].start
            closest = sorted(acc, key=acc.__getitem__, reverse=True)[:SIMILARITY_PHRASINGS]
            choices += [self._phrasings[start + i] for i in closest]
            owners += [fid] * len(closest)
        best: dict[str, float] = {}
        # Choices were processed with utils.default_process at build time; the query the same way.
        for _, score, i in process.extract(
            utils.default_process(query), choices, scorer=fuzz.token_sort_ratio, processor=None, limit=None
        ):
            best[owners[i]] = max(best.get(owners[i], 0.0), score / 100)
        return best

    def _contained(self, idx: _FactIndex, shared: dict[int, float]) -> float:
        """How much of the best phrasing (by word rarity) the question contains.

        A phrasing made only of common words ("napo strike") is weak evidence even when
        the question contains all of it, so its share is scaled down.
        """
        evidence, totals = self.t.phrasing_evidence, idx.phrasing_totals
        best = 0.0
        for i, weight in shared.items():
            share = weight / totals[i] if totals[i] else 0.0
            if weight < evidence:
                share *= weight / evidence
            if share > best:
                best = share
        return best

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
        top, t = ranked[0], self.t
        second = ranked[1].score if len(ranked) > 1 else 0.0
        close = [c.fact for c in ranked if top.score - c.score < t.margin]
        # In a chatty message unknown words are mostly context; in a short one they are the point.
        chatty = len(stems) >= t.long_question
        needed = t.long_unknown_coverage if chatty else t.unknown_coverage
        if unknown and top.coverage < needed:
            # Most of what was asked is about something no fact covers: don't guess.
            return Match("decline", question, None, top.score, unknown=unknown)
        # A fact far ahead of the rest may answer below the usual bar, unless the question
        # has words no fact knows: those may be exactly what is being asked about.
        clear = not unknown and top.score >= t.clarify and top.score - second >= t.clear_lead
        # "strike?" alone shares only a word every fact has: never enough to pick one. And a
        # one-word question must name the fact's topic ("grayling?"), not just any word in it
        # ("what time is it?").
        enough = top.evidence >= t.min_evidence and (
            len(stems) > 1 or stems[0] in self._index[top.fact.id].anchors
        )
        # A chatty message scores low on every fact (most of its words are context), so there
        # the winner must instead contain most of one of its phrasings and lead clearly.
        leads = chatty and top.score >= t.long_answer and top.score - second >= t.long_lead and (
            top.contained >= t.long_contained
        )
        if enough and ((top.score >= t.answer and len(close) == 1) or clear or leads):
            return Match("answer", question, top.fact, round(top.score, 4), unknown=unknown)
        if top.score >= t.clarify:
            if len(close) == 1:
                close = [c.fact for c in ranked[:3] if c.score >= t.clarify]
            if len(close) > 1:
                return Match("clarify", question, None, round(top.score, 4), tuple(close[:3]), unknown)
        return Match("decline", question, None, round(top.score, 4), unknown=unknown)

    def _smalltalk(self, words: list[str], stems: list[str]) -> SmallTalk | None:
        """"hi", "cheers mate 👍", "ok bye": small talk, unless a word any fact uses is in it."""
        if not self._talk or len(words) > self._talk_longest + 2:
            return None  # a long message is not small talk
        best = process.extractOne(
            " ".join(words), [t for t, _ in self._talk], scorer=fuzz.ratio, score_cutoff=self.t.smalltalk
        )
        if best:
            return self._talk[best[2]][1]
        if any(s in self._idf for s in stems):
            return None
        return next((self._talk_words[w] for w in words if w in self._talk_words), None)
