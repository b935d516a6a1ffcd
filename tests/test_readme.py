"""The README promises only what the repository holds and the code does (issue 10, item 14).

Only checkable claims are checked: cited files exist, limits and dates match the code, and
the measured throughput says how it was measured and what caps it in production.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.answers.knowledge.files import ANSWER_LIMIT, TITLE_LIMIT
from bot.answers.knowledge.location import PACKAGED_NAME
from tests.support.knowledge import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
CODE_SPANS = re.findall(r"`([^`\n]+)`", README)
PATHLIKE = re.compile(r"^(\.?[a-z_]+/[^ ]*|[A-Za-z_.-]+\.(toml|txt|yaml|py|example)|Procfile)$")


def _section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start: end if end > 0 else None]


def _exists(cited: str) -> bool:
    """A path in the repository, or a file inside knowledge/ named on its own (OUT/: written by export)."""
    if cited.startswith("OUT/"):
        return True
    cited = cited.replace(f"bot/{PACKAGED_NAME}", "knowledge", 1)  # the wheel's name for it
    return any(any(base.glob(cited)) or (base / cited).exists() for base in (ROOT, ROOT / "knowledge"))


def test_every_file_the_readme_cites_exists() -> None:
    cited = [span for span in CODE_SPANS if PATHLIKE.match(span)]
    assert len(cited) >= 10  # the pattern still finds the README's paths
    assert [path for path in cited if not _exists(path)] == []


def test_the_limits_the_readme_states_are_the_ones_check_enforces() -> None:
    writing = _section("Writing knowledge")
    assert f"title over {TITLE_LIMIT}" in writing and f"answer over {ANSWER_LIMIT}" in writing
    assert f"{TITLE_LIMIT} characters or less" in writing


def test_no_scheduling_example_is_in_the_past() -> None:
    examples = re.findall(r"/announce at (\d{4}-\d\d-\d\d \d\d:\d\d)", README)
    now = datetime.now(UTC).replace(tzinfo=None)
    assert [when for when in examples if datetime.strptime(when, "%Y-%m-%d %H:%M") <= now] == []
    assert "/announce at YYYY-MM-DD HH:MM TEXT" in README


def test_the_throughput_figure_says_how_it_was_measured_and_what_caps_it_when_deployed() -> None:
    figures = _section("Figures")
    paragraph = figures[figures.index("**Bot over HTTP**"): figures.index("**Broadcast**")]
    assert "rate limiter" in paragraph and "off" in paragraph
    assert "As deployed" in paragraph and "30 messages a second" in paragraph


def test_a_new_organiser_is_told_every_setting_and_right_they_need() -> None:
    setup = _section("Setting up as a new organiser")
    for needed in ("@BotFather", "/newbot", "TELEGRAM_BOT_TOKEN", "ORGANISER_IDS", "ANNOUNCE_CHANNEL_ID",
                   "getUpdates", "can_post_messages", "can_edit_messages", "pinChatMessage", "/cancel"):
        assert needed in setup, needed
