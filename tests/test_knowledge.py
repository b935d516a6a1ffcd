"""The knowledge base: the shipped one loads and traces back to its articles, and a broken one
is refused with `file:line: reason` that points an organiser at the exact spot to fix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import MINI_FACTS, MINI_SOURCES, SEEDS, KbWriter, line_of

from bot.answers.engine import Engine
from bot.answers.knowledge import DEFAULT_DIR, KnowledgeBase, KnowledgeError, KnowledgeErrors, load_knowledge

SHIPPED_FACT_FILES = {"ballot.yaml", "contracts.yaml", "people.yaml", "positions.yaml", "strike.yaml"}


# --------------------------------------------------------------------------- the shipped base


def test_shipped_knowledge_base_passes_the_strict_check(engine: Engine) -> None:
    assert engine.kb.directory == DEFAULT_DIR
    assert len(engine.kb.facts) >= 20
    assert engine.consistency_problems() == []
    # Every fact comes from one of the shipped files and knows where it was defined.
    assert {Path(f.file).name for f in engine.kb.facts.values()} <= SHIPPED_FACT_FILES
    assert all(f.line > 0 for f in engine.kb.facts.values())


def test_shipped_sources_are_the_two_articles_with_their_real_dates(kb: KnowledgeBase) -> None:
    assert set(kb.sources) == {"independent", "bbc"}
    independent, bbc = kb.sources["independent"], kb.sources["bbc"]
    assert independent.date == dt.date(2013, 10, 18)
    assert independent.outlet == "The Independent"
    # The BBC page carries no date: it must not be given one, only ranked as later.
    assert bbc.date is None
    assert bbc.date_label == "undated"
    assert bbc.order > independent.order


def test_every_referenced_source_exists(kb: KnowledgeBase) -> None:
    missing = [(f.id, c.source) for f in kb.facts.values() for c in f.claims if c.source not in kb.sources]
    assert missing == []
    assert all(f.claims for f in kb.facts.values())


def test_related_ids_point_at_real_facts(kb: KnowledgeBase) -> None:
    dangling = [(f.id, r) for f in kb.facts.values() for r in f.related if r not in kb.facts]
    assert dangling == []


def test_no_answer_is_longer_than_a_phone_screen(kb: KnowledgeBase) -> None:
    too_long = {f.id: len(f.answer) for f in kb.facts.values() if len(f.answer) > 400}
    assert too_long == {}


def _seed_text(kb: KnowledgeBase, source_id: str) -> str:
    if not SEEDS.is_dir():
        pytest.skip(f"{SEEDS} is absent; the project must work without it")
    seed = kb.sources[source_id].seed
    assert seed, f"source {source_id!r} has no 'seed' file named"
    path = SEEDS / seed
    assert path.is_file(), f"seed file {path} for source {source_id!r} is missing"
    return path.read_text(encoding="utf-8")


def test_every_claim_quote_is_verbatim_in_its_source_article(kb: KnowledgeBase) -> None:
    texts = {sid: _seed_text(kb, sid) for sid in kb.sources}
    untraceable = [
        (fact.id, claim.source, claim.quote)
        for fact in kb.facts.values()
        for claim in fact.claims
        if claim.quote not in texts[claim.source]
    ]
    assert untraceable == []


def test_traceability_check_would_catch_an_invented_quote(kb: KnowledgeBase) -> None:
    # The check above only means something if a paraphrase does fail it.
    text = _seed_text(kb, "independent")
    assert "84.4 per cent of members supported strike action" in text
    assert "84.4% of members supported strike action" not in text


# --------------------------------------------------------------------------- broken bases

_FACT2_PHRASINGS = """\
    phrasings:
      - when is the walkout
      - what day is the walkout
      - is it on thursday
"""
_FACT2_CLAIMS = """\
    claims:
      - source: bulletin
        quote: strike called for Thursday
"""
# The mini base's second fact starts here; fields missing from it are reported at this line.
FACT2 = line_of(MINI_FACTS, "- id: walkout-day")


def _lines_with(text: str, needle: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]


def _without(text: str, chunk: str) -> str:
    assert chunk in text
    return text.replace(chunk, "")


def _swap(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


BAD_INDENT = _swap(MINI_FACTS, "    title: When the walkout is", "      title: When the walkout is")
UNCLOSED_QUOTE = _swap(MINI_FACTS, "answer: The walkout is on", 'answer: "The walkout is on')
UNKNOWN_SOURCE = _swap(MINI_FACTS, "source: bulletin", "source: bulettin")
SAME_PHRASING = _swap(MINI_FACTS, "- is it on thursday", "- how big are the classes")
UNKNOWN_RELATED = _swap(MINI_FACTS, "related: [class-sizes]", "related: [class-size]")
NO_DATE = _without(MINI_SOURCES, "    date: null\n")
BAD_DATE = _swap(MINI_SOURCES, "date: 2020-03-02", "date: 2nd March")
# A second file that defines `class-sizes` again (with its own phrasings, so only the id clashes).
DUPLICATE_ID = """\
facts:
  - id: class-sizes
    title: Class sizes again
    answer: Classes can reach 38 pupils.
    claims:
      - source: gazette
        quote: classes of up to 38 pupils
    phrasings: [how many pupils per class]
"""

BROKEN = [
    # id, files to write, file named, line, words the reason must contain
    ("bad-indentation", {"facts_main": BAD_INDENT}, "facts/main.yaml",
     line_of(BAD_INDENT, "      title: When"), ["invalid YAML", "mapping values"]),
    ("unclosed-quote", {"facts_main": UNCLOSED_QUOTE}, "facts/main.yaml",
     line_of(UNCLOSED_QUOTE, 'answer: "The walkout'), ["invalid YAML", "quoted scalar"]),
    ("missing-answer", {"facts_main": _without(MINI_FACTS, "    answer: The walkout is on Thursday and "
                                                           "lasts one day.\n")},
     "facts/main.yaml", FACT2, ["walkout-day", "missing required field 'answer'"]),
    ("missing-title", {"facts_main": _without(MINI_FACTS, "    title: When the walkout is\n")},
     "facts/main.yaml", FACT2, ["walkout-day", "missing required field 'title'"]),
    ("missing-phrasings", {"facts_main": _without(MINI_FACTS, _FACT2_PHRASINGS)},
     "facts/main.yaml", FACT2, ["walkout-day", "missing required field 'phrasings'"]),
    ("missing-id", {"facts_main": _swap(MINI_FACTS, "- id: walkout-day\n    title", "- title")},
     "facts/main.yaml", FACT2, ["missing required field 'id'"]),
    ("no-claims", {"facts_main": _without(MINI_FACTS, _FACT2_CLAIMS)},
     "facts/main.yaml", FACT2, ["walkout-day", "has no source"]),
    ("unknown-source", {"facts_main": UNKNOWN_SOURCE}, "facts/main.yaml",
     line_of(UNKNOWN_SOURCE, "source: bulettin"), ["walkout-day", "unknown source id 'bulettin'"]),
    ("duplicate-fact-id", {"facts_zz": DUPLICATE_ID}, "facts/zz.yaml",
     line_of(DUPLICATE_ID, "- id: class-sizes"),
     ["duplicate fact id 'class-sizes'", f"main.yaml:{line_of(MINI_FACTS, '- id: class-sizes')}"]),
    ("same-phrasing-two-facts", {"facts_main": SAME_PHRASING}, "facts/main.yaml",
     _lines_with(SAME_PHRASING, "- how big are the classes")[1],  # the second one is the clash
     ["how big are the classes", "under two facts", "class-sizes", "walkout-day"]),
    ("unknown-related", {"facts_main": UNKNOWN_RELATED}, "facts/main.yaml",
     line_of(UNKNOWN_RELATED, "related: [class-size]"), ["walkout-day", "unknown related fact 'class-size'"]),
    ("source-without-date", {"sources": NO_DATE}, "sources.yaml",
     line_of(NO_DATE, "- id: bulletin"), ["bulletin", "missing required field 'date'"]),
    ("source-with-unreadable-date", {"sources": BAD_DATE}, "sources.yaml",
     line_of(BAD_DATE, "- id: gazette"), ["gazette", "YYYY-MM-DD"]),
    ("missing-sources-file", {"sources": None}, "sources.yaml", None, ["missing"]),
    ("empty-facts-file", {"facts_main": ""}, "facts/main.yaml", 1, ["empty", "facts:"]),
    ("facts-file-without-facts-key", {"facts_main": "fact:\n  - id: x\n"}, "facts/main.yaml", 1,
     ["top-level 'facts:'"]),
]


def _errors_in(directory: Path) -> list[KnowledgeError]:
    with pytest.raises(KnowledgeErrors) as caught:
        Engine.load(directory)
    assert caught.value.errors, "KnowledgeErrors raised without any error in it"
    return caught.value.errors


@pytest.mark.parametrize(("files", "where", "line", "reason_words"),
                         [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN])
def test_broken_knowledge_is_refused_with_file_line_and_reason(
    tmp_path: Path, write_kb: KbWriter, files: dict[str, str | None], where: str,
    line: int | None, reason_words: list[str],
) -> None:
    directory = write_kb(tmp_path, **files)
    errors = _errors_in(directory)
    wanted = directory / where
    hits = [e for e in errors if Path(e.path) == wanted and e.line == line]
    assert hits, f"no error at {where}:{line}; got {[str(e) for e in errors]}"
    assert any(all(w in e.reason for w in reason_words) for e in hits), [e.reason for e in hits]
    # The message a person reads is exactly `file:line: reason`.
    error = hits[0]
    expected_prefix = f"{wanted}:{line}: " if line else f"{wanted}: "
    assert str(error).startswith(expected_prefix)


def test_the_unbroken_mini_base_loads(tmp_path: Path, write_kb: KbWriter) -> None:
    # Guards the table above: each broken case differs from a valid base by one edit.
    engine = Engine.load(write_kb(tmp_path))
    assert set(engine.kb.facts) == {"class-sizes", "walkout-day"}
    assert engine.kb.texts.union == "FST"


def test_every_problem_is_reported_in_one_run(tmp_path: Path, write_kb: KbWriter) -> None:
    directory = write_kb(tmp_path, sources=NO_DATE, facts_main=UNKNOWN_RELATED, facts_zz=DUPLICATE_ID)
    reasons = " | ".join(str(e) for e in _errors_in(directory))
    for words in ("missing required field 'date'", "unknown related fact", "duplicate fact id"):
        assert words in reasons


def test_missing_directory_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeErrors) as caught:
        load_knowledge(tmp_path / "nowhere")
    assert [e.reason for e in caught.value.errors] == ["knowledge directory not found"]


def test_a_phrasing_that_matches_another_fact_better_is_refused(tmp_path: Path, write_kb: KbWriter) -> None:
    # "when is the walkout please" is filed under class sizes, but it asks for the walkout day.
    facts = _swap(MINI_FACTS, "      - how big are the classes\n",
                  "      - how big are the classes\n      - when is the walkout please\n")
    directory = write_kb(tmp_path, facts_main=facts)
    load_knowledge(directory)  # structurally fine: only the strict check can catch it
    errors = _errors_in(directory)
    assert errors
    # The conflict is reported on a phrasing line, naming both facts involved.
    phrasing_lines = {line_of(facts, p) for p in ("when is the walkout please", "is it on thursday",
                                                   "what day is the walkout")}
    for error in errors:
        assert Path(error.path) == directory / "facts/main.yaml"
        assert error.line in phrasing_lines
        assert "class-sizes" in error.reason and "walkout-day" in error.reason
    # Without the strict check the same base loads (the bot can still start, `check` says why).
    assert Engine.load(directory, strict=False).kb.facts["class-sizes"]
