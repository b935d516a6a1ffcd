"""A fitted estimate of "this candidate is the right answer", learned from the knowledge base.

Hand-set thresholds tuned on one question set did not carry over to another, so the
decision is a logistic regression over the candidate features instead. It is trained on the
knowledge base itself:
- positives: each phrasing asked with itself left out of the index (its entry must win),
  and again with its near copies left out too, and some with a dictionary word added that
  no entry uses;
- negatives: the other candidates of those questions, and each phrasing asked with its
  whole entry left out (a question about something the base does not cover), which
  includes the decline examples.
Fitting takes a few seconds, so the fitted weights are committed (calibration.json, built
by scripts/fit_calibration.py) with the fingerprint of the base they were fitted on; a base
that differs (an organiser's edit) is refitted at load time and cached.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from rapidfuzz import fuzz, process

from bot.answers.features import FEATURES, Candidate, candidates
from bot.answers.lexical import Held
from bot.answers.semantic import cache_dir
from bot.answers.text import asking_kind, english, stem

if TYPE_CHECKING:
    from bot.answers.matcher import Matcher

ARTIFACT = Path(__file__).resolve().parent / "calibration.json"
# The model for the transformer's second reading of unsure questions (encoder.py).
ENCODER_ARTIFACT = Path(__file__).resolve().parent / "calibration-encoder.json"
L2 = 1.0  # ridge penalty on standardised features: keeps weights sane on a small base
# A member's wording is rarely a near copy of one of ours. Trained only on phrasings asked
# with just themselves left out, the model learnt that a right answer looks like a near
# copy and declined new wordings (cross-validated answer_acc 0.56 on phrasings asked without
# their near copies, 0.68 once the fit sees such questions too). So each phrasing is also
# asked with this share of its siblings, the closest in wording, left out. With this share
# the word and meaning signals rank such questions about as well as they rank questions
# written apart from the knowledge base.
NEAR_COPIES = 0.1
NEAR_FROM = 3  # content words; a one- or two-word question has no near copies, only repeats
# Our phrasings use the base's own words, so the model met an unknown dictionary word almost
# only where one had replaced a question's key word, and learnt that any unknown word means
# "not covered"; yet members' wordings often have one (half of bench/fresh-wordings.yaml:
# "what magnitude of expenditure..."). So every PADDED-th fact phrasing of NEAR_FROM content
# words or more is also asked with an unrelated dictionary word added, its near copies left
# out: still its fact's. Every fifth: fresh wordings one_tap 0.787 -> 0.831, cross-validation
# near copies 0.874 -> 0.889, for key-swapped questions answered 0.073 -> 0.112; every third:
# 0.856 and 0.894 for 0.134, but "who won the football last night" got a dispute topic.
PADDED = 5


# Products of these features are added to the model's inputs: whether close meaning matters
# depends on how many words are shared, and a linear model cannot say that on its own.
PAIRED = ("lexical", "coverage", "contained", "semantic", "semantic_margin", "lexical_margin",
          "unknown_share", "unknown_english", "length", "decline_entry", "semantic_votes",
          "semantic_share", "lexical_share", "asks_alike")
_PAIRS = [(FEATURES.index(a), FEATURES.index(b)) for i, a in enumerate(PAIRED) for b in PAIRED[i:]]
_LEFT, _RIGHT = np.array([i for i, _ in _PAIRS]), np.array([j for _, j in _PAIRS])
PAIR_COUNT = len(_PAIRS)
PAIRS_FROM = 2000  # candidate rows needed before the products are fitted (a tiny base has ~50)
FIT_AT_LOAD = 300  # phrasings: a base smaller than this is fitted at load time when it changed
# What `expand` does and how the training questions are made: a saved model of another form
# (a cached fit from before padding, say) is refitted.
FORM = f"pairs-{PAIR_COUNT}-padded-{PADDED}"


def expand(rows: np.ndarray) -> np.ndarray:
    """The features, then the products of the paired ones."""
    rows = np.atleast_2d(rows)
    return np.hstack([rows, rows[:, _LEFT] * rows[:, _RIGHT]])


@dataclass(frozen=True)
class Calibration:
    """Logistic regression weights over standardised features, and what they were fitted on."""

    fingerprint: str
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    names: tuple[str, ...] = FEATURES
    form: str = FORM

    def probability(self, rows: np.ndarray) -> np.ndarray:
        """P(right answer) for each candidate row."""
        z = ((expand(rows) - self.mean) / self.scale) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def to_json(self) -> dict[str, object]:
        """For the committed artifact: plain numbers, rounded so diffs stay readable."""
        return {
            "fingerprint": self.fingerprint, "features": list(self.names), "form": self.form,
            "mean": [round(float(x), 6) for x in self.mean],
            "scale": [round(float(x), 6) for x in self.scale],
            "weights": [round(float(x), 6) for x in self.weights], "bias": round(self.bias, 6),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Calibration:
        """Back from `to_json`."""
        return cls(
            fingerprint=str(data["fingerprint"]), mean=np.array(data["mean"], dtype=np.float64),
            scale=np.array(data["scale"], dtype=np.float64),
            weights=np.array(data["weights"], dtype=np.float64),
            bias=float(data["bias"]), names=tuple(str(n) for n in data["features"]),
            form=str(data.get("form", "")),
        )

    @property
    def current(self) -> bool:
        """Fitted on today's features in today's form (else it must be refitted)."""
        return self.names == FEATURES and self.form == FORM and len(self.weights) == len(self.mean)


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = L2,
                 iterations: int = 30) -> tuple[np.ndarray, float]:
    """Newton's method on the L2-penalised log loss (x already standardised)."""
    n, d = x.shape
    xb = np.hstack([x, np.ones((n, 1))])
    w = np.zeros(d + 1)
    penalty = np.full(d + 1, l2)
    penalty[-1] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(xb @ w)))
        grad = xb.T @ (p - y) + penalty * w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + np.diag(penalty) + 1e-9 * np.eye(d + 1)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return w[:-1], float(w[-1])


@dataclass(frozen=True)
class Question:
    """One training question: which entry asked it and whether that entry was left in."""

    entry: str
    phrasing: int
    answerable: bool  # False: the whole entry was left out, or its key word swapped
    swapped: bool = False
    near: bool = False  # its near copies were left out too
    padded: bool = False  # asked with an unknown dictionary word added


def _stranger_words(matcher: Matcher, count: int = 2000) -> list[str]:
    """Dictionary words no entry knows, in a fixed pseudo-random order (reproducible fits)."""
    words = sorted(w for w in english() if 4 <= len(w) <= 10 and w.isalpha()
                   and not matcher.lexical.known(stem(w)) and w not in matcher.norm.stopwords)
    rng = random.Random(8)
    return rng.sample(words, min(count, len(words)))


def _swapped(matcher: Matcher, words: list[str], stems: list[str], stranger: str) -> list[str] | None:
    """The question with its rarest content word replaced by an unrelated dictionary word:
    now it asks about something the knowledge base does not cover."""
    idf = matcher.lexical.idf
    known = [s for s in stems if s in idf]
    if not known:
        return None
    key = max(known, key=idf.__getitem__)
    return [stranger if w not in matcher.norm.stopwords and stem(w) == key else w for w in words]


def _near_copies(matcher: Matcher, entry: str, count: int) -> list[frozenset[int]]:
    """Per phrasing: itself and the NEAR_COPIES share of its siblings closest to it in wording.

    Closeness is in words, not meaning, so that what counts as a near copy does not depend
    on the embedding model being measured.
    """
    if count == 0:
        return []
    texts = matcher.lexical.phrasing_texts(entry)
    closeness = process.cdist(texts, texts, scorer=fuzz.ratio, processor=None, workers=1)
    closest = np.argsort(-closeness, axis=1, kind="stable")
    k = max(1, round(NEAR_COPIES * (count - 1)))
    return [frozenset({i, *(int(j) for j in closest[i, : k + 1])}) for i in range(count)]


def leave_out_questions(matcher: Matcher) -> Iterator[tuple[Question, list]]:
    """Every phrasing asked four ways: without itself in the index; without its near copies
    either (as a member would word it, in words none of ours use); without its whole entry;
    and with its key word swapped for an unrelated one (the last two unanswerable). Some are
    asked a fifth way: with an unrelated word added, and their near copies left out."""
    sem, lex = matcher.semantic, matcher.lexical
    strangers = _stranger_words(matcher)
    k = 0
    for entry in matcher.entries:
        near = _near_copies(matcher, entry.id, len(entry.phrasings))
        for i, phrasing in enumerate(entry.phrasings):
            words = matcher.norm.words(phrasing)
            stems, dictionary = matcher.terms(words)
            kind = asking_kind(words)
            vector = sem.vectors[sem.row(entry.id, i)]
            asked = [(Question(entry.id, i, True), Held(entry.id, frozenset({i}))),
                     (Question(entry.id, i, False), Held(entry.id, None))]
            if len(stems) >= NEAR_FROM and near[i] != {i}:
                asked.append((Question(entry.id, i, True, near=True), Held(entry.id, near[i])))
            for question, held in asked:
                cands = candidates(lex, sem, stems, vector, held, matcher.decline_ids, dictionary, kind)
                if cands:
                    yield question, cands
            swapped = _swapped(matcher, words, stems, strangers[k % len(strangers)]) if strangers else None
            k += 1
            if strangers and k % PADDED == 0 and len(stems) >= NEAR_FROM and entry.id in matcher.kb.facts:
                padded = [strangers[(k + len(strangers) // 2) % len(strangers)], *words]
                cands = _reworded(matcher, padded, Held(entry.id, near[i]))
                if cands:
                    yield Question(entry.id, i, True, near=True, padded=True), cands
            if swapped is not None:
                cands = _reworded(matcher, swapped, Held(entry.id, near[i]))
                if cands:
                    yield Question(entry.id, i, False, swapped=True), cands


def _reworded(matcher: Matcher, words: list[str], held: Held) -> list[Candidate]:
    """Candidates for a phrasing the fit changed (a word swapped or added): its words are
    read and embedded afresh, as a member's question would be."""
    stems, dictionary = matcher.terms(words)
    return candidates(matcher.lexical, matcher.semantic, stems, matcher.semantic.query(" ".join(words)),
                      held, matcher.decline_ids, dictionary, asking_kind(words))


def training_set(matcher: Matcher) -> tuple[np.ndarray, np.ndarray, list[Question], list[list[str]]]:
    """Feature rows, labels, and per row the question it came from (for cross-validation)."""
    rows, labels, owners, ids = [], [], [], []
    for question, cands in leave_out_questions(matcher):
        ids.append([c.entry for c in cands])
        for c in cands:
            rows.append(c.row)
            labels.append(float(question.answerable and c.entry == question.entry))
            owners.append(question)
    return np.array(rows), np.array(labels), owners, ids


def fit(x: np.ndarray, y: np.ndarray, fingerprint: str) -> Calibration:
    """Expand, standardise and fit; on too little data the products stay out (weight 0)."""
    x = expand(x)
    if len(x) < PAIRS_FROM:
        x[:, len(FEATURES):] = 0.0
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale = np.where(scale > 1e-9, scale, 1.0)
    weights, bias = fit_logistic((x - mean) / scale, y)
    return Calibration(fingerprint, mean, scale, weights, bias)


def fit_matcher(matcher: Matcher) -> Calibration:
    """Fit on the matcher's own knowledge base."""
    x, y, _, _ = training_set(matcher)
    return fit(x, y, matcher.fingerprint)


def load(path: Path) -> Calibration | None:
    """A saved calibration, or None if it is missing or unreadable."""
    try:
        return Calibration.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(calibration: Calibration, path: Path) -> None:
    """Write atomically; a read-only location is the caller's to handle (OSError)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False,
                                     encoding="utf-8") as fh:
        json.dump(calibration.to_json(), fh, indent=1)
        fh.write("\n")
    os.replace(fh.name, path)


def for_matcher(matcher: Matcher, artifact: Path = ARTIFACT) -> Calibration:
    """The committed calibration if it was fitted on this base, else a cached fit.

    Otherwise a small base (another union's first draft, a test's) is fitted now, in well
    under a second. A large one borrows the committed model rather than stall start-up or
    a /reload for the ten seconds a fit takes: its features do not depend on the base, and
    `check` says to refit (scripts/fit_calibration.py).
    """
    committed = load(artifact)
    for found in (committed, load(cache_dir() / f"calibration-{matcher.fingerprint}.json")):
        if found is not None and found.fingerprint == matcher.fingerprint and found.current:
            return found
    phrasings = sum(len(e.phrasings) for e in matcher.entries)
    if committed is not None and committed.current and phrasings >= FIT_AT_LOAD:
        return committed
    fitted = fit_matcher(matcher)
    with contextlib.suppress(OSError):  # a read-only cache only costs the fit at the next start
        save(fitted, cache_dir() / f"calibration-{matcher.fingerprint}.json")
    return fitted


def committed(artifact: Path) -> Calibration | None:
    """The committed model as it is, even if fitted on another base, for the transformer's
    reading: fitting that one encodes thousands of questions, far too slow for start-up."""
    found = load(artifact)
    return found if found is not None and found.current else None
