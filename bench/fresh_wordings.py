"""How the engine does on wordings of its facts that no phrasing uses.

The questions (bench/fresh-wordings.yaml) were written apart from the knowledge base, as
members word things, and are never added to it, so unlike cross-validation nothing about them
is in the index or the fitted models. Each is keyed by the fact that answers it:

- answer_acc, wrong: answered with that fact, or with another;
- one_tap: answered with it, or not answered with it among the buttons (three at most);
- clarify_rate: not answered, with buttons;
- right fact first, in the top three: the ranking the decision was made on.

    python bench/fresh_wordings.py [--knowledge DIR] [--misses]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answers.engine import Engine  # noqa: E402
from bot.answers.knowledge import DEFAULT_DIR  # noqa: E402

WORDINGS = Path(__file__).resolve().parent / "fresh-wordings.yaml"


def main() -> int:
    """Print the figures, and with --misses each question not one tap from its fact."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--knowledge", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--misses", action="store_true")
    args = parser.parse_args()
    engine = Engine.load(args.knowledge)
    asked = [(fact, q) for fact, qs in yaml.safe_load(WORDINGS.read_text(encoding="utf-8")).items()
             for q in qs if fact in engine.kb.facts]
    c: Counter[str] = Counter()
    for fact, question in asked:
        reply = engine.ask(question)
        right = reply.answered and reply.fact is not None and reply.fact.id == fact
        tapped = not reply.answered and fact in [f.id for f in reply.offered[:3]]
        ranked = [cand.entry for cand, _ in engine.matcher.scored(engine.match(question).focus)]
        c["right"] += right
        c["wrong"] += reply.answered and not right
        c["one_tap"] += right or tapped
        c["clarify"] += not reply.answered and bool(reply.offered)
        c["first"] += ranked[:1] == [fact]
        c["top3"] += fact in ranked[:3]
        if args.misses and not (right or tapped):
            got = reply.fact.id if reply.answered and reply.fact else "not answered"
            print(f"{fact}: {question!r} -> {got}")
    n = len(asked)
    print(f"{n} fresh wordings of {len({f for f, _ in asked})} facts: "
          f"answer_acc={c['right'] / n:.3f} wrong={c['wrong'] / n:.3f} one_tap={c['one_tap'] / n:.3f} "
          f"clarify_rate={c['clarify'] / n:.3f} right_first={c['first'] / n:.3f} top3={c['top3'] / n:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
