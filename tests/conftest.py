"""Shared fixtures for the answer-engine tests: the shipped knowledge base, loaded once, and a
writer for small throw-away knowledge directories that a test can then break on purpose."""

from __future__ import annotations

import shutil
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.answers.engine import Engine
from bot.answers.knowledge import KnowledgeBase
from bot.storage import Store
from bot.storage.db import Database
from tests.support.clock import Clock
from tests.support.fakebotapi import FakeBotAPI
from tests.support.harness import CHANNEL, RunningBot
from tests.support.knowledge import ROOT, KbWriter, write_kb_dir


@pytest.fixture
def write_kb() -> KbWriter:
    """`write_kb(tmp_path, facts_main=..., sources=None)` -> the knowledge directory written."""
    return write_kb_dir


@pytest.fixture(scope="session")
def engine() -> Engine:
    """The shipped knowledge base, strictly checked and indexed once per run."""
    return Engine.load()


@pytest.fixture(scope="session")
def kb(engine: Engine) -> KnowledgeBase:
    return engine.kb


# ---------------------------------------------------------------- end to end


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    """A started fake Bot API on 127.0.0.1 that knows the announcement channel."""
    api = FakeBotAPI()
    api.channels[CHANNEL] = "Napo announcements"
    api.add_chat(CHANNEL, "channel", title="Napo announcements")
    async with api:
        yield api


@pytest.fixture
async def bot(fake: FakeBotAPI, tmp_path: Path, engine: Engine) -> AsyncIterator[RunningBot]:
    """The real bot polling the fake, as `python -m bot run` would; stopped even on failure."""
    running = await RunningBot(fake, tmp_path, engine).start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
def writes_on_loop(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The store's durable writes (fsync'd transactions) made on the event loop's thread,
    named by the store method that made them. A running bot should make none."""
    seen: list[str] = []
    real_tx = Database._tx

    def watched(self: Database) -> Any:
        if threading.current_thread() is threading.main_thread():
            seen.append(sys._getframe(2).f_code.co_name)  # the store method inside its `with`
        return real_tx(self)

    monkeypatch.setattr(Database, "_tx", watched)
    return seen


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> Iterator[Store]:
    """An in-memory store on the hand-set clock."""
    with Store(":memory:", clock=clock) as s:
        yield s


@pytest.fixture
async def editable_knowledge(fake: FakeBotAPI, tmp_path: Path) -> AsyncIterator[Path]:
    """The bot running on its own copy of knowledge/, which the test may edit and /reload."""
    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    running = await RunningBot(fake, tmp_path / "data", Engine.load(knowledge)).start()
    try:
        yield knowledge
    finally:
        await running.stop()
