"""Message-to-reply latency and sustained answer rate of the real bot over the fake Bot API,
against a bare echo bot on the same harness, so the figures come as a ratio.

    python bench/bench_bot.py [--latency N] [--burst N]

Both run without the rate limiter (it would only measure Telegram's limits). Targets:
median latency within 2x of the echo bot (the answer engine's budget: embeddings and a
fitted model); at least 150 answered questions a second.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from telegram import Update  # noqa: E402
from telegram.ext import Application, ContextTypes, MessageHandler, filters  # noqa: E402

from bench.bench_matcher import questions  # noqa: E402
from bot.answers.engine import Engine  # noqa: E402
from tests.support.fakebotapi import FakeBotAPI  # noqa: E402
from tests.support.harness import RunningBot  # noqa: E402


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(update.effective_message.text)


class EchoBot:
    """The smallest PTB bot that replies to a text: the floor for any bot on this harness."""

    def __init__(self, fake: FakeBotAPI) -> None:
        self.app = (Application.builder().token(fake.token).base_url(fake.base_url)
                    .base_file_url(fake.base_file_url).build())
        self.app.add_handler(MessageHandler(filters.TEXT, _echo))

    async def start(self) -> EchoBot:
        await self.app.initialize()
        await self.app.start()
        await self.app.updater.start_polling(poll_interval=0, timeout=10)
        return self

    async def stop(self) -> None:
        await self.app.updater.stop()
        await self.app.stop()
        await self.app.shutdown()


async def measure(fake: FakeBotAPI, qs: list[str], n_latency: int, burst: int) -> tuple[list[float], float]:
    """Latencies (ms) of one-at-a-time questions, then the rate (per second) of a burst."""
    await fake.wait_idle()
    latencies = []
    for i in range(n_latency):
        user = 10_000 + i  # a new member each time: flood control never kicks in
        start = time.perf_counter()
        fake.send_text(qs[i % len(qs)], user_id=user)
        await fake.wait_for_sent(1, chat_id=user, timeout=10)
        latencies.append((time.perf_counter() - start) * 1000)
    before = len(fake.sent)
    start = time.perf_counter()
    for i in range(burst):
        fake.send_text(qs[i % len(qs)], user_id=100_000 + i)
    while len(fake.sent) - before < burst:
        await asyncio.sleep(0.005)
    return latencies, burst / (time.perf_counter() - start)


def _figures(name: str, latencies: list[float], rate: float) -> tuple[float, float]:
    med = statistics.median(latencies)
    p95 = sorted(latencies)[int(len(latencies) * 0.95) - 1]
    print(f"{name:<10}{med:>12.2f}{p95:>10.2f}{rate:>14.0f}")
    return med, rate


async def main_async(n_latency: int, burst: int) -> None:
    qs = [q for q in questions() if q.strip()]
    engine = Engine.load()
    print(f"{n_latency} one-at-a-time questions, then a burst of {burst}; no rate limiter")
    print(f"{'bot':<10}{'median ms':>12}{'p95 ms':>10}{'answers/s':>14}")
    async with FakeBotAPI() as fake:
        echo = await EchoBot(fake).start()
        try:
            echo_med, _ = _figures("echo", *await measure(fake, qs, n_latency, burst))
        finally:
            await echo.stop()
    with tempfile.TemporaryDirectory() as data:
        async with FakeBotAPI() as fake:
            bot = await RunningBot(fake, Path(data), engine, rate_limit=False).start()
            try:
                med, rate = _figures("napo bot", *await measure(fake, qs, n_latency, burst))
            finally:
                await bot.stop()
    print(f"median latency ratio bot/echo: {med / echo_med:.2f}x (target <= 2x); "
          f"sustained: {rate:.0f} answers/s (target >= 150)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=int, default=300)
    parser.add_argument("--burst", type=int, default=1000)
    args = parser.parse_args()
    asyncio.run(main_async(args.latency, args.burst))
    return 0


if __name__ == "__main__":
    sys.exit(main())
