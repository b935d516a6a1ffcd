"""Delivers one announcement to N simulated subscribers through the real bot and the fake Bot
API, with the rate limiter at Telegram's 30 messages a second, and compares the total time
with the floor N / 30 (250 s for 7,500 subscribers).

    python bench/bench_broadcast.py [--subscribers 7500]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answers.engine import Engine  # noqa: E402
from tests.support.fakebotapi import FakeBotAPI  # noqa: E402
from tests.support.harness import CHANNEL, ORGANISER, RunningBot  # noqa: E402

RATE = 30  # messages a second: Telegram's broadcast limit, AIORateLimiter's default


async def run(subscribers: int) -> None:
    with tempfile.TemporaryDirectory() as data:
        async with FakeBotAPI() as fake:
            bot = await RunningBot(fake, Path(data), Engine.load(), rate_limit=True).start()
            try:
                store = bot.services.store
                for chat_id in range(1_000_000, 1_000_000 + subscribers):
                    store.subscribe(chat_id)
                fake.send_text("/announce Strike starts at noon on Tuesday 5 November", user_id=ORGANISER)
                preview = (await fake.wait_for_sent(2, chat_id=ORGANISER))[-1]
                start = time.perf_counter()
                fake.press_button(preview, preview["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
                                  user_id=ORGANISER)
                await fake.wait_for_sent(1, chat_id=CHANNEL, timeout=30)
                while not store.recent(1):
                    await asyncio.sleep(0.01)
                ann_id = store.recent(1)[0].id
                while store.delivery_progress(ann_id)[0] < subscribers:
                    await asyncio.sleep(0.5)
                total = time.perf_counter() - start
                dms = sum(1 for m in fake.sent if m["chat"]["id"] >= 1_000_000)
                progress = [m["text"] for m in fake.messages_to(ORGANISER) if "of" in m["text"]]
            finally:
                await bot.stop()
    floor = subscribers / RATE
    print(f"subscribers: {subscribers:,}; DMs sent: {dms:,} (duplicates: {dms - subscribers})")
    overhead = 100 * (total / floor - 1)
    print(f"total: {total:.1f} s; floor at {RATE}/s: {floor:.1f} s; overhead {overhead:.1f}%")
    print(f"organiser's last progress message: {progress[-1] if progress else '-'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=7500)
    asyncio.run(run(parser.parse_args().subscribers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
