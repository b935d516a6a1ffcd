"""Settings from the environment: a missing token is one clear line, and the token never leaks."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answers.knowledge import DEFAULT_DIR
from bot.config import ConfigError, Settings

TOKEN = "123456789:AAE-fake_token_for_tests_only_xyz"


def test_minimal_environment_gives_defaults() -> None:
    s = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN})
    assert s.token == TOKEN
    assert s.knowledge_dir == DEFAULT_DIR
    assert s.database == Path("data") / "bot.sqlite3"
    assert s.port == 8443
    assert s.organiser_ids == frozenset()
    assert s.announce_channel_id is None and s.admin_chat_id is None
    assert s.webhook_secret and TOKEN not in s.webhook_secret


@pytest.mark.parametrize("env", [{}, {"TELEGRAM_BOT_TOKEN": ""}, {"TELEGRAM_BOT_TOKEN": "   "}])
def test_missing_token_is_a_one_line_config_error(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    message = str(caught.value)
    assert "\n" not in message
    assert "TELEGRAM_BOT_TOKEN" in message and "@BotFather" in message


def test_token_is_trimmed() -> None:
    assert Settings.from_env({"TELEGRAM_BOT_TOKEN": f"  {TOKEN}\n"}).token == TOKEN


def test_repr_and_str_never_show_the_token_or_webhook_secret() -> None:
    s = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "WEBHOOK_SECRET": "hush-hush-secret"})
    assert s.webhook_secret == "hush-hush-secret"
    for shown in (repr(s), str(s), f"{s!r}", repr([s])):
        assert TOKEN not in shown
        assert TOKEN.split(":")[1] not in shown
        assert "hush-hush-secret" not in shown
    assert "Settings(" in repr(s)  # still a useful repr


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", frozenset()),
        ("12345", frozenset({12345})),
        ("12345,67890", frozenset({12345, 67890})),
        (" 12345 , 67890 ", frozenset({12345, 67890})),
        ("1,,2,", frozenset({1, 2})),
        ("-100123", frozenset({-100123})),
    ],
)
def test_organiser_ids_are_parsed(raw: str, expected: frozenset[int]) -> None:
    s = Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "ORGANISER_IDS": raw})
    assert s.organiser_ids == expected


@pytest.mark.parametrize("raw", ["abc", "123;456", "12 34x", "@alice", "1.5"])
def test_bad_organiser_ids_are_a_clear_error(raw: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "ORGANISER_IDS": raw})
    message = str(caught.value)
    assert "ORGANISER_IDS" in message and "\n" not in message
    assert TOKEN not in message


@pytest.mark.parametrize("name", ["PORT", "ANNOUNCE_CHANNEL_ID", "ADMIN_CHAT_ID"])
def test_numbers_must_be_whole(name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, name: "twelve"})


def test_everything_else_is_read_from_the_environment(tmp_path: Path) -> None:
    s = Settings.from_env({
        "TELEGRAM_BOT_TOKEN": TOKEN, "KNOWLEDGE_DIR": str(tmp_path / "kb"), "DATA_DIR": str(tmp_path),
        "TELEGRAM_API_URL": "http://127.0.0.1:8081/bot", "WEBHOOK_URL": "https://example.org/hook",
        "PORT": "8080", "ANNOUNCE_CHANNEL_ID": "-100555", "ADMIN_CHAT_ID": "42",
        "ANNOUNCE_WAIT_SECONDS": "120",
    })
    assert s.knowledge_dir == tmp_path / "kb"
    assert s.database == tmp_path / "bot.sqlite3"
    assert s.api_url == "http://127.0.0.1:8081/bot" and s.webhook_url == "https://example.org/hook"
    assert (s.port, s.announce_channel_id, s.admin_chat_id) == (8080, -100555, 42)
    assert s.announce_wait_seconds == 120


def test_knowledge_dir_argument_wins_over_the_environment(tmp_path: Path) -> None:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "KNOWLEDGE_DIR": "/elsewhere"}
    s = Settings.from_env(env, knowledge_dir=tmp_path)
    assert s.knowledge_dir == tmp_path


def test_gap_retention_defaults_to_30_days_and_never_more() -> None:
    assert Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN}).gap_days == 30
    assert Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "GAP_RETENTION_DAYS": "7"}).gap_days == 7
    for bad in ("31", "0", "-3", "a week"):
        with pytest.raises(ConfigError, match="GAP_RETENTION_DAYS"):
            Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "GAP_RETENTION_DAYS": bad})
