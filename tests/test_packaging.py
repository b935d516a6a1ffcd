"""Packaging: a wheel holds every package and the knowledge base, and every command finds the
knowledge base in one order (`--knowledge`, then KNOWLEDGE_DIR, then the packaged default).

Building a wheel is slow, so `.ci/run` does that for real (installs it in a fresh venv and
runs `union-bot ask` from another directory); these tests check the configuration it uses.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.answers.knowledge import DEFAULT_DIR, knowledge_dir
from bot.answers.knowledge.location import PACKAGED_NAME, packaged_dir
from tests.support.knowledge import ROOT

SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
DATA_PACKAGE = f"bot.{PACKAGED_NAME}"


def test_every_package_under_bot_is_in_the_wheel() -> None:
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "bot").rglob("__init__.py")}
    listed = set(SETUPTOOLS["packages"])
    assert on_disk - listed == set(), "add these packages to [tool.setuptools] packages"
    assert listed - on_disk == {DATA_PACKAGE}


def test_the_wheel_ships_every_knowledge_file_as_the_data_package() -> None:
    assert SETUPTOOLS["package-dir"][DATA_PACKAGE] == "knowledge"
    knowledge = ROOT / "knowledge"
    shipped = {p for pattern in SETUPTOOLS["package-data"][DATA_PACKAGE] for p in knowledge.glob(pattern)}
    every = {p for p in knowledge.rglob("*") if p.is_file()}
    assert every and shipped == every


def test_the_wheel_ships_py_typed_so_importers_get_the_type_hints() -> None:
    assert (ROOT / "bot" / "py.typed").is_file()
    assert "py.typed" in SETUPTOOLS["package-data"]["bot"]


def test_a_checkout_uses_the_top_level_knowledge_directory() -> None:
    assert not (ROOT / "bot" / PACKAGED_NAME).exists()  # it exists only inside a wheel
    assert DEFAULT_DIR == ROOT / "knowledge"


def test_an_installed_copy_is_preferred_to_a_checkout(tmp_path: Path) -> None:
    bot = tmp_path / "site-packages" / "bot"
    (bot / PACKAGED_NAME).mkdir(parents=True)
    assert packaged_dir(bot) == bot / PACKAGED_NAME
    assert packaged_dir(tmp_path / "checkout" / "bot") == tmp_path / "checkout" / "knowledge"


@pytest.mark.parametrize(("explicit", "env", "expected"), [
    ("/a", {"KNOWLEDGE_DIR": "/b"}, Path("/a")),
    (None, {"KNOWLEDGE_DIR": "/b"}, Path("/b")),
    (None, {"KNOWLEDGE_DIR": "  "}, DEFAULT_DIR),
    (None, {}, DEFAULT_DIR),
])
def test_the_lookup_order(explicit: str | None, env: dict[str, str], expected: Path) -> None:
    assert knowledge_dir(explicit, env) == expected


def test_the_lookup_reads_the_real_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KNOWLEDGE_DIR", str(tmp_path))
    assert knowledge_dir() == tmp_path
    monkeypatch.delenv("KNOWLEDGE_DIR")
    assert knowledge_dir() == DEFAULT_DIR
