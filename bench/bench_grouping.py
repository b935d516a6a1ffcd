"""How well /gaps grouping puts one question's wordings together and keeps topics apart.

    python bench/bench_grouping.py [FILE.yaml ...]

Each file maps a topic to its wordings (bench/gap-questions.yaml by default), or is a list of
`{q, topic, expect}` items, of which the `expect: decline` ones are used. Prints pairwise
precision (grouped pairs that share a topic) and recall (same-topic pairs that were grouped).
"""

from __future__ import annotations

import sys
from datetime import date
from itertools import combinations
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # this checkout's bot/, not whichever is installed

from bot.answers.engine import Engine  # noqa: E402
from bot.answers.grouping import GapGrouper  # noqa: E402
from bot.storage import GapQuestion  # noqa: E402


def load(path: Path) -> list[tuple[str, str]]:
    data = yaml.safe_load(path.read_text())
    if isinstance(data, dict):
        return [(topic, q) for topic, qs in data.items() for q in qs]
    return [(item["topic"], item["q"]) for item in data if item.get("expect") == "decline"]


def measure(items: list[tuple[str, str]], engine: Engine) -> dict[str, float]:
    asked = [GapQuestion(i, q.lower(), 1, date(2013, 11, 5)) for i, (_, q) in enumerate(items)]
    topic = {i: t for i, (t, _) in enumerate(items)}
    gaps = GapGrouper(engine.kb, engine.matcher.norm).group(asked)
    together = {frozenset(p) for g in gaps for p in combinations(g.ids, 2)}
    same = {frozenset(p) for p in combinations(topic, 2) if topic[p[0]] == topic[p[1]]}
    hits = len(together & same)
    return {
        "wordings": len(items), "topics": len(set(topic.values())), "gaps": len(gaps),
        "precision": hits / len(together) if together else 1.0,
        "recall": hits / len(same) if same else 1.0,
        "false_merges": len(together - same),
    }


def main() -> None:
    engine = Engine.load(strict=False)
    for name in sys.argv[1:] or [str(HERE / "gap-questions.yaml")]:
        result = measure(load(Path(name)), engine)
        print(name, " ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                             for k, v in result.items()))


if __name__ == "__main__":
    main()
