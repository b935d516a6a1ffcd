"""Word-level evidence that a question asks for an entry (a fact or a decline example).

For every candidate entry it measures:
- coverage: how much of the question's *informative* wording the entry explains (weighted by
  how rare each word is across entries; words no entry knows weigh most, so "strike pay" is
  not explained by the strike date),
- containment: how much of one phrasing (by word rarity) the question contains,
- similarity: fuzzy closeness to the nearest phrasings (rapidfuzz, on sorted stems).
Plain `WRatio`/`token_set_ratio` are not used: they score 100 on one shared word.

The same index answers "what if this phrasing (or this whole entry) were not there", so the
confidence model can be trained by leaving phrasings out without rebuilding anything.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process, utils

from bot.answers.text import Normaliser, asking_kind

COMMON_POSTINGS = 64  # a word in more entries than this is "common" (see LexicalIndex.score)
CANDIDATES = 6  # entries scored in full per question, best coverage first
SIMILARITY_PHRASINGS = 4  # per candidate: the phrasings sharing the most with the question
# Ranking weights: they only order candidates for search and the consistency check;
# the answer/decline decision is made by the fitted confidence model.
COVERAGE_WEIGHT, CONTAINED_WEIGHT, SIMILARITY_WEIGHT = 0.65, 0.23, 0.12
PHRASING_EVIDENCE = 2.5  # rarity a shared phrasing needs before it counts in full


@dataclass(frozen=True)
class Entry:
    """What the index knows of one fact or decline example."""

    id: str
    phrasings: tuple[str, ...]
    about: str = ""  # title and keywords: what it is about
    text: str = ""  # answer and quotes: words it explains, less centrally


@dataclass(frozen=True)
class Held:
    """What a leave-out question must not see: some phrasings of an entry, or all of it."""

    entry: str
    phrasings: frozenset[int] | None = None  # None: the whole entry


@dataclass(frozen=True)
class Lexical:
    """One candidate's word-level evidence."""

    entry: str
    score: float
    evidence: float  # rarity-weighted words shared with the question, before normalising
    coverage: float
    contained: float
    similarity: float


@dataclass
class _EntryIndex:
    weights: dict[str, float]
    phrasing_sets: list[frozenset[str]]
    phrasing_totals: list[float] = field(default_factory=list)
    by_stem: dict[str, list[int]] = field(default_factory=dict)  # stem -> phrasings with it
    anchors: frozenset[str] = frozenset()
    fixed: frozenset[str] = frozenset()  # stems of the answer and quotes
    start: int = 0  # this entry's slice of LexicalIndex._phrasings
    end: int = 0
    kinds: list[str] = field(default_factory=list)  # each phrasing's question word (text.asking_kind)
    kind_counts: dict[str, int] = field(default_factory=dict)


def _centrality(stems_per_phrasing: list[set[str]], anchors: set[str]) -> dict[str, float]:
    """How central a stem is to an entry: in every phrasing, its keywords or title -> ~1."""
    counts: dict[str, int] = defaultdict(int)
    for stems in stems_per_phrasing:
        for s in stems:
            counts[s] += 1
    n = max(len(stems_per_phrasing), 1)
    weights = {s: 0.55 + 0.45 * min(1.0, 2 * c / n) for s, c in counts.items()}
    for s in anchors:
        weights[s] = max(weights.get(s, 0.0), 0.9)
    return weights


class LexicalIndex:
    """Word-level index over entries; build once, call `score` often."""

    def __init__(self, entries: list[Entry], norm: Normaliser) -> None:
        """Index every entry once; rarity (idf) needs them all."""
        self.norm = norm
        self.index: dict[str, _EntryIndex] = {}
        self.postings: dict[str, list[str]] = defaultdict(list)
        self._phrasings: list[str] = []
        for entry in entries:
            self._add(entry)
        n = max(len(entries), 1)
        self.idf = {s: math.log(1 + n / len(ids)) for s, ids in self.postings.items()}
        self.unknown_idf = math.log(1 + n / 0.5)
        for idx in self.index.values():
            idx.phrasing_totals = [sum(self.idf.get(s, 0.0) for s in p) for p in idx.phrasing_sets]

    def _add(self, entry: Entry) -> None:
        """One entry: its phrasings' stems, how central each stem is, and its postings."""
        per_phrasing = [set(self.norm.content(p)) for p in entry.phrasings]
        anchors = set(self.norm.content(entry.about))
        fixed = set(self.norm.content(entry.text))
        weights = _centrality([p for p in per_phrasing if p], anchors)
        for s in fixed:
            weights.setdefault(s, 0.4)
        start = len(self._phrasings)
        # Processed once here, so the per-question call can skip processing.
        self._phrasings += [utils.default_process(" ".join(sorted(p))) for p in per_phrasing]
        by_stem: dict[str, list[int]] = defaultdict(list)
        for i, stems in enumerate(per_phrasing):
            for s in stems:
                by_stem[s].append(i)
        self.index[entry.id] = _EntryIndex(
            weights, [frozenset(p) for p in per_phrasing], by_stem=dict(by_stem),
            anchors=frozenset(anchors), fixed=frozenset(fixed), start=start, end=len(self._phrasings),
            kinds=(kinds := [asking_kind(self.norm.words(p)) for p in entry.phrasings]),
            kind_counts=dict(Counter(kinds)),
        )
        for s in weights:
            self.postings[s].append(entry.id)

    def phrasing_texts(self, eid: str) -> list[str]:
        """An entry's phrasings as the fuzzy comparison sees them (sorted stems)."""
        idx = self.index[eid]
        return self._phrasings[idx.start:idx.end]

    def asks_alike(self, eid: str, kind: str, held: Held | None = None) -> float:
        """The share of the entry's phrasings that ask with the question's own question word."""
        idx = self.index[eid]
        hidden = held.phrasings if held is not None and held.entry == eid and held.phrasings else None
        if not kind or not idx.kinds:
            return 0.0
        if hidden is None:
            return idx.kind_counts.get(kind, 0) / len(idx.kinds)
        shown = [k for i, k in enumerate(idx.kinds) if i not in hidden]
        return shown.count(kind) / len(shown) if shown else 0.0

    def known(self, stem: str, held: Held | None = None) -> bool:
        """Whether some entry knows the word (leaving out what `held` hides)."""
        owners = self.postings.get(stem)
        if not owners:
            return False
        if held is None or owners != [held.entry]:
            return True
        if held.phrasings is None:
            return False
        return self._weight(held.entry, stem, held) > 0

    def _weight(self, eid: str, s: str, held: Held | None) -> float:
        """The entry's weight for a stem, as if the held-out phrasing were not there."""
        idx = self.index[eid]
        w = idx.weights.get(s, 0.0)
        if held is not None and held.entry == eid and w and held.phrasings is not None \
                and (having := idx.by_stem.get(s)) and held.phrasings.issuperset(having):
            return 0.9 if s in idx.anchors else (0.4 if s in idx.fixed else 0.0)
        return w

    def score(self, stems: list[str], extra: tuple[str, ...] = (), held: Held | None = None,
              limit: int = CANDIDATES) -> list[Lexical]:
        """Candidates best first: the top `limit` by coverage, plus the `extra` entries."""
        if not stems:  # all filler ("wots goin on"): only meaning can place it
            return [Lexical(e, 0.0, 0.0, 0.0, 0.0, 0.0) for e in extra if e in self.index]
        gone = held.entry if held is not None and held.phrasings is None else None
        qweights = {s: self.idf[s] for s in stems if s in self.idf and self.known(s, held)}
        # Words no entry knows count heavily ("strike *pay*"), but only the first two: a long
        # message is mostly context, not the thing asked about.
        unknown = len(stems) - len(qweights)
        total = sum(qweights.values()) + self.unknown_idf * min(unknown, 2)
        coverage: dict[str, float] = defaultdict(float)
        # Rarest words first. A very common word only adds to entries already found through
        # rarer ones: walking its long postings list would cost more than it could change.
        index = self.index
        for s, q in sorted(qweights.items(), key=lambda sq: -sq[1]):
            postings = self.postings[s]
            common = bool(coverage) and len(postings) > COMMON_POSTINGS
            for eid in (list(coverage) if common else postings):
                if eid != gone:
                    w = self._weight(eid, s, held) if held is not None else index[eid].weights.get(s, 0.0)
                    coverage[eid] += q * w
        ids = sorted((e for e in coverage if coverage[e] > 0), key=coverage.__getitem__, reverse=True)[:limit]
        ids += [e for e in extra if e not in ids and e != gone and e in self.index]
        if not ids:
            return []
        shared = {eid: self._shared(eid, qweights, held) for eid in ids}
        similarity = self._similarity(" ".join(sorted(stems)), shared)
        out = []
        for eid in ids:
            cov = coverage.get(eid, 0.0) / total if total else 0.0
            inside = self._contained(self.index[eid], shared[eid])
            sim = similarity.get(eid, 0.0)
            combined = COVERAGE_WEIGHT * cov + CONTAINED_WEIGHT * inside + SIMILARITY_WEIGHT * sim
            out.append(Lexical(eid, combined, coverage.get(eid, 0.0), cov, inside, sim))
        out.sort(key=lambda c: c.score, reverse=True)
        return out

    def _shared(self, eid: str, qweights: dict[str, float], held: Held | None) -> dict[int, float]:
        """For each phrasing sharing a word with the question: the rarity of what it shares."""
        skip = (held.phrasings or frozenset()) if held is not None and held.entry == eid else frozenset()
        by_stem = self.index[eid].by_stem
        acc: dict[int, float] = defaultdict(float)
        for s, w in qweights.items():
            for i in by_stem.get(s, ()):
                if i not in skip:
                    acc[i] += w
        return acc

    def _similarity(self, query: str, shared: dict[str, dict[int, float]]) -> dict[str, float]:
        """Best fuzzy similarity of the question to each candidate's phrasings, in one call.

        Only phrasings sharing a word with the question are compared: the others cannot be
        the best match, and skipping them keeps a 100x knowledge base fast.
        """
        choices: list[str] = []
        owners: list[str] = []
        for eid, acc in shared.items():
            start = self.index[eid].start
            closest = sorted(acc, key=acc.__getitem__, reverse=True)[:SIMILARITY_PHRASINGS]
            choices += [self._phrasings[start + i] for i in closest]
            owners += [eid] * len(closest)
        best: dict[str, float] = {}
        for _, score, i in process.extract(
            utils.default_process(query), choices, scorer=fuzz.token_sort_ratio, processor=None, limit=None
        ):
            best[owners[i]] = max(best.get(owners[i], 0.0), score / 100)
        return best

    @staticmethod
    def _contained(idx: _EntryIndex, shared: dict[int, float]) -> float:
        """How much of the best phrasing (by word rarity) the question contains.

        A phrasing made only of common words ("napo strike") is weak evidence even when the
        question contains all of it, so its share is scaled down.
        """
        totals = idx.phrasing_totals
        best = 0.0
        for i, weight in shared.items():
            share = weight / totals[i] if totals[i] else 0.0
            if weight < PHRASING_EVIDENCE:
                share *= weight / PHRASING_EVIDENCE
            if share > best:  # not max(): this loop runs thousands of times a question
                best = share
        return best
