"""Message-to-reply latency and sustained answer rate of the real bot over the fake Bot API,
against a bare echo bot on the same harness, so the figures come as a ratio.

    python bench/bench_bot.py [--latency N] [--burst N] [--rounds N] [--questions SET.yaml] [--rtt MS]

It replays the dev set's questions (or, without ../shared, the project's own); --questions
replays another set in the same format, such as the practice set, whose members' wording
takes the engine's second reading twice as often.

--rtt makes the fake Bot API take that long over every call but getUpdates, as the real one
does from a server some way off: then what counts is how many replies are on their way at
once (the echo bot, like PTB by default, has one; ours, once a reply has taken 20 ms, one
per chat: bot/tg/ordering.py).

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

from bench.bench_matcher import asked_in, questions  # noqa: E402
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


async def echo_round(qs: list[str], n_latency: int, burst: int, rtt: float) -> tuple[list[float], float]:
    """The floor: the echo bot on a fresh fake Bot API."""
    async with FakeBotAPI() as fake:
        fake.latency = rtt
        echo = await EchoBot(fake).start()
        try:
            return await measure(fake, qs, n_latency, burst)
        finally:
            await echo.stop()


async def bot_round(engine: Engine, qs: list[str], n_latency: int, burst: int,
                    rtt: float) -> tuple[list[float], float]:
    """The real bot, with a fresh store, on a fresh fake Bot API."""
    with tempfile.TemporaryDirectory() as data:
        async with FakeBotAPI() as fake:
            fake.latency = rtt
            bot = await RunningBot(fake, Path(data), engine, rate_limit=False).start()
            try:
                return await measure(fake, qs, n_latency, burst)
            finally:
                await bot.stop()


async def main_async(n_latency: int, burst: int, rounds: int, asked: Path | None, rtt: float) -> None:
    """Echo and bot alternate, so a machine that slows down midway slows both alike."""
    qs = [q for q in (asked_in(asked) if asked else questions()) if q.strip()]
    engine = Engine.load()
    print(f"{rounds} rounds of: {n_latency} one-at-a-time questions, then a burst of {burst}, "
          f"drawn from {len(qs)} ({asked.name if asked else 'the default set'}); no rate limiter; "
          f"Bot API round trip {rtt * 1000:.0f} ms")
    print(f"{'round':<7}{'echo ms':>9}{'bot ms':>9}{'ratio':>8}{'echo/s':>9}{'bot/s':>8}")
    ratios, rates = [], []
    for k in range(rounds):
        echo_latencies, echo_rate = await echo_round(qs, n_latency, burst, rtt)
        latencies, rate = await bot_round(engine, qs, n_latency, burst, rtt)
        echo_med, med = statistics.median(echo_latencies), statistics.median(latencies)
        ratios.append(med / echo_med)
        rates.append(rate)
        print(f"{k + 1:<7}{echo_med:>9.2f}{med:>9.2f}{ratios[-1]:>7.2f}x{echo_rate:>9.0f}{rate:>8.0f}")
    print(f"median over {rounds} rounds: latency ratio bot/echo {statistics.median(ratios):.2f}x "
          f"(target <= 2x; range {min(ratios):.2f}-{max(ratios):.2f}); "
          f"sustained {statistics.median(rates):.0f} answers/s "
          f"(target >= 150; range {min(rates):.0f}-{max(rates):.0f})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=int, default=300)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--questions", type=Path, help="a question set to replay (default: the dev set)")
    parser.add_argument("--rtt", type=float, default=0.0, help="Bot API round trip in ms (default 0)")
    args = parser.parse_args()
    asyncio.run(main_async(args.latency, args.burst, args.rounds, args.questions, args.rtt / 1000))
    return 0


if __name__ == "__main__":
    sys.exit(main())
