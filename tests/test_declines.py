"""Decline examples (declines.yaml): loading, `check`'s file:line errors, and the engine's
honest non-answers, on our own tiny fixture files (never the shipped knowledge/)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.answers.engine import Engine
from bot.answers.knowledge import KnowledgeError, KnowledgeErrors, load_knowledge
from bot.cli import main
from tests.support.knowledge import MINI_FACTS, KbWriter, line_of

DECLINES = """\
# questions the teachers' articles do not answer
declines:
  - id: strike-pay
    reply: >-
      The articles don't cover strike pay. Your FST rep can tell you what applies to you.
    phrasings:
      - do we get strike pay
      - will i be paid on the strike day
      - is there hardship money for strikers
  - id: supply-cover
    reply: The articles don't say who covers classes. Ask your FST rep.
    phrasings:
      - who covers my lessons on strike day
      - will supply teachers cover us
"""


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fixture base gets its own fitted model: keep it out of the user's cache."""
    monkeypatch.setenv("UNION_BOT_CACHE", str(tmp_path / "cache"))


def _errors(directory: Path) -> list[KnowledgeError]:
    with pytest.raises(KnowledgeErrors) as caught:
        load_knowledge(directory)
    return caught.value.errors


def test_declines_load_with_their_lines(tmp_path: Path, write_kb: KbWriter) -> None:
    kb = load_knowledge(write_kb(tmp_path, declines=DECLINES))
    assert [d.id for d in kb.declines] == ["strike-pay", "supply-cover"]
    pay = kb.declines[0]
    assert pay.reply.startswith("The articles don't cover strike pay.")
    assert pay.phrasings[0] == "do we get strike pay"
    assert pay.line == line_of(DECLINES, "- id: strike-pay")
    assert pay.file.endswith("declines.yaml")


def test_the_file_is_optional(tmp_path: Path, write_kb: KbWriter) -> None:
    assert load_knowledge(write_kb(tmp_path)).declines == ()


@pytest.mark.parametrize(
    ("text", "needle", "words"),
    [
        (DECLINES.replace("    reply: The articles don't say who covers classes. Ask your FST rep.\n", ""),
         "- id: supply-cover", ["supply-cover", "missing required field 'reply'"]),
        (DECLINES.replace("id: supply-cover", "id: Supply_Cover"), "- id: Supply_Cover", ["kebab-case"]),
        (DECLINES.replace("id: supply-cover", "id: strike-pay"), "- id: strike-pay\0",
         ["duplicate decline id 'strike-pay'"]),
        (DECLINES.replace("      - will supply teachers cover us\n", "      - why are teachers striking\n"),
         "- why are teachers striking", ["also a phrasing of fact 'class-sizes'"]),
        (DECLINES.replace("      - will supply teachers cover us\n", "      - do we get strike pay\n"),
         "- do we get strike pay\0", ["under two declines", "strike-pay", "supply-cover"]),
        (DECLINES.replace("declines:", "decline:"), "decline:", ["top-level 'declines:'"]),
        (DECLINES.replace("      - will supply teachers cover us\n", "      - [a, b]\n"),
         "- id: supply-cover", ["list of texts"]),
    ],
    ids=["no-reply", "not-kebab", "duplicate-id", "phrasing-of-a-fact", "phrasing-twice", "no-top-key",
         "phrasings-not-texts"],
)
def test_broken_declines_are_refused_with_file_line_and_reason(
    tmp_path: Path, write_kb: KbWriter, text: str, needle: str, words: list[str]
) -> None:
    directory = write_kb(tmp_path, declines=text)
    errors = [e for e in _errors(directory) if Path(e.path) == directory / "declines.yaml"]
    if needle.endswith("\0"):  # the second occurrence is the clash
        base = needle.rstrip("\0")
        lines = [n for n, line in enumerate(text.splitlines(), 1) if base in line]
        line = lines[1]
    else:
        line = line_of(text, needle)
    hits = [e for e in errors if e.line == line]
    assert hits, [str(e) for e in errors]
    assert any(all(w in e.reason for w in words) for e in hits), [e.reason for e in hits]
    assert str(hits[0]).startswith(f"{directory / 'declines.yaml'}:{line}: ")


def test_check_counts_the_decline_examples(tmp_path: Path, write_kb: KbWriter) -> None:
    directory = write_kb(tmp_path, declines=DECLINES)
    out = io.StringIO()
    assert main(["check", str(directory)], stdout=out, stderr=io.StringIO()) == 0
    assert "2 decline examples" in out.getvalue()


@pytest.mark.parametrize("question", ["do we get strike pay", "strike pay?", "paid for the strike day?"])
def test_a_decline_example_is_declined_with_its_own_reply(
    tmp_path: Path, write_kb: KbWriter, question: str
) -> None:
    engine = Engine.load(write_kb(tmp_path, declines=DECLINES), strict=False)
    reply = engine.ask(question)
    assert reply.kind == "decline" and not reply.answered and reply.fact is None
    assert reply.text.startswith(engine.kb.declines[0].reply)
    assert reply.to_json()["answered"] is False


def test_questions_the_facts_answer_are_still_answered(tmp_path: Path, write_kb: KbWriter) -> None:
    engine = Engine.load(write_kb(tmp_path, declines=DECLINES), strict=False)
    reply = engine.ask("when is the walkout")
    assert reply.answered and reply.fact is not None and reply.fact.id == "walkout-day"
    assert "walkout" in MINI_FACTS
