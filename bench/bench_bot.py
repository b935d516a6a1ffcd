"""Message-to-reply latency and sustained answer rate of the real bot over the fake Bot API,
against a bare echo bot on the same harness, so the figures come as a ratio.

    python bench/bench_bot.py [--latency N] [--burst N] [--rounds N] [--questions SET.yaml] [--rtt MS]

It replays the dev set's questions (or, without ../shared, the project's own); --questions
replays another set in the same format, such as the practice set, whose members' wording
takes the engine's second reading twice as often.

--rtt makes the fake Bot API take that long over every call but getUpdates, as the real one
does from a server some way off: then what counts is how many replies are on their way at
once (the echo bot, like PTB by default, has one; ours, once a reply has taken 2 ms, one
per chat: bot/tg/ordering.py).

Each bot runs as a process of its own (the composition root `python -m bot run` uses, with
the rate limiter off), as deployed, so the fake Bot API does not share the bot's event loop
and core, as Telegram's servers never do; the bot's CPU time per answer is measured too, a
figure the machine's other load moves less than the rate. --in-process runs both bots in
the benchmark's own event loop instead, beside the fake, as the tests do.

Both run without the rate limiter (it would only measure Telegram's limits). Targets:
median latency within 2x of the echo bot (the answer engine's budget: embeddings and a
fitted model); at least 150 answered questions a second.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from telegram import Update  # noqa: E402
from telegram.ext import Application, ContextTypes, MessageHandler, filters  # noqa: E402

from bench.bench_matcher import asked_in, questions  # noqa: E402
from bot.answers.engine import Engine  # noqa: E402
from tests.support.fakebotapi import FakeBotAPI  # noqa: E402
from tests.support.harness import RunningBot  # noqa: E402
from tests.support.process import BotProcess  # noqa: E402


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(update.effective_message.text)


def echo_application(token: str, base_url: str) -> Application:
    """The smallest PTB bot that replies to a text: the floor for any bot on this harness."""
    app = Application.builder().token(token).base_url(base_url).build()
    app.add_handler(MessageHandler(filters.TEXT, _echo))
    return app


class EchoBot:
    """The echo bot in this process, polling as RunningBot does."""

    def __init__(self, fake: FakeBotAPI) -> None:
        self.app = echo_application(fake.token, fake.base_url)

    async def start(self) -> EchoBot:
        await self.app.initialize()
        await self.app.start()
        await self.app.updater.start_polling(poll_interval=0, timeout=10)
        return self

    async def stop(self) -> None:
        await self.app.updater.stop()
        await self.app.stop()
        await self.app.shutdown()


class Round(NamedTuple):
    latencies: list[float]  # ms, one question at a time
    rate: float  # answers a second in the burst
    cpu: float | None  # ms of the bot process's CPU per answer in the burst (own process only)
    rss: float | None  # the bot process's peak resident memory, MB (own process only)


def cpu_seconds(pid: int | None) -> float | None:
    """A process's CPU time, all threads, user and system (Linux; None elsewhere)."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss(pid: int | None) -> float | None:
    """A process's peak resident memory in MB (Linux; None elsewhere)."""
    if pid is None:
        return None
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    kb = next((line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")), None)
    return int(kb) / 1024 if kb else None


async def measure(fake: FakeBotAPI, qs: list[str], n_latency: int, burst: int, pid: int | None) -> Round:
    """Latencies of one-at-a-time questions, then the rate of a burst and its CPU cost."""
    await fake.wait_idle()
    latencies = []
    for i in range(n_latency):
        user = 10_000 + i  # a new member each time: flood control never kicks in
        start = time.perf_counter()
        fake.send_text(qs[i % len(qs)], user_id=user)
        await fake.wait_for_sent(1, chat_id=user, timeout=10)
        latencies.append((time.perf_counter() - start) * 1000)
    before, cpu_before = len(fake.sent), cpu_seconds(pid)
    start = time.perf_counter()
    for i in range(burst):
        fake.send_text(qs[i % len(qs)], user_id=100_000 + i)
    while len(fake.sent) - before < burst:
        await asyncio.sleep(0.005)
    rate = burst / (time.perf_counter() - start)
    cpu_after = cpu_seconds(pid)
    used = None if cpu_before is None or cpu_after is None else (cpu_after - cpu_before) * 1000 / burst
    return Round(latencies, rate, used, peak_rss(pid))


def serve(which: str) -> None:
    """A bot process of its own: settings from the environment, as `python -m bot run`."""
    from bot.config import Settings
    from bot.logs import setup_logging
    from bot.storage import open_store
    from bot.tg.app import build_application

    if which == "echo":
        app = echo_application(os.environ["TELEGRAM_BOT_TOKEN"], os.environ["TELEGRAM_API_URL"])
    else:
        settings = dataclasses.replace(Settings.from_env(), rate_limit=False)
        setup_logging(secret=settings.token)
        app = build_application(settings, Engine.load(settings.knowledge_dir), open_store(settings.data_dir))
    app.run_polling(allowed_updates=Update.ALL_TYPES)


@asynccontextmanager
async def running(which: str, engine: Engine, rtt: float,
                  process: bool) -> AsyncIterator[tuple[FakeBotAPI, int | None]]:
    """A fresh fake Bot API with the echo bot or the real bot (a fresh store) polling it, and
    the bot's process id if it has a process of its own (then its CPU time is its own)."""
    with tempfile.TemporaryDirectory() as data:
        async with FakeBotAPI() as fake:
            fake.latency = rtt
            pid = None
            if process:
                argv = (str(Path(__file__).resolve()), "--serve", which)
                child = await BotProcess(fake, Path(data) / "data", log_dir=Path(data), argv=argv).start()
                stop, pid = child.stop, child.proc.pid if child.proc else None
            elif which == "echo":
                stop = (await EchoBot(fake).start()).stop
            else:
                stop = (await RunningBot(fake, Path(data), engine, rate_limit=False).start()).stop
            try:
                yield fake, pid
            finally:
                await stop()


async def one_round(which: str, engine: Engine, qs: list[str], n_latency: int, burst: int,
                    rtt: float, process: bool) -> Round:
    async with running(which, engine, rtt, process) as (fake, pid):
        return await measure(fake, qs, n_latency, burst, pid)


async def main_async(n_latency: int, burst: int, rounds: int, asked: Path | None, rtt: float,
                     process: bool) -> None:
    """Echo and bot alternate, so a machine that slows down midway slows both alike."""
    qs = [q for q in (asked_in(asked) if asked else questions()) if q.strip()]
    engine = Engine.load()
    print(f"{rounds} rounds of: {n_latency} one-at-a-time questions, then a burst of {burst}, "
          f"drawn from {len(qs)} ({asked.name if asked else 'the default set'}); no rate limiter; "
          f"Bot API round trip {rtt * 1000:.0f} ms; {'a process each' if process else 'in this process'}")
    print(f"{'round':<7}{'echo ms':>9}{'bot ms':>9}{'ratio':>8}{'echo/s':>9}{'bot/s':>8}"
          + (f"{'echo cpu':>10}{'bot cpu':>9}" if process else ""))
    ratios, rates, cpus, rss = [], [], [], []
    for k in range(rounds):
        echo = await one_round("echo", engine, qs, n_latency, burst, rtt, process)
        bot = await one_round("bot", engine, qs, n_latency, burst, rtt, process)
        echo_med, med = statistics.median(echo.latencies), statistics.median(bot.latencies)
        ratios.append(med / echo_med)
        rates.append(bot.rate)
        line = f"{k + 1:<7}{echo_med:>9.2f}{med:>9.2f}{ratios[-1]:>7.2f}x{echo.rate:>9.0f}{bot.rate:>8.0f}"
        if echo.cpu is not None and bot.cpu is not None:
            cpus.append((echo.cpu, bot.cpu))
            rss.append(bot.rss or 0.0)
            line += f"{echo.cpu:>8.2f}ms{bot.cpu:>7.2f}ms"
        print(line)
    print(f"median over {rounds} rounds: latency ratio bot/echo {statistics.median(ratios):.2f}x "
          f"(target <= 2x; range {min(ratios):.2f}-{max(ratios):.2f}); "
          f"sustained {statistics.median(rates):.0f} answers/s "
          f"(target >= 150; range {min(rates):.0f}-{max(rates):.0f})")
    if cpus:  # CPU time is what the machine's other load moves least
        echo_cpu, bot_cpu = (statistics.median(c) for c in zip(*cpus, strict=True))
        print(f"CPU per answer in the burst: echo {echo_cpu:.2f} ms, bot {bot_cpu:.2f} ms; "
              f"one core's worth is {1000 / bot_cpu:.0f} answers/s; "
              f"the bot's peak memory {max(rss):.0f} MB (target <= 300)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=int, default=300)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--questions", type=Path, help="a question set to replay (default: the dev set)")
    parser.add_argument("--rtt", type=float, default=0.0, help="Bot API round trip in ms (default 0)")
    parser.add_argument("--in-process", action="store_true", help="bots in this event loop")
    parser.add_argument("--serve", choices=("echo", "bot"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return 0
    asyncio.run(main_async(args.latency, args.burst, args.rounds, args.questions, args.rtt / 1000,
                           not args.in_process))
    return 0


if __name__ == "__main__":
    sys.exit(main())
