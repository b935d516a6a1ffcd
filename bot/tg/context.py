"""The bot's shared resources, kept under one named key in `bot_data`.

Handlers fetch what they need from here and stay thin. Knowledge can be swapped at run
time (reload, announcements) without restarting: a failed rebuild keeps the old engine.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

from bot.answers.announcements import announcement_facts
from bot.answers.engine import Engine
from bot.answers.knowledge import KnowledgeErrors
from bot.config import Settings
from bot.storage import Store
from bot.tg.flood import FloodControl

log = logging.getLogger(__name__)

# Keys into bot_data: settings and the engine are there from the start, services after post_init.
SETTINGS = "settings"
BASE_ENGINE = "base_engine"
SERVICES = "services"


@dataclass
class Services:
    """Everything a handler may need; built in `post_init`, closed in `post_shutdown`."""

    settings: Settings
    base: Engine
    store: Store
    engine: Engine = field(init=False)
    flood: FloodControl = field(init=False)
    group_flood: FloodControl = field(init=False)
    admin_cache: dict[int, tuple[float, frozenset[int]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.flood = FloodControl(self.settings.flood_messages, self.settings.flood_seconds)
        # Groups: at most a handful of replies a minute, whoever asks.
        self.group_flood = FloodControl(limit=6, window=60.0)
        self.engine = self.base
        self.refresh_announcements()

    def refresh_announcements(self) -> None:
        """Rebuild the engine so posted announcements are answerable as dated facts."""
        sources, facts = announcement_facts(
            self.store.posted_for_knowledge(), self.base.kb.texts.union
        )
        if not facts:
            self.engine = self.base
            return
        self.engine = Engine(self.base.kb.with_facts(sources, facts))

    def reload(self) -> list[str]:
        """Reload knowledge from disk; on any problem keep the running one and say why."""
        try:
            fresh = Engine.load(self.base.kb.directory)
        except KnowledgeErrors as exc:
            log.warning("knowledge reload refused: %d problem(s)", len(exc.errors))
            return [str(e) for e in exc.errors]
        self.base = fresh
        self.refresh_announcements()
        log.info("knowledge reloaded: %d facts", len(fresh.kb.facts))
        return []


def get_services(bot_data: MutableMapping[str, Any]) -> Services:
    """The Services object from `context.bot_data`."""
    return bot_data[SERVICES]  # type: ignore[no-any-return]
