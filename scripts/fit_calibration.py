"""Fit the answer/decline confidence model on the knowledge base; report cross-validation.

    python scripts/fit_calibration.py [--knowledge DIR] [--no-save]

Cross-validation leaves whole entries out of the fit (5 folds by entry), then asks each
held-out phrasing as the fit does: with only itself left out of the index, and with its near
copies left out too (figures prefixed near_), both of which should be answered with its own
entry; and with its whole entry left out (it should not be answered). The figures
are printed for a few answer thresholds; the model fitted on everything is then written
to bot/answers/calibration.json, which `python -m bot check` verifies.
"""

from __future__ import annotations

import argparse
import sys
import zlib
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answers import calibration as cal  # noqa: E402
from bot.answers.features import FEATURES  # noqa: E402
from bot.answers.knowledge import DEFAULT_DIR, load_knowledge  # noqa: E402
from bot.answers.matcher import Matcher, decide  # noqa: E402

FOLDS = 5


def placeholder() -> cal.Calibration:
    """A do-nothing model, so building the matcher does not fit one itself."""
    n = cal.expand(np.zeros((1, len(FEATURES)))).shape[1]
    return cal.Calibration("", np.zeros(n), np.ones(n), np.zeros(n), 0.0)


def cross_validate(matcher: Matcher, thresholds: list[float]) -> dict[float, dict[str, float]]:
    """Outcomes of held-out questions per answer threshold."""
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
        questions.append((owners[start], list(zip(names, probs[start:end], strict=True))))
        start = end
    facts = matcher.kb.facts
    results: dict[float, dict[str, float]] = {}
    for t in thresholds:
        tally: Counter[str] = Counter()
        for q, ranked in questions:
            ranked.sort(key=lambda ep: -ep[1])
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
    matcher = Matcher(load_knowledge(args.knowledge), calibration=placeholder())
    results = cross_validate(matcher, [0.25, 0.3, 0.35, 0.4, 0.5])
    print(f"{int(results[0.25]['questions'])} leave-out questions (5 folds by entry)")
    show(results)
    model = cal.fit_matcher(matcher)
    linear = zip(FEATURES, model.weights[: len(FEATURES)], strict=True)
    print("linear weights:", ", ".join(f"{n}={w:+.2f}" for n, w in linear))
    print(f"(and {cal.PAIR_COUNT} weights for products of features)")
    if not args.no_save:
        cal.save(model, cal.ARTIFACT)
        print(f"wrote {cal.ARTIFACT.relative_to(ROOT)} (fingerprint {model.fingerprint})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
