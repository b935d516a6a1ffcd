"""Runs the real bot Application against the fake Bot API, as `python -m bot run` would.

`run_polling` does initialize -> post_init -> start_polling -> start (the JobQueue starts
last), and the reverse on stop; these helpers do the same steps in the same order so tests
can stop and restart the bot at will (same DATA_DIR = same SQLite file), which is how
restarts are simulated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from telegram import Update
from telegram.ext import Application

from bot.answers.engine import Engine
from bot.config import Settings
from bot.logs import setup_logging
from bot.tg.app import build_application
from bot.tg.context import Services, services_of
from tests.support.fakebotapi import FakeBotAPI

ORGANISER = 9001
MEMBER = 1001
CHANNEL = -1001234567890


@dataclass
class RunningBot:
    """One bot process: start it, talk to it through the fake server, stop it."""

    fake: FakeBotAPI
    data_dir: Path
    engine: Engine
    organisers: frozenset[int] = frozenset({ORGANISER})
    channel: int | None = CHANNEL
    rate_limit: bool = True
    flood_messages: int = 8
    announce_wait: float = 600.0
    app: Application = field(init=False)

    def settings(self) -> Settings:
        return Settings(
            token=self.fake.token,
            data_dir=self.data_dir,
            api_url=self.fake.base_url,
            organiser_ids=self.organisers,
            announce_channel_id=self.channel,
            rate_limit=self.rate_limit,
            flood_messages=self.flood_messages,
            announce_wait_seconds=self.announce_wait,
            knowledge_dir=self.engine.kb.directory,
        )

    async def start(self) -> RunningBot:
        setup_logging(secret=self.fake.token)  # as `python -m bot run` does
        self.app = build_application(self.settings(), self.engine)
        await self.app.initialize()
        if self.app.post_init:
            await self.app.post_init(self.app)
        await self.app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES)
        await self.app.start()
        return self

    async def stop(self) -> None:
        if self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        if self.app.post_shutdown:
            await self.app.post_shutdown(self.app)
        await self.app.shutdown()

    async def restart(self) -> RunningBot:
        await self.stop()
        return await self.start()

    @property
    def services(self) -> Services:
        return services_of(self.app)
