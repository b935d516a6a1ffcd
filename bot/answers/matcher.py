"""Decides whether a question is answered by a fact, needs a "did you mean", or is declined.

A wrong answer on a picket line is worse than "I don't know". Candidates come from word
evidence (lexical.py) and meaning (semantic.py); a model fitted on the knowledge base
(calibration.py) turns their features into the probability that each is the right answer,
and that probability alone picks the outcome:
- answer when the best fact is probably right,
- "did you mean" when the right fact is probably among the best two or three,
- decline otherwise (with a decline example's own reply when one matches), showing the
  closest topics only when they are plausibly related.
A question the static model leaves unsure is read again by the full transformer
(encoder.py), with a confidence model fitted on that reading, before anything is decided.
A question worded exactly as one fact's phrasing is that fact, without either reading.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Container, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
from rapidfuzz import fuzz, process

from bot.answers.calibration import ARTIFACT, ENCODER_ARTIFACT, Calibration, committed, for_matcher
from bot.answers.encoder import Encoder
from bot.answers.features import FEATURES, Candidate, candidates
from bot.answers.knowledge import Decline, Fact, KnowledgeBase, SmallTalk
from bot.answers.lexical import CANDIDATES, Entry, LexicalIndex
from bot.answers.organiser import is_organiser_fact
from bot.answers.semantic import MODEL_DIR, Embedder, Encodes, SemanticIndex
from bot.answers.text import STOPWORDS, Normaliser, asking_kind, english, is_english, stem

Kind = Literal["answer", "clarify", "decline", "smalltalk", "empty"]
DECLINE_PREFIX = "decline:"  # entry ids of decline examples, apart from fact ids

# Decision points on the fitted probability, chosen on cross-validation over the
# knowledge base (scripts/fit_calibration.py prints the trade-off): a wrong answer costs
# about three missed ones, a tap costs less than either.
ANSWER = 0.4  # answer when the best fact is at least this likely to be right
# A fact this likely is plausibly related: worth a button. Cross-validation: from 0.1 down to
# 0.07, 94% of the buttons added to answerable questions are the right fact (one_tap +1.7
# points for clarify_rate +1.8), and a question no fact covers gets buttons 32% of the time
# instead of 24%; lower than that, buttons for such questions become the rule.
RELATED = 0.07
# Once a member is shown a button, and so must tap anyway, the next facts down to this
# likelihood fill the choice to three: cross-validation without near copies, one_tap 0.856 ->
# 0.874 at the same clarify_rate (0.02: 0.869; 0: 0.878, but 1% is already a long shot).
ALSO = 0.01
CLARIFY = 0.25  # "did you mean" when the buttons together are this likely; else decline
SMALLTALK = 86.0  # rapidfuzz ratio for "hi"/"thanks" look-alikes
# Below this probability the static reading is unsure, and the transformer reads the
# question again (a few ms). Cross-validation: the second reading gains nothing above 0.7,
# and from 0.5 down it answers more wrongly.
REFINE = 0.6
REFINE_WORDS = 2  # content words; cross-validation: asking from two words up loses 0.2 points
REFINE_TEXTS = 20_000  # a base with more texts skips the second reading: indexing takes minutes


@dataclass(frozen=True)
class Match:
    """The matcher's verdict on one question."""

    kind: Kind
    question: str
    fact: Fact | None = None
    score: float = 0.0  # the fitted probability that `fact` (or the best candidate) is right
    suggestions: tuple[Fact, ...] = ()
    smalltalk: SmallTalk | None = None
    unknown: tuple[str, ...] = ()
    decline: Decline | None = None  # the decline example this question matched
    related: tuple[Fact, ...] = ()  # for a decline: plausibly related topics
    runner_up: Fact | None = None  # for an answer: another fact plausibly right, one tap away
    focus: str = ""  # the part of a long message the verdict was reached on
    unsure: bool = False  # decided without the second reading it would have had


def decide(ranked: list[tuple[str, float]], facts: Container[str],
           answer: float = ANSWER) -> tuple[Kind, list[str]]:
    """The outcome for candidates ranked by probability, and the entries it names.

    answer: the fact, then the runner-up if it too is plausibly related (RELATED), to offer
    first among the related buttons; clarify: the facts to offer; decline: the matched
    decline example first (if any), then the facts to show as topics. Buttons come only when
    the best fact is plausibly related, and are then filled to three (ALSO).
    """
    total = sum(q for _, q in ranked)
    if total > 1.0:  # only one can be right: estimates made one candidate at a time overlap
        ranked = [(e, q / total) for e, q in ranked]
    top, p = ranked[0]
    offered = [(e, q) for e, q in ranked if q >= ALSO and e in facts][:3]
    buttons = offered if offered and offered[0][1] >= RELATED else []
    if top not in facts:
        return "decline", ([top] if p >= RELATED else []) + [e for e, _ in buttons]
    if p >= answer:
        return "answer", [top] + [e for e, q in ranked[1:] if q >= RELATED and e in facts][:1]
    if buttons and sum(q for _, q in buttons if q >= RELATED) >= CLARIFY:
        return "clarify", [e for e, _ in buttons]
    return "decline", [e for e, _ in buttons]


@lru_cache(maxsize=2)
def shared_embedder(directory: Path = MODEL_DIR) -> Embedder:
    """One model per process: reloading the knowledge base must not reload the weights."""
    return Embedder(directory)


@lru_cache(maxsize=1)
def shared_encoder() -> Encoder:
    """The transformer, loaded once per process like the static model."""
    return Encoder()


def certainty(ranked: Sequence[tuple[object, float]]) -> float:
    """The best candidate's probability, scaled as `decide` scales it."""
    total = sum(p for _, p in ranked)
    return ranked[0][1] / max(total, 1.0) if ranked else 0.0


class Matcher:
    """Matches questions against one knowledge base; build once, call `match` often."""

    def __init__(self, kb: KnowledgeBase, embedder: Encodes | None = None,
                 calibration: Calibration | None = None, artifact: Path = ARTIFACT,
                 refine: bool = True, refine_calibration: Calibration | None = None) -> None:
        """Index words and meaning; `embedder` and `calibration` default to the shipped ones.

        `refine`: also build the transformer's reading for unsure questions, with
        `refine_calibration` or the committed model for it (none: no second reading).
        """
        self._index_words(kb)
        self.embedder = embedder or shared_embedder()
        self._index_meaning(calibration, artifact)
        self.refiner: Matcher | None = None
        second = refine_calibration or (committed(ENCODER_ARTIFACT) if refine else None)
        if second is not None and self.semantic.vectors.shape[0] <= REFINE_TEXTS:
            refiner = copy.copy(self)  # shares everything built from words
            refiner.embedder = shared_encoder()
            refiner._index_meaning(second, ENCODER_ARTIFACT)
            self.refiner = refiner
        self.superseded = self._superseded()

    def _index_words(self, kb: KnowledgeBase) -> None:
        """Everything that reads words, which both readings of a question share."""
        self.kb = kb
        known: list[str] = []
        for fact in kb.facts.values():
            known.extend([fact.title, fact.answer, *fact.phrasings, *fact.keywords])
            known.extend(c.quote for c in fact.claims)
        known += [p for t in kb.smalltalk for p in t.phrasings]
        known += [p for d in kb.declines for p in d.phrasings]
        self.norm = Normaliser(kb.vocabulary, known)
        self.declines = {DECLINE_PREFIX + d.id: d for d in kb.declines}
        # What the union itself has said since the reports (announcements, organisers' answers):
        # once it has spoken on a topic, "the reports don't say" is out of date.
        self.news = frozenset(f.id for f in kb.facts.values() if f.date is not None or is_organiser_fact(f))
        self.decline_ids = frozenset(self.declines)
        self.entries = [
            Entry(f.id, f.phrasings, " ".join((f.title, *f.keywords)),
                  " ".join((f.answer, *(c.quote for c in f.claims))))
            for f in kb.facts.values()
        ] + [Entry(eid, d.phrasings) for eid, d in self.declines.items()]
        self.lexical = LexicalIndex(self.entries, self.norm)
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
        english()  # the dictionary loads now, not in the middle of the first member's question
        # What the embedding models read of each entry, normalised once for both readings.
        groups = [(f.id, [*f.phrasings, f.title], len(f.phrasings)) for f in kb.facts.values()]
        groups += [(eid, list(d.phrasings), len(d.phrasings)) for eid, d in self.declines.items()]
        self._meaning = [(eid, [self.embed_text(t) for t in texts], n) for eid, texts, n in groups]
        # A question worded as one fact's phrasing is that fact. The fitted model cannot know
        # it: training asks each phrasing with itself left out, so it never sees an exact copy.
        owners: dict[str, set[str]] = {}
        for eid, texts, n in self._meaning:
            for text in texts[:n]:
                owners.setdefault(text, set()).add(eid)
        self.worded_as = {text: next(iter(ids)) for text, ids in owners.items()
                          if len(ids) == 1 and not ids & self.decline_ids}

    def _index_meaning(self, calibration: Calibration | None, artifact: Path) -> None:
        """The embedding index and the confidence model fitted with it."""
        self.semantic = SemanticIndex(self.embedder, self._meaning)
        self.semantic.best(self.embedder.encode(["warm up"])[0])  # tokenizer and maths library
        self.fingerprint = self._fingerprint()
        self.calibration = calibration or for_matcher(self, artifact)

    def _fingerprint(self) -> str:
        """What a fitted calibration depends on: the entries, the vocabulary, the model, and
        the texts as normalising leaves them (a change to it must not reuse a cached fit)."""
        digest = hashlib.sha256(f"{self.embedder.fingerprint}|{','.join(FEATURES)}".encode())
        for e in self.entries:
            if e.id not in self.news:  # news comes and goes; the model does not depend on it
                digest.update(repr((e.id, e.phrasings, e.about, e.text)).encode())
        for eid, texts, _ in self._meaning:
            if eid not in self.news:
                digest.update(repr((eid, texts)).encode())
        v = self.kb.vocabulary
        vocabulary = (sorted(v.textspeak.items()), sorted(v.synonyms.items()), sorted(v.stopwords))
        digest.update(repr(vocabulary).encode())
        return digest.hexdigest()[:16]

    def embed_text(self, text: str) -> str:
        """What the embedding model reads: text-speak expanded and spelling fixed first."""
        return " ".join(self.norm.words(text))

    def stems(self, text: str) -> list[str]:
        """The question's meaningful stems, in order, without repeats."""
        return self.norm.content(text)

    def terms(self, words: list[str]) -> tuple[list[str], frozenset[str]]:
        """Stems of the meaningful words, and which of them name things rather than misspell
        them: dictionary words, and long words that spelling correction found no match for
        ("bitcoin"); short unknown words are more often slang or text-speak."""
        content = [w for w in words if w not in self.norm.stopwords]
        stems = list(dict.fromkeys(stem(w) for w in content))
        return stems, frozenset(stem(w) for w in content if len(w) >= 6 or is_english(w))

    # ------------------------------------------------------------------ ranking

    def rank(self, question: str, limit: int = 5) -> list[tuple[Fact, float]]:
        """Facts by word evidence, best first (search, topic links, the consistency check)."""
        scored = self.lexical.score(self.stems(question), limit=max(limit, CANDIDATES) + len(self.declines))
        return [(self.kb.facts[c.entry], c.score) for c in scored if c.entry in self.kb.facts][:limit]

    def scored(self, question: str) -> list[tuple[Candidate, float]]:
        """Candidates with their fitted probability of being right, most likely first."""
        return self._scored(self.norm.words(question))

    def _scored(self, words: list[str], refine: bool = True) -> list[tuple[Candidate, float]]:
        """Candidates of already normalised words, with their probabilities, most likely first:
        the transformer's reading when the static one is unsure (and `refine` allows it)."""
        ranked = self._read(words)
        if refine and self.refiner is not None and self._unsure(words, ranked):
            return self.refiner._read(words)
        return ranked

    def _unsure(self, words: list[str], ranked: list[tuple[Candidate, float]]) -> bool:
        """Worth the transformer's reading: unsure, and with two content words or more (one
        word has no context for it to read; "what time is it" it took for the strike's time)."""
        return bool(ranked) and certainty(ranked) < REFINE and len(self.terms(words)[0]) >= REFINE_WORDS

    def _read(self, words: list[str]) -> list[tuple[Candidate, float]]:
        """`_scored` with this matcher's own embedding model and confidence model only."""
        stems, english = self.terms(words)
        vector = self.embedder.encode([" ".join(words)])[0]
        cands = candidates(self.lexical, self.semantic, stems, vector, declines=self.decline_ids,
                           english=english, kind=asking_kind(words))
        if not cands:
            return []
        probs = self.calibration.probability(np.array([c.row for c in cands]))
        return sorted(zip(cands, (float(p) for p in probs), strict=True), key=lambda cp: -cp[1])

    # ------------------------------------------------------------------ verdict

    def match(self, question: str, refine: bool = True) -> Match:
        """Answer, clarify, small talk, or decline: never a guess.

        `refine=False` decides on the static reading alone; its `unsure` says whether the
        transformer would have read it again (the engine compares a long message's parts
        that way, and reads only the best one twice).
        """
        words = self.norm.words(question)
        if not words:
            return Match("empty", question)
        stems = list(dict.fromkeys(stem(w) for w in words if w not in self.norm.stopwords))
        talk = self._smalltalk(words, stems)
        if talk is not None:
            return Match("smalltalk", question, smalltalk=talk)
        worded_as = self.worded_as.get(" ".join(words))
        if worded_as is not None:
            return Match("answer", question, self.kb.facts[worded_as], 1.0)
        unknown = tuple(s for s in stems if not self.lexical.known(s))
        ranked = self._scored(words, refine)
        if not ranked:
            return Match("decline", question, unknown=unknown)
        unsure = not refine and self.refiner is not None and self._unsure(words, ranked)
        ranked = self._news_over_declines(ranked)
        kind, named = decide([(c.entry, p) for c, p in ranked], self.kb.facts)
        if kind == "answer" and ranked[0][0].lexical.evidence == 0:
            # Not one word of the question is one the fact knows: offer it, never assert it.
            kind = "decline"
        p = ranked[0][1]
        facts = tuple(self.kb.facts[e] for e in named if e in self.kb.facts)
        if kind == "answer":
            return Match("answer", question, facts[0], round(p, 4), unknown=unknown, unsure=unsure,
                         runner_up=facts[1] if len(facts) > 1 else None)
        if kind == "clarify":
            return Match("clarify", question, None, round(p, 4), facts, unknown=unknown, unsure=unsure)
        # A decline example's own reply says what the member asked about ("the reports don't
        # cover strike pay"), so it needs an answer's confidence. Below that it was mostly
        # wrong: 11 of our fresh wordings of answerable questions got one, at 10-31% ("what
        # are we kicking off about" was told the reports don't give a timetable), while all 39
        # of our gap questions are matched at 40% or more.
        decline = self.declines.get(named[0]) if named and p >= ANSWER else None
        return Match("decline", question, None, round(p, 4), unknown=unknown, decline=decline,
                     related=facts, unsure=unsure)

    def _superseded(self) -> dict[str, str]:
        """Decline examples the union has since answered: each goes to the announcement or
        organisers' answer whose own wordings would otherwise have met it. A new answer has
        a few wordings against the decline example's dozens, so likelihood alone undersells it."""
        out: dict[str, str] = {}
        for fid in sorted(self.news):
            for phrasing in self.kb.facts[fid].phrasings:
                ranked = self._scored(self.norm.words(phrasing))
                decline = next((c.entry for c, p in ranked
                                if c.entry in self.declines and p >= RELATED), None)
                if decline is not None:
                    out.setdefault(decline, fid)
        return out

    def _news_over_declines(self, ranked: list[tuple[Candidate, float]]) -> list[tuple[Candidate, float]]:
        """"The reports don't say" is out of date once the union has spoken on it: a decline
        example's likelihood goes to the most likely announcement or organisers' answer, or
        to the one that answers that very decline example."""
        news = next(((c, p) for c, p in ranked if c.entry in self.news and p >= RELATED), None)
        if news is None and ranked and ranked[0][0].entry in self.superseded:
            answering = self.superseded[ranked[0][0].entry]
            news = next(((c, p) for c, p in ranked if c.entry == answering), None)
        if news is None:
            return ranked
        absorbed = sum(p for c, p in ranked if c.entry in self.declines)
        out = [(c, p + absorbed if c is news[0] else p) for c, p in ranked if c.entry not in self.declines]
        return sorted(out, key=lambda cp: -cp[1])

    def _smalltalk(self, words: list[str], stems: list[str]) -> SmallTalk | None:
        """"hi", "cheers mate 👍", "ok bye": small talk, unless a word any fact uses is in it."""
        if not self._talk or len(words) > self._talk_longest + 2:
            return None  # a long message is not small talk
        best = process.extractOne(
            " ".join(words), [t for t, _ in self._talk], scorer=fuzz.ratio, score_cutoff=SMALLTALK
        )
        if best:
            return self._talk[best[2]][1]
        if any(self.lexical.known(s) for s in stems):
            return None
        return next((self._talk_words[w] for w in words if w in self._talk_words), None)
