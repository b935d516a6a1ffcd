"""The layers hold: only `bot.tg` talks to Telegram, and the answer engine never touches SQLite.

Imports are read with `ast` from the source, so a lazy import inside a function counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[1] / "bot"
MODULES = sorted(BOT.rglob("*.py"))


def imported(path: Path) -> set[str]:
    """Top-level names of every module `path` imports (absolute imports only: we use no others)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import; use bot.<package>.<module>"
            names.add((node.module or "").split(".")[0])
    return names


def package_of(path: Path) -> str:
    return path.relative_to(BOT).parts[0] if len(path.relative_to(BOT).parts) > 1 else ""


def test_the_three_layer_packages_exist() -> None:
    assert {package_of(p) for p in MODULES} >= {"answers", "storage", "tg"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(BOT)))
def test_only_the_tg_package_imports_telegram(path: Path) -> None:
    if package_of(path) != "tg":
        assert "telegram" not in imported(path)


@pytest.mark.parametrize("path", [p for p in MODULES if package_of(p) == "answers"],
                         ids=lambda p: str(p.relative_to(BOT)))
def test_answers_never_touch_storage(path: Path) -> None:
    names = imported(path)
    assert "sqlite3" not in names and "telegram" not in names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(BOT)))
def test_modules_stay_small(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= 400


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    """The import reader must catch a lazy import buried in a function."""
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("def f():\n    from telegram import Bot\n    return Bot\n")
    assert "telegram" in imported(sneaky)
