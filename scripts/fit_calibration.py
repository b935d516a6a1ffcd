"""Fit the answer/decline confidence model on the knowledge base; report cross-validation.

    python scripts/fit_calibration.py [--knowledge DIR] [--no-save]

Both readings are fitted: the static model's, and the transformer's that the bot asks when
the first is unsure (matcher.REFINE). Cross-validation leaves whole entries out of the fit
(5 folds by entry), then asks each held-out phrasing as the fit does: with only itself left
out of the index, and with its near copies left out too (figures prefixed near_), both of
which should be answered with its own entry; and with its whole entry left out (it should
not be answered). The figures are printed for a few answer thresholds; the models fitted
on everything are then written to bot/answers/calibration.json and calibration-encoder.json,
which `python -m bot check` verifies, with the transformer's vectors of the base's texts
(bot/answers/encoder-store.npz).
"""

from __future__ import annotations

import argparse
import sys
import zlib
from collections import Counter
from collections.abc import Container
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answers import calibration as cal  # noqa: E402
from bot.answers.encoder import Encoder  # noqa: E402
from bot.answers.features import FEATURES  # noqa: E402
from bot.answers.knowledge import DEFAULT_DIR, load_knowledge  # noqa: E402
from bot.answers.matcher import REFINE, REFINE_WORDS, Matcher, certainty, decide  # noqa: E402

FOLDS = 5


def placeholder() -> cal.Calibration:
    """A do-nothing model, so building the matcher does not fit one itself."""
    n = cal.expand(np.zeros((1, len(FEATURES)))).shape[1]
    return cal.Calibration("", np.zeros(n), np.ones(n), np.zeros(n), 0.0)


Ranked = list[tuple[cal.Question, list[tuple[str, float]]]]


def held_out(matcher: Matcher) -> Ranked:
    """Each leave-out question with its candidates ranked by a model fitted without its fold."""
    x, y, owners, ids = cal.training_set(matcher)
    fold = np.array([zlib.crc32(q.entry.encode()) % FOLDS for q in owners])
    probs = np.zeros(len(y))
    for k in range(FOLDS):
        model = cal.fit(x[fold != k], y[fold != k], "")
        probs[fold == k] = model.probability(x[fold == k])
    # Regroup rows into questions (rows of one question are consecutive).
    questions, start = [], 0
    for names in ids:
        end = start + len(names)
        ranked = sorted(zip(names, (float(p) for p in probs[start:end]), strict=True), key=lambda ep: -ep[1])
        questions.append((owners[start], ranked))
        start = end
    return questions


def second_reading(matcher: Matcher, first: Ranked, second: Ranked) -> tuple[Ranked, float]:
    """What the bot decides on: the second reading where the first is unsure (and how often)."""
    def unsure(q: cal.Question, ranked: list[tuple[str, float]]) -> bool:
        entry = matcher.kb.facts.get(q.entry) or matcher.declines[q.entry]
        words = matcher.norm.words(entry.phrasings[q.phrasing])
        return certainty(ranked) < REFINE and len(matcher.terms(words)[0]) >= REFINE_WORDS

    read_again = [unsure(*a) for a in first]
    out = [b if again else a for a, b, again in zip(first, second, read_again, strict=True)]
    return out, sum(read_again) / max(len(first), 1)


def outcomes(questions: Ranked, facts: Container[str],
             thresholds: list[float]) -> dict[float, dict[str, float]]:
    """The figures, per answer threshold."""
    results: dict[float, dict[str, float]] = {}
    for t in thresholds:
        tally: Counter[str] = Counter()
        for q, ranked in questions:
            if q.padded:  # made up to teach the model, not a wording to measure it on
                continue
            kind, named = decide(ranked, facts, answer=t)
            own = q.entry
            if q.answerable and own in facts:
                kind_of = "near_" if q.near else ""  # asked without its near copies too
                tally[kind_of + "ans"] += 1
                tally[kind_of + "top1"] += ranked[0][0] == own
                tally[kind_of + "top3"] += own in [e for e, _ in ranked[:3]]
                if kind == "answer":
                    tally[kind_of + ("correct" if named[0] == own else "wrong")] += 1
                elif buttons := [e for e in named if e in facts][:3]:  # "did you mean" or topics
                    tally[kind_of + "clarify"] += 1
                    tally[kind_of + "tap"] += own in buttons
            elif q.answerable:  # a decline example, left in: it should be declined
                tally["dec"] += 1
                tally["declined"] += kind != "answer"
            elif q.swapped:  # its key word swapped for an unrelated one
                tally["swap"] += 1
                tally["swap_answered"] += kind == "answer"
            else:  # its whole entry left out: nothing can answer it
                tally["out"] += 1
                tally["false_answer"] += kind == "answer"
        r: dict[str, float] = {}
        for kind_of in ("", "near_"):
            n = max(tally[kind_of + "ans"], 1)
            r |= {
                kind_of + "top1": tally[kind_of + "top1"] / n, kind_of + "top3": tally[kind_of + "top3"] / n,
                kind_of + "answer_acc": tally[kind_of + "correct"] / n,
                kind_of + "wrong": tally[kind_of + "wrong"] / n,
                kind_of + "one_tap": (tally[kind_of + "correct"] + tally[kind_of + "tap"]) / n,
                kind_of + "clarify_rate": tally[kind_of + "clarify"] / n,
            }
        results[t] = r | {
            "uncovered_answered": tally["false_answer"] / max(tally["out"], 1),
            "swapped_answered": tally["swap_answered"] / max(tally["swap"], 1),
            "decline_examples_declined": tally["declined"] / max(tally["dec"], 1),
            "questions": len(questions),
        }
    return results


def show(results: dict[float, dict[str, float]]) -> None:
    """Two lines per threshold."""
    for t, r in results.items():
        figures = [f"{k}={v:.3f}" for k, v in r.items() if k != "questions"]
        print(f"answer>={t:.2f}: " + " ".join(figures[:6]) + "\n    " + " ".join(figures[6:]))


def main() -> int:
    """Report cross-validation, then fit on everything and save."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--knowledge", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    kb = load_knowledge(args.knowledge)
    static = Matcher(kb, calibration=placeholder(), refine=False)
    encoder = Encoder(store=None)  # not read from the store it is about to rewrite
    reading = Matcher(kb, embedder=encoder, calibration=placeholder(), refine=False)
    thresholds = [0.25, 0.3, 0.35, 0.4, 0.5]
    first, second = held_out(static), held_out(reading)
    print(f"{len(first)} leave-out questions (5 folds by entry)")
    print("\nthe static model's reading alone:")
    show(outcomes(first, kb.facts, thresholds))
    both, share = second_reading(static, first, second)
    print(f"\nas the bot decides: the transformer reads again the {share:.1%} the first leaves "
          f"below {REFINE} (of {REFINE_WORDS}+ content words):")
    show(outcomes(both, kb.facts, thresholds))
    readings = (("static", static, cal.ARTIFACT), ("transformer", reading, cal.ENCODER_ARTIFACT))
    for name, matcher, artifact in readings:
        model = cal.fit_matcher(matcher)
        linear = zip(FEATURES, model.weights[: len(FEATURES)], strict=True)
        print(f"\n{name} reading, linear weights:", ", ".join(f"{n}={w:+.2f}" for n, w in linear))
        print(f"(and {cal.PAIR_COUNT} weights for products of features)")
        if not args.no_save:
            cal.save(model, artifact)
            print(f"wrote {artifact.relative_to(ROOT)} (fingerprint {model.fingerprint})")
    if not args.no_save:
        encoder.save_store(reading.semantic.texts, reading.semantic.vectors)
        print(f"wrote the transformer's vectors of {len(reading.semantic.texts)} texts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
