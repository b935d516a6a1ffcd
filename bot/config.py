"""Settings from environment variables (see .env.example); no telegram import.

The token is kept out of `repr()` so it cannot leak through a log line or a traceback.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.answers.knowledge import DEFAULT_DIR
from bot.answers.knowledge import knowledge_dir as resolve_knowledge_dir


class ConfigError(Exception):
    """A setting is missing or malformed; the message says which and how to fix it."""


def _ids(raw: str, name: str) -> frozenset[int]:
    try:
        return frozenset(int(x) for x in raw.replace(" ", "").split(",") if x)
    except ValueError as exc:
        raise ConfigError(f"{name} must be comma-separated Telegram user ids, e.g. 12345,67890") from exc


def _int(env: Mapping[str, str], name: str, default: int | None = None) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


@dataclass(frozen=True)
class Settings:
    """Everything `python -m bot run` needs, read once at startup."""

    token: str = field(repr=False)
    knowledge_dir: Path = DEFAULT_DIR
    data_dir: Path = Path("data")
    api_url: str | None = None
    webhook_url: str | None = None
    port: int = 8443
    webhook_secret: str = field(default="", repr=False)
    organiser_ids: frozenset[int] = frozenset()
    announce_channel_id: int | None = None
    admin_chat_id: int | None = None
    rate_limit: bool = True
    flood_messages: int = 8
    flood_seconds: float = 30.0
    gap_days: int = 30  # unanswered questions are deleted after this many days (at most 30)
    announce_wait_seconds: float = 600.0  # a bare /announce waits this long for the text

    @property
    def database(self) -> Path:
        return self.data_dir / "bot.sqlite3"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, knowledge_dir: Path | None = None) -> Settings:
        """Read settings; a missing token is a ConfigError with a one-line explanation.

        The knowledge base is found like every command finds it: `knowledge_dir`, then
        KNOWLEDGE_DIR, then the packaged default.
        """
        env = os.environ if env is None else env
        token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
        if not token:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set. Get a token from @BotFather and run: "
                "TELEGRAM_BOT_TOKEN=... python -m bot run  (or try `python -m bot ask` without one)"
            )
        secret = env.get("WEBHOOK_SECRET", "").strip() or hashlib.sha256(token.encode()).hexdigest()[:48]
        return cls(
            token=token,
            knowledge_dir=resolve_knowledge_dir(knowledge_dir, env),
            data_dir=Path(env.get("DATA_DIR") or "data"),
            api_url=env.get("TELEGRAM_API_URL") or None,
            webhook_url=env.get("WEBHOOK_URL") or None,
            port=_int(env, "PORT", 8443) or 8443,
            webhook_secret=secret,
            organiser_ids=_ids(env.get("ORGANISER_IDS", ""), "ORGANISER_IDS"),
            announce_channel_id=_int(env, "ANNOUNCE_CHANNEL_ID"),
            admin_chat_id=_int(env, "ADMIN_CHAT_ID"),
            gap_days=_gap_days(env),
            announce_wait_seconds=_int(env, "ANNOUNCE_WAIT_SECONDS", 600) or 600,
        )


def _gap_days(env: Mapping[str, str]) -> int:
    """GAP_RETENTION_DAYS: 1 to 30; members' unanswered questions are never kept longer."""
    days = _int(env, "GAP_RETENTION_DAYS", 30) or 0
    if not 1 <= days <= 30:
        raise ConfigError(f"GAP_RETENTION_DAYS must be between 1 and 30, got {days}")
    return days
