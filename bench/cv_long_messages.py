"""Cross-validation on long chatty messages: how often the question inside is found.

The knowledge base's own long phrasings (14 words or more: greetings, a life story, the
question at the end) are split into 5 folds; each fold is removed from the knowledge base
and asked of an engine built without it. Prints the share answered with the right fact and
the share answered with a wrong one.

    python bench/cv_long_messages.py [--knowledge DIR]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.answers.engine import Engine  # noqa: E402
from bot.answers.focus import LONG_MESSAGE  # noqa: E402
from bot.answers.knowledge import DEFAULT_DIR, load_knowledge  # noqa: E402

FOLDS = 5


def main() -> int:
    """Run the folds and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--knowledge", type=Path, default=DEFAULT_DIR)
    kb = load_knowledge(parser.parse_args().knowledge)
    longs = [(f.id, p) for f in kb.facts.values() for p in f.phrasings if len(p.split()) >= LONG_MESSAGE]
    random.Random(7).shuffle(longs)
    right = wrong = 0
    started = time.perf_counter()
    for fold in (longs[i::FOLDS] for i in range(FOLDS)):
        held = set(fold)
        facts = {fid: replace(f, phrasings=tuple(p for p in f.phrasings if (fid, p) not in held))
                 for fid, f in kb.facts.items()}
        engine = Engine(replace(kb, facts=facts))
        for fid, phrasing in fold:
            reply = engine.ask(phrasing)
            right += reply.answered and reply.fact is not None and reply.fact.id == fid
            wrong += reply.answered and (reply.fact is None or reply.fact.id != fid)
    n = len(longs) or 1
    print(f"long messages: {len(longs)}  right {right / n:.3f}  wrong {wrong / n:.3f}  "
          f"({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
