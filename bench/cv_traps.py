"""How well traps are caught, and how often an answerable question is taken for one.

A trap asks, in a fact's own words, for a detail no claim gives ("how much did G4S
overcharge"); the bot should not answer it with the fact. Two figures:

- recall: the share of our own traps (bench/trap-questions.yaml) the engine does not answer;
- false traps: the share of the knowledge base's phrasings that traps.py says ask for a
  detail their own fact lacks. Each phrasing is answerable by its fact, so every one of
  these would cost a member an answer. They are listed, to judge one by one.

    python bench/cv_traps.py [--knowledge DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answers.engine import Engine  # noqa: E402
from bot.answers.knowledge import DEFAULT_DIR  # noqa: E402

TRAPS = Path(__file__).resolve().parent / "trap-questions.yaml"


def main() -> int:
    """Print both figures and what lies behind them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--knowledge", type=Path, default=DEFAULT_DIR)
    engine = Engine.load(parser.parse_args().knowledge)
    traps = [q for qs in yaml.safe_load(TRAPS.read_text(encoding="utf-8")).values() for q in qs]
    answered = [q for q in traps if engine.ask(q).answered]
    print(f"traps not answered: {len(traps) - len(answered)}/{len(traps)} "
          f"= {1 - len(answered) / len(traps):.3f}")
    for q in answered:
        print(f"  answered: {q!r}")
    phrasings = [(f, p) for f in engine.kb.facts.values() for p in f.phrasings]
    false = [(f.id, p, found.name) for f, p in phrasings
             if (found := engine.missing_detail(p, f))]
    print(f"phrasings taken for traps of their own fact: {len(false)}/{len(phrasings)} "
          f"= {len(false) / len(phrasings):.4f}")
    for fact_id, phrasing, name in false:
        print(f"  {fact_id}: {phrasing!r} (no {name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
