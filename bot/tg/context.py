"""The bot's shared resources, and the typed context through which handlers reach them.

Handlers read `context.services` (PTB's `ContextTypes(context=BotContext)`), never raw
`bot_data` keys. Knowledge can be swapped at run time (reload, announcements) without a
restart: a failed rebuild keeps the old engine.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.answers.announcements import announcement_facts
from bot.answers.engine import Engine
from bot.answers.knowledge import KnowledgeErrors
from bot.answers.organiser import overlay
from bot.config import Settings
from bot.storage import Store
from bot.tg.flood import FloodControl

log = logging.getLogger(__name__)

# Keys into bot_data: settings and the engine are there from the start, services after post_init.
SETTINGS = "settings"
BASE_ENGINE = "base_engine"
SERVICES = "services"

P = ParamSpec("P")
T = TypeVar("T")


async def off_loop(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a store write (fsync'd, milliseconds on a slow disk) in a worker thread, so one
    organiser's action or one DM's bookkeeping never stalls every member's answer."""
    return await asyncio.to_thread(fn, *args, **kwargs)


@dataclass
class Services:
    """Everything a handler may need; built in `post_init`, closed in `post_shutdown`."""

    settings: Settings
    base: Engine
    store: Store
    flood: FloodControl = field(init=False)
    group_flood: FloodControl = field(init=False)
    admin_cache: dict[int, tuple[float, frozenset[int]]] = field(default_factory=dict)
    _engine: Engine = field(init=False)
    _generation: tuple[int, int] = field(init=False, default=(-1, -1))
    # What the last rebuild had to settle between knowledge/ and organisers' additions.
    conflicts: list[str] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.flood = FloodControl(self.settings.flood_messages, self.settings.flood_seconds)
        # Groups: at most a handful of replies a minute, whoever asks.
        self.group_flood = FloodControl(limit=6, window=60.0)
        self._engine = self.base

    @property
    def engine(self) -> Engine:
        """The base knowledge plus posted announcements and what organisers added (their
        facts, approved phrasings), rebuilt only when one of those changed.

        The store counts changes to each, so no caller has to remember to refresh after
        posting, editing or deleting an announcement, or saving or retiring a fact.
        """
        generation = (self.store.posted_generation, self.store.learned_generation)
        if self._generation != generation:
            self._generation = generation
            self._engine = self._build()
        return self._engine

    def _build(self) -> Engine:
        posted = self.store.posted_for_knowledge()
        sources, facts = announcement_facts(posted, self.base.kb.texts.union)
        written = self.store.live_facts()
        approved: dict[str, list[str]] = {}
        for learned in self.store.approved_phrasings():
            approved.setdefault(learned.fact_id, []).append(learned.phrasing)
        if not (facts or written or approved):
            self.conflicts = []
            return self.base
        kb, self.conflicts = overlay(self.base.kb.with_facts(sources, facts), written, approved)
        if self.conflicts:
            log.warning("organisers' additions conflict with knowledge/: %d", len(self.conflicts))
        return Engine(kb)

    def organiser_conflicts(self) -> list[str]:
        """After a reload: what knowledge/ now disputes with organisers' facts. The organisers'
        facts are kept; this lists shared phrasings and phrasings `check` would route wrongly."""
        engine = self.engine
        involved = [e.reason for e in engine.consistency_problems() if "'organiser-" in e.reason]
        return [*self.conflicts, *involved]

    def reload(self) -> list[str]:
        """Reload knowledge from disk; on any problem keep the running one and say why."""
        try:
            fresh = Engine.load(self.base.kb.directory)
        except KnowledgeErrors as exc:
            log.warning("knowledge reload refused: %d problem(s)", len(exc.errors))
            return [str(e) for e in exc.errors]
        self.base = fresh
        self._generation = (-1, -1)  # rebuild with announcements and organisers' facts on next use
        log.info("knowledge reloaded: %d facts", len(fresh.kb.facts))
        return []


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's context with the bot's services as a typed property."""

    @property
    def services(self) -> Services:
        return services_of(self.application)


CONTEXT_TYPES = ContextTypes(context=BotContext)


def services_of(app: Application[Any, Any, Any, Any, Any, Any]) -> Services:
    """The Services object of a running application (after post_init)."""
    services: Services = app.bot_data[SERVICES]
    return services
