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
    "lexical_top", "semantic_top", "unknown_share", "unknown_english", "length", "evidence", "decline_entry",
    "semantic_votes", "semantic_share", "lexical_share", "asks_alike", "asks_kind",
)
SHARE_TEMPERATURE = 0.05  # softmax temperature turning scores into shares among entries


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
    if held.phrasings is None:
        mask[sem.rows(held.entry)] = False
    else:
        for i in held.phrasings:
            mask[sem.row(held.entry, i)] = False
    return mask


def candidates(lex: LexicalIndex, sem: SemanticIndex, stems: list[str], vector: np.ndarray,
               held: Held | None = None, declines: frozenset[str] = frozenset(),
               english: frozenset[str] = frozenset(), kind: str = "") -> list[Candidate]:
    """Candidates (best by words, and closest in meaning) with their feature rows.

    `english`: the stems of dictionary words. An unknown dictionary word ("pension") says
    the question is about something else; an unknown non-word is more likely a typo.
    `kind`: the question's question word ("when"), which the entry's phrasings may share.
    """
    if not stems and not vector.any():
        return []
    best, votes = sem.best(vector, semantic_mask(sem, held))
    shares = np.exp((votes - votes.max()) / SHARE_TEMPERATURE)
    shares /= shares.sum()
    order = np.argsort(-best)
    extra = tuple(sem.ids[i] for i in order[:SEMANTIC_CANDIDATES] if best[i] > -1)
    scored = lex.score(stems, extra, held, limit=LEXICAL_CANDIDATES)
    if not scored:
        return []
    top_sem = sem.ids[int(order[0])]
    second_sem = float(best[order[1]]) if len(order) > 1 else -1.0
    unknown = [s for s in stems if not lex.known(s, held)]
    unknown_share = len(unknown) / max(len(stems), 1)
    unknown_english = sum(1 for s in unknown if s in english) / max(len(stems), 1)
    length = math.log1p(len(stems))
    lex_scores = [c.score for c in scored]
    lex_shares = np.exp((np.array(lex_scores) - max(lex_scores)) / SHARE_TEMPERATURE)
    lex_shares /= lex_shares.sum()
    out = []
    for i, c in enumerate(scored):
        pos = sem.position[c.entry]
        s = float(best[pos])
        other_sem = second_sem if c.entry == top_sem else float(best[order[0]])
        other_lex = max((x for j, x in enumerate(lex_scores) if j != i), default=0.0)
        row = np.array([
            c.score, c.coverage, c.contained, c.similarity, s, s - other_sem, c.score - other_lex,
            float(i == 0), float(c.entry == top_sem), unknown_share, unknown_english, length,
            min(c.evidence, 6.0) / 6.0, float(c.entry in declines),
            float(votes[pos]), float(shares[pos]), float(lex_shares[i]),
            lex.asks_alike(c.entry, kind, held), float(bool(kind)),
        ], dtype=np.float64)
        out.append(Candidate(c.entry, c, s, row))
    return out
