"""What the confidence model sees of each candidate: word evidence plus meaning.

One function builds the candidates and their feature rows for a live question and for a
leave-out training question alike, so the model is trained on exactly what it is asked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bot.answers.lexical import Held, Lexical, LexicalIndex
from bot.answers.semantic import SemanticIndex

SEMANTIC_CANDIDATES = 4  # entries closest in meaning, added to the best by words
LEXICAL_CANDIDATES = 4

FEATURES = (
    "lexical", "coverage", "contained", "fuzzy", "semantic", "semantic_margin", "lexical_margin",
    "lexical_top", "semantic_top", "unknown_share", "length", "evidence", "decline_entry",
)


@dataclass(frozen=True)
class Candidate:
    """One entry that might answer the question, with its feature row."""

    entry: str
    lexical: Lexical
    semantic: float
    row: np.ndarray


def semantic_mask(sem: SemanticIndex, held: Held | None) -> np.ndarray | None:
    """Rows a leave-out question must not see."""
    if held is None or held.entry not in sem.position:
        return None
    mask = np.ones(sem.vectors.shape[0], dtype=bool)
    if held.phrasing is None:
        mask[sem.rows(held.entry)] = False
    else:
        mask[sem.row(held.entry, held.phrasing)] = False
    return mask


def candidates(lex: LexicalIndex, sem: SemanticIndex, stems: list[str], vector: np.ndarray,
               held: Held | None = None, declines: frozenset[str] = frozenset()) -> list[Candidate]:
    """Candidates (best by words, and closest in meaning) with their feature rows."""
    if not stems:
        return []
    best = sem.best(vector, semantic_mask(sem, held))
    order = np.argsort(-best)
    extra = tuple(sem.ids[i] for i in order[:SEMANTIC_CANDIDATES] if best[i] > -1)
    scored = lex.score(stems, extra, held, limit=LEXICAL_CANDIDATES)
    if not scored:
        return []
    top_sem = sem.ids[int(order[0])]
    second_sem = float(best[order[1]]) if len(order) > 1 else -1.0
    unknown = sum(1 for s in stems if not lex.known(s, held))
    unknown_share = unknown / len(stems)
    length = math.log1p(len(stems))
    lex_scores = [c.score for c in scored]
    out = []
    for i, c in enumerate(scored):
        s = float(best[sem.position[c.entry]])
        other_sem = second_sem if c.entry == top_sem else float(best[order[0]])
        other_lex = max((x for j, x in enumerate(lex_scores) if j != i), default=0.0)
        row = np.array([
            c.score, c.coverage, c.contained, c.similarity, s, s - other_sem, c.score - other_lex,
            float(i == 0), float(c.entry == top_sem), unknown_share, length,
            min(c.evidence, 6.0) / 6.0, float(c.entry in declines),
        ], dtype=np.float64)
        out.append(Candidate(c.entry, c, s, row))
    return out
