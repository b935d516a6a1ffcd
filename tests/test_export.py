"""`python -m bot export-local`: the database's additions as knowledge/ YAML that passes `check`."""

from __future__ import annotations

import io
from pathlib import Path

from bot.answers.knowledge import load_knowledge
from bot.cli import main
from bot.storage import Store
from tests.support.knowledge import ROOT

ORGANISER = 42


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdin=io.StringIO(), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    with Store(data / "bot.sqlite3") as store:
        fact = store.draft_fact("<b>No</b>: Napo has no strike pay.", ["do we get strike pay", "strike pay?"],
                                [], ORGANISER)
        store.save_fact(fact.id, ORGANISER)
        store.record_tap("wots the turnout then", "ballot-result")
        store.record_tap("strike pay for agency staff", "organiser-1")
        for cand in store.candidates():
            store.approve_phrasing(cand.id, ORGANISER)
        retired = store.draft_fact("Retired.", ["is the canteen open"], [], ORGANISER)
        store.save_fact(retired.id, ORGANISER)
        store.retire_fact(retired.id, ORGANISER)
    return data


def test_export_round_trips_through_check(tmp_path: Path) -> None:
    out = tmp_path / "knowledge"
    code, stdout, stderr = run(["export-local", "--data", str(data_dir(tmp_path)), str(out)])
    assert code == 0, stderr
    assert "passes check" in stdout
    assert run(["check", str(out)])[0] == 0
    kb = load_knowledge(out)
    fact = kb.facts["organiser-1"]
    assert fact.answer == "No: Napo has no strike pay."
    assert fact.phrasings == ("do we get strike pay", "strike pay?", "strike pay for agency staff")
    assert kb.sources["organiser-1"].outlet == "Napo organisers"
    assert "wots the turnout then" in kb.facts["ballot-result"].phrasings
    assert "organiser-2" not in kb.facts  # retired facts are not exported
    # Everything else is the shipped knowledge, untouched.
    shipped = load_knowledge(ROOT / "knowledge")
    assert set(kb.facts) - {"organiser-1"} == set(shipped.facts)
    assert (out / "smalltalk.yaml").read_text() == (ROOT / "knowledge" / "smalltalk.yaml").read_text()


def test_export_refuses_to_overwrite_and_needs_a_database(tmp_path: Path) -> None:
    existing = tmp_path / "out"
    existing.mkdir()
    (existing / "keep.txt").write_text("mine")
    code, _, stderr = run(["export-local", "--data", str(data_dir(tmp_path)), str(existing)])
    assert code == 1 and "already exists" in stderr
    assert (existing / "keep.txt").read_text() == "mine"
    code, _, stderr = run(["export-local", "--data", str(tmp_path / "nowhere"), str(tmp_path / "o2")])
    assert code == 1 and stderr.startswith("error: no bot database")
