"""The knowledge base: the shipped one loads and traces back to its articles, and a broken one
is refused with `file:line: reason` that points an organiser at the exact spot to fix."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from bot.answers.engine import Engine
from bot.answers.knowledge import DEFAULT_DIR, KnowledgeBase, KnowledgeError, KnowledgeErrors, load_knowledge
from bot.answers.knowledge.files import ANSWER_LIMIT, TITLE_LIMIT
from bot.answers.knowledge.quotes import verify_quotes
from bot.answers.text import tokens
from tests.support.knowledge import (
    MINI_FACTS,
    MINI_SOURCES,
    MINI_TEXTS,
    ROOT,
    SEEDS,
    KbWriter,
    line_of,
    write_texts,
)

SHIPPED_FACT_FILES = {
    "ballot.yaml", "contracts.yaml", "people.yaml", "positions.yaml", "reports.yaml", "strike.yaml",
}


# --------------------------------------------------------------------------- the shipped base


def test_shipped_knowledge_base_passes_the_strict_check(engine: Engine) -> None:
    assert engine.kb.directory == DEFAULT_DIR
    assert len(engine.kb.facts) >= 20
    assert engine.consistency_problems() == []
    # Every fact comes from one of the shipped files and knows where it was defined.
    assert {Path(f.file).name for f in engine.kb.facts.values()} <= SHIPPED_FACT_FILES
    assert all(f.line > 0 for f in engine.kb.facts.values())


EVAL = SEEDS.parent / "eval"


def copied_into(kb: KnowledgeBase, asked: set[str]) -> list[tuple[str, str]]:
    """(entry, phrasing) of every fact or decline phrasing that is one of `asked`, compared as
    word tokens (joined by spaces), so case and punctuation do not hide a copy."""
    ours = [(f.id, p) for f in kb.facts.values() for p in f.phrasings]
    ours += [(d.id, p) for d in kb.declines for p in d.phrasings]
    return [(eid, p) for eid, p in ours if " ".join(tokens(p)) in asked]


@pytest.mark.skipif(not EVAL.is_dir(), reason="the question sets are not beside this checkout")
def test_no_phrasing_is_a_question_from_the_eval_sets(kb: KnowledgeBase) -> None:
    # They measure the engine; a phrasing copied from them would only measure the copy.
    asked = {" ".join(tokens(item["q"])) for name in ("dev-questions.yaml", "practice-questions.yaml")
             for item in yaml.safe_load((EVAL / name).read_text(encoding="utf-8"))}
    assert copied_into(kb, asked) == []


def test_the_fresh_wordings_stay_out_of_the_knowledge_base(kb: KnowledgeBase) -> None:
    # bench/fresh_wordings.py measures wordings the index has never seen: one copied into a
    # phrasing would only measure the copy. Each is keyed by a fact of the shipped base.
    fresh = yaml.safe_load((ROOT / "bench" / "fresh-wordings.yaml").read_text(encoding="utf-8"))
    assert set(fresh) <= set(kb.facts) and sum(len(qs) for qs in fresh.values()) > 400
    asked = {" ".join(tokens(q)) for qs in fresh.values() for q in qs}
    assert copied_into(kb, asked) == []


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


def test_no_title_or_answer_is_over_the_limits_check_enforces(kb: KnowledgeBase) -> None:
    too_long = {f.id: (len(f.title), len(f.answer)) for f in kb.facts.values()
                if len(f.title) > TITLE_LIMIT or len(f.answer) > ANSWER_LIMIT}
    assert too_long == {}
    assert (TITLE_LIMIT, ANSWER_LIMIT) == (40, 400)  # as README's "Writing knowledge" promises


def _needs_seeds() -> None:
    if not SEEDS.is_dir():
        pytest.skip(f"{SEEDS} is absent; the project must work without it")


def test_every_claim_quote_is_verbatim_in_its_source_article(kb: KnowledgeBase) -> None:
    # The same code as `python -m bot check --sources ../shared/seeds`, which also checks that
    # each article's sha256 is the one sources.yaml records.
    _needs_seeds()
    assert verify_quotes(kb, SEEDS) == []
    assert all(s.seed and s.sha256 for s in kb.sources.values())


def test_traceability_check_catches_a_changed_figure_in_a_quote(tmp_path: Path) -> None:
    # Issue 10, item 11: "84.4" changed to "94.4" inside a quote used to pass `check`.
    _needs_seeds()
    copy = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_DIR, copy)
    ballot = copy / "facts" / "ballot.yaml"
    original = ballot.read_text(encoding="utf-8")
    needle = 'quote: "84.4 per cent of members'
    changed = _swap(original, needle, needle.replace("84.4", "94.4"))
    ballot.write_text(changed, encoding="utf-8")
    errors = verify_quotes(load_knowledge(copy), SEEDS)
    assert [(Path(e.path), e.line) for e in errors] == [(ballot, line_of(changed, "94.4 per cent"))]
    assert "not verbatim" in errors[0].reason and "94.4 per cent" in errors[0].reason


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
LONG_TITLE = _swap(MINI_FACTS, "title: When the walkout is", "title: " + "W" * (TITLE_LIMIT + 1))
LONG_ANSWER = _swap(MINI_FACTS, "answer: The walkout is on Thursday and lasts one day.",
                    "answer: " + "The walkout is on Thursday. " * (ANSWER_LIMIT // 20))
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
    ("title-over-the-limit", {"facts_main": LONG_TITLE}, "facts/main.yaml", line_of(LONG_TITLE, "WWW"),
     ["walkout-day", "'title'", f"{TITLE_LIMIT + 1} characters", f"limit is {TITLE_LIMIT}"]),
    ("answer-over-the-limit", {"facts_main": LONG_ANSWER}, "facts/main.yaml",
     line_of(LONG_ANSWER, "answer: The walkout is on Thursday. The"),
     ["walkout-day", "'answer'", f"limit is {ANSWER_LIMIT}"]),
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


def test_a_title_and_answer_exactly_at_the_limits_load(tmp_path: Path, write_kb: KbWriter) -> None:
    answer = ("The walkout is on Thursday " * 20)[: ANSWER_LIMIT - 1].strip() + "."
    facts = _swap(MINI_FACTS, "title: When the walkout is", "title: " + "W" * TITLE_LIMIT)
    facts = _swap(facts, "answer: The walkout is on Thursday and lasts one day.", "answer: " + answer)
    kb = load_knowledge(write_kb(tmp_path, facts_main=facts))
    assert len(kb.facts["walkout-day"].title) == TITLE_LIMIT
    assert len(kb.facts["walkout-day"].answer) == len(answer) <= ANSWER_LIMIT


# --------------------------------------------------------------------------- one error, not its echoes


@pytest.mark.parametrize(("broken", "reason"), [
    (_swap(MINI_SOURCES, "order: 1", "order: [1"), "invalid YAML"),
    (_swap(MINI_SOURCES, "sources:", "source:"), "top-level 'sources:'"),
], ids=["not-yaml", "no-sources-list"])
def test_unreadable_sources_file_is_the_only_error_reported(
    tmp_path: Path, write_kb: KbWriter, broken: str, reason: str
) -> None:
    # Every claim cites a source that sources.yaml would define: none of them is "unknown".
    directory = write_kb(tmp_path, sources=broken)
    errors = _errors_in(directory)
    assert [(Path(e.path).name, reason in e.reason) for e in errors] == [("sources.yaml", True)]


def test_unparseable_facts_file_is_the_only_error_reported(tmp_path: Path, write_kb: KbWriter) -> None:
    # b.yaml relates to a fact defined in the broken main.yaml: that is not a second problem.
    other = """\
facts:
  - id: pay
    title: Strike pay
    answer: Members on strike get no pay for the day.
    claims:
      - source: bulletin
        quote: strike called for Thursday
    phrasings: [do we get paid on strike day]
    related: [class-sizes]
"""
    directory = write_kb(tmp_path, facts_main=UNCLOSED_QUOTE, facts_b=other)
    errors = _errors_in(directory)
    assert [(Path(e.path).name, "invalid YAML" in e.reason) for e in errors] == [("main.yaml", True)]
    # With main.yaml mended, the same related id is fine, and a real dangling one is still caught.
    load_knowledge(write_kb(tmp_path, facts_main=MINI_FACTS))
    directory = write_kb(tmp_path, facts_b=other.replace("[class-sizes]", "[class-size]"))
    assert ["unknown related fact 'class-size'" in e.reason for e in _errors_in(directory)] == [True]


# --------------------------------------------------------------------------- quotes against the texts


def _mini_with_texts(tmp_path: Path, write_kb: KbWriter, texts: dict[str, str] | None = None,
                     facts: str = MINI_FACTS, edit_sources: tuple[str, str] = ("", "")
                     ) -> tuple[KnowledgeBase, Path, str]:
    texts_dir, sources = write_texts(tmp_path, texts)
    if edit_sources[0]:
        sources = _swap(sources, *edit_sources)
    kb = load_knowledge(write_kb(tmp_path, sources=sources, facts_main=facts))
    return kb, texts_dir, sources


def test_quotes_found_in_the_right_texts_pass(tmp_path: Path, write_kb: KbWriter) -> None:
    kb, texts_dir, _ = _mini_with_texts(tmp_path, write_kb)
    assert kb.sources["gazette"].seed == "gazette.txt" and kb.sources["gazette"].sha256
    assert verify_quotes(kb, texts_dir) == []


def test_a_quote_that_is_not_in_its_text_is_reported_at_its_line(tmp_path: Path, write_kb: KbWriter) -> None:
    facts = _swap(MINI_FACTS, "quote: classes of up to 38 pupils", "quote: classes of up to 48 pupils")
    kb, texts_dir, _ = _mini_with_texts(tmp_path, write_kb, facts=facts)
    errors = verify_quotes(kb, texts_dir)
    assert [str(e) for e in errors] == [
        f"{kb.directory / 'facts' / 'main.yaml'}:{line_of(facts, '48 pupils')}: fact 'class-sizes': "
        "quote is not verbatim in gazette.txt: \"classes of up to 48 pupils\""
    ]


def test_a_text_with_another_checksum_is_refused_not_searched(tmp_path: Path, write_kb: KbWriter) -> None:
    # Same quotes, different article (say, a later edit of it): the checksum catches it.
    edited = {**MINI_TEXTS, "gazette.txt": MINI_TEXTS["gazette.txt"] + "Updated at 5pm.\n"}
    kb, texts_dir, sources = _mini_with_texts(tmp_path, write_kb, texts=edited)
    errors = verify_quotes(kb, texts_dir)
    gazette = line_of(sources, "- id: gazette")
    assert [(Path(e.path).name, e.line) for e in errors] == [("sources.yaml", gazette)]
    assert "source 'gazette'" in errors[0].reason and "sha256" in errors[0].reason
    assert "not the text these quotes were taken from" in errors[0].reason


def test_a_missing_checksum_is_reported_with_the_one_to_record(tmp_path: Path, write_kb: KbWriter) -> None:
    kb, texts_dir, sources = _mini_with_texts(tmp_path, write_kb)
    recorded = kb.sources["bulletin"].sha256
    assert recorded
    kb2 = load_knowledge(write_kb(tmp_path, sources=_swap(sources, f"    sha256: {recorded}\n", "")))
    errors = verify_quotes(kb2, texts_dir)
    assert len(errors) == 1 and errors[0].line == line_of(sources, "- id: bulletin")
    assert f"add: sha256: {recorded}" in errors[0].reason


@pytest.mark.parametrize("case", ["text-missing", "no-seed-named", "directory-missing"])
def test_quotes_that_cannot_be_checked_are_an_error_not_a_pass(
    tmp_path: Path, write_kb: KbWriter, case: str
) -> None:
    kb, texts_dir, sources = _mini_with_texts(tmp_path, write_kb)
    if case == "text-missing":
        (texts_dir / "bulletin.txt").unlink()
    elif case == "no-seed-named":
        kb = load_knowledge(write_kb(tmp_path, sources=_swap(sources, "    seed: bulletin.txt\n", "")))
    else:
        texts_dir = tmp_path / "nowhere"
    errors = verify_quotes(kb, texts_dir)
    assert len(errors) == 1
    wanted = {"text-missing": "bulletin.txt not found", "no-seed-named": "names no 'seed' text",
              "directory-missing": "source texts directory not found"}[case]
    assert wanted in errors[0].reason
