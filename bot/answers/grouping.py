"""Groups unanswered questions into gaps, with the engine's own normalisation and similarity.

"do we get strike pay", "strike pay?" and "will there be strike pay on the day" are one gap.
Each wording is reduced to the matcher's content stems (`Normaliser.content`: text-speak,
synonyms, spelling, stems, no filler). Stems are weighted by rarity across the knowledge
base's facts, as the matcher weighs them (a word no fact knows weighs most), so sharing
"strike", which every union question has, does not make two questions one. Two wordings
are one gap when their weighted overlap, or rapidfuzz `token_sort_ratio` on their stems
(the matcher's similarity), is high enough. `token_set_ratio` is not used: it scores 100 on
one shared word. Measured with `python bench/bench_grouping.py` (see the README).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from rapidfuzz import fuzz

from bot.answers.knowledge import KnowledgeBase
from bot.answers.text import Normaliser

SAME_GAP = 0.7  # similarity at or above which two wordings are one gap
FUZZY_DISCOUNT = 0.9  # fuzzy similarity alone is weaker evidence than shared rare words


class Asked(Protocol):
    """What grouping needs of a stored wording (the store's GapQuestion fits)."""

    @property
    def id(self) -> int: ...
    @property
    def question(self) -> str: ...
    @property
    def count(self) -> int: ...
    @property
    def last_day(self) -> date: ...


@dataclass(frozen=True)
class Gap:
    """Similar unanswered wordings: one representative, their total count, when last asked."""

    wordings: tuple[str, ...]  # most asked first; the first is the representative
    ids: tuple[int, ...]
    count: int
    last_day: date

    @property
    def representative(self) -> str:
        return self.wordings[0]


class GapGrouper:
    """Groups wordings for one knowledge base; build once per engine."""

    def __init__(self, kb: KnowledgeBase, norm: Normaliser, threshold: float = SAME_GAP) -> None:
        self.norm = norm
        self.threshold = threshold
        postings: dict[str, int] = defaultdict(int)
        for fact in kb.facts.values():
            stems: set[str] = set()
            for text in (fact.title, fact.answer, *fact.phrasings, *fact.keywords):
                stems.update(norm.content(text))
            for s in stems:
                postings[s] += 1
        n = max(len(kb.facts), 1)
        self._weights = {s: math.log(1 + n / df) for s, df in postings.items()}
        self._unknown = math.log(1 + n / 0.5)

    def weight(self, stem: str) -> float:
        return self._weights.get(stem, self._unknown)

    def similarity(self, a: Sequence[str], b: Sequence[str]) -> float:
        """How alike two wordings' content stems are, 0..1: the larger of the rarity-weighted
        overlap (half Dice, half containment of the smaller, which must say enough to count)
        and discounted fuzzy similarity."""
        if not a or not b:
            return 0.0
        sa, sb = set(a), set(b)
        fuzzy = fuzz.token_sort_ratio(" ".join(sorted(sa)), " ".join(sorted(sb))) / 100
        wa, wb = sum(map(self.weight, sa)), sum(map(self.weight, sb))
        shared = sum(map(self.weight, sa & sb))
        # Containing the smaller wording counts in full only if it says as much as a word no
        # fact knows: "will there be more strikes" is all in "off sick during the strike", yet
        # it is not that question (and through it every strike question would chain together).
        overlap = 0.5 * (2 * shared / (wa + wb)) + 0.5 * (shared / max(min(wa, wb), self._unknown))
        return max(FUZZY_DISCOUNT * fuzzy, overlap)

    def group(self, asked: Sequence[Asked]) -> list[Gap]:
        """Gaps, most asked first (then most recent). Each wording joins the group holding the
        wording most similar to it, if that is similar enough; otherwise it starts a group."""
        ordered = sorted(asked, key=lambda a: (-a.count, -a.last_day.toordinal(), a.id))
        groups: list[list[tuple[Asked, list[str]]]] = []
        for item in ordered:
            stems = self.norm.content(item.question)
            best, best_score = None, self.threshold
            for group in groups:
                score = max(self.similarity(stems, other) for _, other in group)
                if score >= best_score:
                    best, best_score = group, score
            if best is None:
                groups.append([(item, stems)])
            else:
                best.append((item, stems))
        gaps = [
            Gap(
                wordings=tuple(a.question for a, _ in group), ids=tuple(a.id for a, _ in group),
                count=sum(a.count for a, _ in group), last_day=max(a.last_day for a, _ in group),
            )
            for group in groups
        ]
        gaps.sort(key=lambda g: (-g.count, -g.last_day.toordinal(), g.ids[0]))
        return gaps
