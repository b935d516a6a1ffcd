"""The shipped embedding model, its disk cache, and the fitted confidence model.

The model loaded here is the one the bot ships (bot/answers/model/, 15 MB): no other."""

from __future__ import annotations

import ast
import dataclasses
import itertools
import os
from pathlib import Path

import numpy as np
import pytest

from bot.answers import calibration as cal
from bot.answers.engine import Engine
from bot.answers.features import FEATURES, semantic_mask
from bot.answers.lexical import Held
from bot.answers.matcher import ANSWER, Matcher, decide, shared_embedder
from bot.answers.semantic import MODEL_DIR, cached_encode

ANSWERS_DIR = Path(__file__).resolve().parents[1] / "bot" / "answers"


def test_our_loader_gives_model2vecs_own_vectors() -> None:
    model2vec = pytest.importorskip("model2vec")
    theirs = model2vec.StaticModel.from_pretrained(str(MODEL_DIR))
    texts = ["when is the strike", "wot woz the turnot", "G4S & Serco: £450m?", "zzqxj"]
    ours = shared_embedder().encode(texts)
    expected = np.asarray(theirs.encode(texts), dtype=np.float32)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.allclose(ours, expected, atol=1e-3)


def test_meaning_is_closer_than_wording() -> None:
    a, b, c = shared_embedder().encode(["will the service be privatised",
                                        "are they selling off probation to private companies",
                                        "what time does the pub open"])
    assert float(a @ b) > float(a @ c) + 0.05


def test_index_embeddings_are_cached_and_reused(tmp_path: Path) -> None:
    embedder = shared_embedder()
    texts = ["first text", "second text"]
    first = cached_encode(embedder, texts, tmp_path)
    files = list(tmp_path.glob("index-*.npy"))
    assert len(files) == 1
    np.save(files[0], np.full_like(first, 0.5))  # prove the second call reads the file
    assert np.allclose(cached_encode(embedder, texts, tmp_path), 0.5)
    # Other texts are another key, another file.
    cached_encode(embedder, ["third text"], tmp_path)
    assert len(list(tmp_path.glob("index-*.npy"))) == 2


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_a_read_only_cache_costs_time_not_an_error(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        vectors = cached_encode(shared_embedder(), ["a text"], tmp_path / "cache")
    finally:
        tmp_path.chmod(0o700)
    assert vectors.shape == (1, shared_embedder().dim)


def test_an_unusable_cache_path_costs_time_not_an_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    vectors = cached_encode(shared_embedder(), ["a text"], blocker / "cache")
    assert vectors.shape == (1, shared_embedder().dim)


def test_logistic_regression_recovers_a_known_rule() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2000, 2))
    y = (x[:, 0] - 0.5 * x[:, 1] + rng.normal(scale=0.3, size=2000) > 0).astype(float)
    weights, bias = cal.fit_logistic(x, y, l2=0.01)
    assert weights[0] > 2 and weights[1] < -1 and abs(bias) < 0.5
    assert abs(weights[0] / weights[1] + 2) < 0.3


def test_the_committed_models_are_the_ones_fitted_on_the_shipped_base(engine: Engine) -> None:
    assert engine.matcher.refiner is not None
    for artifact, matcher in ((cal.ARTIFACT, engine.matcher), (cal.ENCODER_ARTIFACT, engine.matcher.refiner)):
        committed = cal.load(artifact)
        assert committed is not None and committed.names == FEATURES and committed.current
        assert committed.fingerprint == matcher.fingerprint
    assert engine.calibration_problems() == []


@pytest.mark.parametrize("artifact", ["ARTIFACT", "ENCODER_ARTIFACT"])
def test_check_notices_a_stale_model(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     artifact: str) -> None:
    n = len(FEATURES)
    stale = cal.Calibration("0" * 16, np.zeros(n), np.ones(n), np.zeros(n), 0.0)
    path = tmp_path / "calibration.json"
    cal.save(stale, path)
    loaded = cal.load(path)
    assert loaded is not None and loaded.fingerprint == stale.fingerprint
    monkeypatch.setattr(cal, artifact, path)
    [problem] = engine.calibration_problems()
    assert problem.path == str(path) and "fit_calibration.py" in problem.reason


def test_probabilities_order_the_candidates_and_drive_the_outcome(engine: Engine) -> None:
    ranked = engine.matcher.scored("what was the turnout in the strike ballot")
    probs = [p for _, p in ranked]
    assert probs == sorted(probs, reverse=True) and all(0 <= p <= 1 for p in probs)
    assert ranked[0][0].entry == "ballot-result" and probs[0] >= ANSWER


@pytest.mark.parametrize(
    ("ranked", "kind", "named"),
    [
        ([("a", 0.9), ("b", 0.05)], "answer", ["a"]),
        # A runner-up plausibly right is named after the answer (a related button, first).
        ([("a", 0.6), ("b", 0.2), ("c", 0.1)], "answer", ["a", "b"]),
        ([("a", 0.6), ("decline:x", 0.2)], "answer", ["a"]),
        ([("a", 0.3), ("b", 0.2), ("c", 0.005)], "clarify", ["a", "b"]),
        ([("a", 0.05), ("b", 0.01)], "decline", []),
        ([("decline:x", 0.8), ("a", 0.15)], "decline", ["decline:x", "a"]),
        ([("decline:x", 0.8), ("a", 0.05)], "decline", ["decline:x"]),
        # A member who must tap anyway gets up to three choices, but never a long shot.
        ([("a", 0.12), ("b", 0.02), ("c", 0.01)], "decline", ["a", "b", "c"]),
        ([("a", 0.12), ("b", 0.009)], "decline", ["a"]),
        # The filling does not make "did you mean" of a decline: 0.2 + 0.04 is under CLARIFY.
        ([("a", 0.2), ("b", 0.04), ("c", 0.03)], "decline", ["a", "b", "c"]),
        # Estimates made one candidate at a time can overlap; only one can be right ("risk").
        ([("a", 0.5), ("b", 0.5), ("c", 0.3)], "clarify", ["a", "b", "c"]),
    ],
)
def test_the_three_outcomes(ranked: list[tuple[str, float]], kind: str, named: list[str]) -> None:
    assert decide(ranked, {"a", "b", "c"}) == (kind, named)


def test_a_question_asked_without_its_near_copies_sees_none_of_them(engine: Engine) -> None:
    """The fit also asks each phrasing with its closest siblings hidden, as a member would word
    it: none of those may leak in through words or meaning."""
    matcher = engine.matcher
    fact = engine.kb.facts["ballot-result"]
    near = cal._near_copies(matcher, fact.id, len(fact.phrasings))
    k = max(1, round(cal.NEAR_COPIES * (len(fact.phrasings) - 1)))
    assert all(i in held and len(held) == k + 1 for i, held in enumerate(near))
    i = fact.phrasings.index("what was the turnout")
    assert any("turnout" in fact.phrasings[j] for j in near[i] - {i})  # closest in wording
    hidden = Held(fact.id, near[i])
    mask = semantic_mask(matcher.semantic, hidden)
    assert mask is not None and (~mask).sum() == len(near[i])
    words = matcher.norm.words(fact.phrasings[i])
    stems, _ = matcher.terms(words)
    [c] = [c for c in matcher.lexical.score(stems, held=hidden) if c.entry == fact.id]
    [whole] = [c for c in matcher.lexical.score(stems) if c.entry == fact.id]
    assert c.contained < whole.contained == 1.0


def test_a_when_question_looks_like_the_facts_asked_with_when(engine: Engine) -> None:
    """"When is it" and "where is it" share every other word; the question word tells them apart,
    and a held-out phrasing does not count towards its own fact."""
    lex = engine.matcher.lexical
    assert lex.asks_alike("strike-timing", "when") > lex.asks_alike("strike-location", "when")
    assert lex.asks_alike("strike-location", "where") > lex.asks_alike("strike-timing", "where")
    kinds = lex.index["strike-timing"].kinds
    whens = frozenset(i for i, k in enumerate(kinds) if k == "when")
    assert lex.asks_alike("strike-timing", "when", Held("strike-timing", whens)) == 0.0
    assert lex.asks_alike("strike-timing", "") == 0.0


def test_short_phrasings_are_asked_without_their_near_copies_only_from_three_words(engine: Engine) -> None:
    """"turnout?" has no near copies, only repeats: hiding them would teach that one word is enough."""
    matcher = engine.matcher
    first = matcher.entries[0]
    questions = itertools.takewhile(lambda qc: qc[0].entry == first.id, cal.leave_out_questions(matcher))
    near = {q.phrasing: q.near for q, _ in questions if q.answerable}
    lengths = {i: len(matcher.terms(matcher.norm.words(p))[0]) for i, p in enumerate(first.phrasings)}
    long_enough = {i for i, n in lengths.items() if n >= cal.NEAR_FROM}
    assert long_enough == {i for i, is_near in near.items() if is_near}
    assert any(n < cal.NEAR_FROM for n in lengths.values())


def test_some_phrasings_are_also_asked_with_a_word_no_entry_knows(engine: Engine) -> None:
    """Members' wordings often hold a word the base never uses: on its own, such a word must not
    teach the model "not covered", so some phrasings are asked with one added, as their fact's."""
    matcher = engine.matcher
    first = matcher.entries[0]
    assert first.id in engine.kb.facts
    asked = itertools.takewhile(lambda qc: qc[0].entry == first.id, cal.leave_out_questions(matcher))
    padded = [(q, cands) for q, cands in asked if q.padded]
    long_enough = {i for i, p in enumerate(first.phrasings)
                   if len(matcher.terms(matcher.norm.words(p))[0]) >= cal.NEAR_FROM}
    assert 0 < len(padded) <= len(long_enough) // cal.PADDED + 1
    unknown_english = FEATURES.index("unknown_english")
    for q, cands in padded:
        assert q.answerable and q.near and q.phrasing in long_enough
        assert all(c.row[unknown_english] > 0 for c in cands)  # the added word: in no entry


def test_the_answer_engine_imports_neither_telegram_nor_sqlite() -> None:
    banned = {"telegram", "sqlite3"}
    for path in ANSWERS_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not {n.split(".")[0] for n in names} & banned, f"{path}: imports {names}"


def test_an_edited_large_base_borrows_the_committed_model_instead_of_stalling(engine: Engine) -> None:
    # An organiser adds a phrasing and /reloads: no ten-second fit, and `check` will say so.
    fact = next(iter(engine.kb.facts.values()))
    edited = dataclasses.replace(fact, phrasings=(*fact.phrasings, "a brand new way to ask this"))
    kb = dataclasses.replace(engine.kb, facts={**engine.kb.facts, fact.id: edited})
    again = Engine(kb)
    assert again.matcher.fingerprint != engine.matcher.fingerprint
    assert again.matcher.calibration.fingerprint == engine.matcher.fingerprint
    assert again.calibration_problems() != []


def test_the_fingerprint_follows_what_normalising_makes_of_the_texts(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A change to normalising (a new typo rule) changes the features: no cached fit may serve.
    same = Matcher(engine.kb, calibration=engine.matcher.calibration, refine=False)
    assert same.fingerprint == engine.matcher.fingerprint
    monkeypatch.setattr(Matcher, "embed_text", lambda self, text: text.upper())
    changed = Matcher(engine.kb, calibration=engine.matcher.calibration, refine=False)
    assert changed.fingerprint != engine.matcher.fingerprint
