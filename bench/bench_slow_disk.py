"""Members' answer latency while an announcement is DMed, on a simulated slow disk.

    python bench/bench_slow_disk.py [--fsync-ms 5] [--subscribers 400] [--questions 100]

Every durable (synchronous=FULL) SQLite transaction is made to take `--fsync-ms` longer,
as on a slow or busy disk; delivery writes two per DM. Members ask one question at a time
meanwhile. Run twice in one process: as shipped (writes in worker threads) and with the
writes forced back onto the event loop (`asyncio.to_thread` replaced by a direct call), so
the difference is what keeping them off the loop buys. No rate limiter.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bot.tg.context as context_module  # noqa: E402
from bot.answers.engine import Engine  # noqa: E402
from bot.storage import Store  # noqa: E402
from bot.tg import announcer  # noqa: E402
from tests.support.fakebotapi import FakeBotAPI  # noqa: E402
from tests.support.harness import CHANNEL, ORGANISER, RunningBot  # noqa: E402

T = TypeVar("T")
QUESTION = "who is ian lawrence"


def slow_disk(store: Store, fsync_ms: float) -> None:
    """Every FULL transaction takes `fsync_ms` longer, holding the write lock meanwhile."""
    real = store._tx

    @contextmanager
    def slow() -> Iterator[Any]:
        with real() as db:
            yield db
            time.sleep(fsync_ms / 1000)

    store._tx = slow  # type: ignore[method-assign]


async def on_the_loop(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """What the bot did before: the write runs right here, on the event loop."""
    return fn(*args, **kwargs)


async def run(engine: Engine, fsync_ms: float, subscribers: int, questions: int,
              writes_on_loop: bool) -> tuple[list[float], int]:
    """Latencies (ms) of members' questions during a delivery, and DMs sent meanwhile."""
    real_to_thread = context_module.asyncio.to_thread
    if writes_on_loop:
        context_module.asyncio.to_thread = on_the_loop  # type: ignore[assignment]
    try:
        with tempfile.TemporaryDirectory() as data:
            async with FakeBotAPI() as fake:
                running = await RunningBot(fake, Path(data), engine, rate_limit=False).start()
                try:
                    store = running.services.store
                    for chat in range(50_000, 50_000 + subscribers):
                        store.subscribe(chat)
                    ann = store.create_draft("Strike on Tuesday", ORGANISER)
                    store.begin_send(ann.id, CHANNEL, ORGANISER)
                    store.mark_posted(ann.id, 1, ann.created_at)
                    slow_disk(store, fsync_ms)
                    announcer.start_delivery(running.app, ann.id, None)
                    latencies = []
                    for i in range(questions):
                        user = 10_000 + i
                        start = time.perf_counter()
                        fake.send_text(QUESTION, user_id=user)
                        await fake.wait_for_sent(1, chat_id=user, timeout=30)
                        latencies.append((time.perf_counter() - start) * 1000)
                    sent = store.delivery_counts(ann.id).sent
                finally:
                    await running.stop()
    finally:
        context_module.asyncio.to_thread = real_to_thread
    return latencies, sent


async def main_async(fsync_ms: float, subscribers: int, questions: int) -> None:
    engine = Engine.load()
    print(f"{questions} questions during a delivery to {subscribers}; each durable write "
          f"+{fsync_ms:g} ms")
    print(f"{'writes':<16}{'median ms':>10}{'p95 ms':>10}{'DMs meanwhile':>15}")
    for name, on_loop in (("off the loop", False), ("on the loop", True)):
        latencies, sent = await run(engine, fsync_ms, subscribers, questions, on_loop)
        p95 = sorted(latencies)[int(len(latencies) * 0.95) - 1]
        print(f"{name:<16}{statistics.median(latencies):>10.2f}{p95:>10.2f}{sent:>15}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fsync-ms", type=float, default=5.0)
    parser.add_argument("--subscribers", type=int, default=400)
    parser.add_argument("--questions", type=int, default=100)
    args = parser.parse_args()
    asyncio.run(main_async(args.fsync_ms, args.subscribers, args.questions))
    return 0


if __name__ == "__main__":
    sys.exit(main())
