"""Matching latency (median, p99, mean) on the shipped knowledge base and on 10x and 100x
synthetic ones, then on the practice set's questions when ../shared is there, plus the cold
start of `python -m bot ask` to its first reply.

    python bench/bench_matcher.py [--rounds N]

Targets: shipped median <= 1 ms and p99 <= 20 ms; 100x p99 <= 50 ms; cold start <= 1.5 s.
The synthetic bases reuse the shipped base's fitted model (fitting on 100x would take
minutes and measure the fit, not the matching); their index embeddings are cached on disk
after the first run, as the bot's are.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answers.engine import Engine  # noqa: E402
from bot.answers.knowledge import Claim, Fact, KnowledgeBase, load_knowledge  # noqa: E402

DEV = ROOT.parent / "shared" / "eval" / "dev-questions.yaml"
# Written in members' styles: about a third of its questions take the transformer's second
# reading, twice the dev set's share, so its mean is the closer guess at a real day's cost.
PRACTICE = ROOT.parent / "shared" / "eval" / "practice-questions.yaml"


def asked_in(path: Path) -> list[str]:
    """The questions of one of ../shared/eval's question sets."""
    return [item["q"] for item in yaml.safe_load(path.read_text(encoding="utf-8"))]


def questions() -> list[str]:
    """The dev set's questions when it is there, else the project's own from the matcher's
    tests (answerable, off-topic, uncovered and small talk, as members type them)."""
    if DEV.exists():
        return asked_in(DEV)
    from tests import test_matcher as t

    return [q for q, _ in t.ANSWERS] + t.OFF_TOPIC + t.IN_DOMAIN_UNKNOWN + [q for q, _ in t.SMALLTALK]


def synthetic(kb: KnowledgeBase, factor: int, seed: int = 7) -> KnowledgeBase:
    """`factor` copies of every fact, each copy with its own made-up vocabulary mixed in,
    so the index grows like a real, larger knowledge base rather than repeating itself."""
    rng = random.Random(seed)
    facts: dict[str, Fact] = {}
    for k in range(factor):
        words = [f"w{k}x{rng.randrange(10**6)}" for _ in range(6)]
        for fact in kb.facts.values():
            if k == 0:
                facts[fact.id] = fact
                continue

            def salt(text: str, words: list[str] = words) -> str:
                return f"{text} {rng.choice(words)}"

            facts[f"{fact.id}-{k}"] = dataclasses.replace(
                fact, id=f"{fact.id}-{k}", title=f"{fact.title} {k}",
                phrasings=tuple(salt(p) for p in fact.phrasings),
                keywords=tuple(salt(w) for w in fact.keywords),
                claims=tuple(Claim(c.source, salt(c.quote)) for c in fact.claims), related=(),
            )
    return dataclasses.replace(kb, facts=facts)


def latency(engine: Engine, qs: list[str], rounds: int) -> tuple[float, float, float, float]:
    """Median, p99, max and mean of one `Engine.ask` call (the whole reply), in milliseconds."""
    for q in qs:  # warm the spelling cache as a running bot would be
        engine.ask(q)
    times = []
    for _ in range(rounds):
        for q in qs:
            start = time.perf_counter()
            engine.ask(q)
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1], times[-1], statistics.mean(times)


def cold_start(runs: int = 5) -> tuple[float, float]:
    """Wall time of a fresh `python -m bot ask QUESTION` process: median and worst."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "bot", "ask", "wot was the turnot"], cwd=ROOT,
                       check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times)


def main() -> int:
    """Latency on the shipped and synthetic bases, then cold start."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    kb = load_knowledge()
    shipped = Engine(kb)
    qs = questions()
    print(f"{len(qs)} questions x {args.rounds} rounds per knowledge base")
    print(f"{'knowledge base':<16}{'facts':>7}{'phrasings':>11}{'build ms':>10}"
          f"{'median ms':>11}{'p99 ms':>9}{'max ms':>9}{'mean ms':>9}")
    for label, factor in (("shipped", 1), ("synthetic 10x", 10), ("synthetic 100x", 100)):
        big = synthetic(kb, factor) if factor > 1 else kb
        start = time.perf_counter()
        engine = Engine(big, shipped.matcher.calibration) if factor > 1 else Engine(kb)
        build = (time.perf_counter() - start) * 1000
        rounds = max(1, args.rounds // factor) if factor > 1 else args.rounds
        med, p99, worst, mean = latency(engine, qs, rounds)
        phrasings = sum(len(f.phrasings) for f in big.facts.values())
        print(f"{label:<16}{len(big.facts):>7}{phrasings:>11}{build:>10.0f}{med:>11.3f}{p99:>9.3f}"
              f"{worst:>9.2f}{mean:>9.3f}")
    if PRACTICE.exists():
        practice = asked_in(PRACTICE)
        med, p99, worst, mean = latency(shipped, practice, args.rounds)
        print(f"shipped, the practice set's {len(practice)} questions: median {med:.3f} ms, "
              f"p99 {p99:.3f} ms, max {worst:.2f} ms, mean {mean:.3f} ms")
    med, worst = cold_start()
    print(f"cold start of `python -m bot ask` to first reply: median {med:.2f} s, worst {worst:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
