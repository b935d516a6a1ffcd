"""`python -m bot ask|chat|check`, run in-process with injected streams (and once for real)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.answers.engine import Engine
from bot.answers.knowledge import DEFAULT_DIR, KnowledgeBase
from bot.cli import main
from tests.support.knowledge import MINI_FACTS, MINI_SOURCES, ROOT, SEEDS, KbWriter, line_of, write_texts

JSON_FIELDS = {"question", "answered", "fact", "score", "text", "sources", "suggestions"}


def run(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_ask_prints_the_reply(kb: KnowledgeBase) -> None:
    code, out, err = run(["ask", "when does the strike start"])
    assert code == 0 and err == ""
    assert out.startswith(kb.facts["strike-timing"].answer)
    assert out.count("Sources:") == 1 and "BBC News" in out


@pytest.mark.parametrize("words", [["when", "does", "the", "strike", "start"],
                                   ["wot", "was", "the", "turnot"]])
def test_ask_unquoted_words_are_one_question(words: list[str], engine: Engine) -> None:
    # Each word used to be asked on its own: four replies for `ask wot was the turnot`.
    code, out, err = run(["ask", *words])
    assert code == 0 and err == ""
    assert out == engine.ask(" ".join(words)).text + "\n\n"
    assert run(["ask", " ".join(words)])[1] == out


def test_ask_prints_a_reply_to_each_question_of_a_message(engine: Engine) -> None:
    message = "when is the strike and what was the turnout?"
    reply = engine.ask(message)
    assert reply.also
    code, out, _ = run(["ask", message])
    assert code == 0 and out == "".join(r.text + "\n\n" for r in (reply, *reply.also))
    assert out.count("Source") == 2


def test_ask_a_quoted_question(kb: KnowledgeBase) -> None:
    code, out, _ = run(["ask", "how much are the contracts worth?"])
    assert code == 0
    assert kb.facts["contract-value"].answer in out


@pytest.mark.parametrize("blank", ["   ", "", "🙂"])
def test_ask_a_blank_question_gets_a_polite_reply_not_a_wait_for_input(blank: str, engine: Engine) -> None:
    code, out, err = run(["ask", blank], stdin="when is the strike\n")
    assert code == 0 and err == ""
    assert out == engine.ask(blank).text + "\n\n"
    assert engine.ask(blank).kind == "empty"


def test_ask_reads_stdin_when_no_question_given(kb: KnowledgeBase) -> None:
    code, out, _ = run(["ask"], stdin="when is the strike\n\nwhat's the weather\n")
    assert code == 0
    assert kb.facts["strike-timing"].answer in out
    assert kb.texts.decline in out


class Terminal(io.StringIO):
    """Standard input that is a person at a terminal."""

    def isatty(self) -> bool:
        return True


def test_ask_without_a_question_at_a_terminal_says_what_it_waits_for(kb: KnowledgeBase) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["ask"], stdin=Terminal("when is the strike\n"), stdout=out, stderr=err) == 0
    assert "one a line" in err.getvalue() and kb.texts.examples[0] in err.getvalue()
    assert kb.facts["strike-timing"].answer in out.getvalue()
    _, _, piped = run(["ask"], stdin="when is the strike\n")
    assert piped == ""  # piped questions (the scorer's) get no prompt


def test_ask_json_writes_one_object_per_stdin_line_in_order(kb: KnowledgeBase) -> None:
    questions = ["when is the strike", "", "hi", "risk", "is there strike pay", "   "]
    code, out, err = run(["ask", "--json"], stdin="\n".join(questions) + "\n")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert len(lines) == len(questions)  # blank lines still get an object each
    objects = [json.loads(line) for line in lines]
    assert [o["question"] for o in objects] == questions
    for o in objects:
        assert set(o) == JSON_FIELDS
    timing, blank, hello, vague, pay, spaces = objects
    assert timing["answered"] is True and timing["fact"] == "strike-timing"
    assert {s["outlet"] for s in timing["sources"]} == {"BBC News", "The Independent"}
    assert {s["date"] for s in timing["sources"]} == {None, "2013-10-18"}
    for o in (blank, hello, vague, pay, spaces):
        assert o["answered"] is False and o["fact"] is None and o["sources"] == []
    # Each button carries exactly what tapping it shows: the fact's card.
    assert len(vague["suggestions"]) >= 1
    for suggestion in vague["suggestions"]:
        assert set(suggestion) == {"fact", "title", "text"}
        assert suggestion["title"] == kb.facts[suggestion["fact"]].title
        assert suggestion["text"].startswith(kb.facts[suggestion["fact"]].answer)
        assert "Source" in suggestion["text"]
    # Strike pay is not in the reports: declined, with the knowledge base's own words if it has them.
    assert pay["text"] in {kb.texts.decline, *(d.reply for d in kb.declines)}


def test_ask_json_with_a_question_argument(kb: KnowledgeBase) -> None:
    code, out, _ = run(["ask", "--json", "turnout?"])
    assert code == 0
    (line,) = out.splitlines()
    data = json.loads(line)
    assert data["fact"] == "ballot-result" and data["question"] == "turnout?"
    assert data["text"].startswith(kb.facts["ballot-result"].answer)


def test_check_on_the_shipped_knowledge_exits_0_and_says_quotes_were_not_verified(kb: KnowledgeBase) -> None:
    code, out, err = run(["check"])
    assert code == 0 and err == ""
    assert "OK" in out and f"{len(kb.facts)} facts" in out and "2 sources" in out
    # No silent pass: without the texts, one line says the quotes went unchecked.
    unverified = [line for line in out.splitlines() if "not verified" in line.lower()]
    assert len(unverified) == 1 and "--sources DIR" in unverified[0]


def test_check_with_the_articles_verifies_every_quote(kb: KnowledgeBase) -> None:
    if not SEEDS.is_dir():
        pytest.skip(f"{SEEDS} is absent; the project must work without it")
    code, out, err = run(["check", "--sources", str(SEEDS)])
    assert (code, err) == (0, "")
    claims = sum(len(f.claims) for f in kb.facts.values())
    assert f"all {claims} quotes verified" in out and "not verified" not in out.lower()


def test_check_sources_refuses_a_changed_quote(tmp_path: Path, write_kb: KbWriter) -> None:
    texts, sources = write_texts(tmp_path)
    directory = write_kb(tmp_path, sources=sources)
    assert run(["check", "--sources", str(texts), str(directory)])[0] == 0
    facts = MINI_FACTS.replace("quote: classes of up to 38", "quote: classes of up to 48")
    write_kb(tmp_path, sources=sources, facts_main=facts)
    code, out, err = run(["check", "--sources", str(texts), str(directory)])
    assert code == 1 and "OK" not in out
    assert f"{directory / 'facts' / 'main.yaml'}:{line_of(facts, '48 pupils')}: " in err
    assert "not verbatim in gazette.txt" in err and "1 problem(s)" in err


@pytest.mark.parametrize("how", ["positional", "--knowledge"])
def test_check_on_a_broken_dir_exits_1_with_file_line_reason(
    tmp_path: Path, write_kb: KbWriter, how: str
) -> None:
    broken = MINI_FACTS.replace("source: bulletin", "source: nowhere")
    directory = write_kb(tmp_path, facts_main=broken)
    argv = ["check", str(directory)] if how == "positional" else ["check", "--knowledge", str(directory)]
    code, out, err = run(argv)
    assert code == 1
    assert "OK" not in out
    where = f"{directory / 'facts' / 'main.yaml'}:{line_of(broken, 'source: nowhere')}: "
    assert where + "fact 'walkout-day': unknown source id 'nowhere'" in err
    assert "1 problem(s)" in err
    assert "Traceback" not in err


def test_check_lists_every_problem(tmp_path: Path, write_kb: KbWriter) -> None:
    sources = MINI_SOURCES.replace("    date: null\n", "")
    directory = write_kb(tmp_path, facts_main=MINI_FACTS.replace("related: [class-sizes]", "related: [x]"),
                         sources=sources)
    code, _, err = run(["check", str(directory)])
    assert code == 1
    assert f"{directory / 'sources.yaml'}:{line_of(sources, '- id: bulletin')}: " in err
    assert "missing required field 'date'" in err
    assert "unknown related fact 'x'" in err
    assert "2 problem(s)" in err


def test_ask_with_a_broken_knowledge_dir_fails_cleanly(tmp_path: Path, write_kb: KbWriter) -> None:
    directory = write_kb(tmp_path, facts_main="facts: [")
    code, out, err = run(["ask", "--knowledge", str(directory), "hello"])
    assert code == 1 and out == ""
    assert "main.yaml:" in err and "invalid YAML" in err and "Traceback" not in err


def test_knowledge_option_selects_another_union(tmp_path: Path, write_kb: KbWriter) -> None:
    directory = write_kb(tmp_path)  # the fictional teachers' union from tests/support/knowledge.py
    code, out, _ = run(["ask", "--knowledge", str(directory), "when is the walkout"])
    assert code == 0
    assert out.startswith("The walkout is on Thursday and lasts one day.")
    assert "Staffroom Bulletin" in out and "Napo" not in out
    # A Napo question finds nothing there, and the decline is the teachers' union's own.
    code, out, _ = run(["ask", "--knowledge", str(directory), "what was the napo ballot turnout"])
    assert out.startswith("No sourced answer to that, ask your FST rep.")


def test_chat_greets_answers_and_quits(kb: KnowledgeBase) -> None:
    greeting = next(t for t in kb.smalltalk if t.id == "greeting")
    code, out, _ = run(["chat"], stdin="hi\nquit\nwhen is the strike\n")
    assert code == 0
    assert out.startswith(f"{kb.texts.name}: {kb.texts.welcome}")
    assert greeting.reply in out
    # Nothing after "quit" is read.
    assert kb.facts["strike-timing"].answer not in out


def test_chat_numbers_related_topics_and_ends_at_end_of_input(kb: KnowledgeBase) -> None:
    fact = kb.facts["ballot-result"]
    code, out, _ = run(["chat"], stdin="what was the turnout\n")
    assert code == 0
    assert fact.answer in out
    related = [kb.facts[r].title for r in fact.related]
    assert related and all(f"[{n}] {title}" in out for n, title in enumerate(related, start=1))


def _after_prompt(out: str, n: int) -> str:
    """What chat printed after the n-th prompt (1-based)."""
    return out.split("\n> ")[n]


def test_chat_accepts_the_number_of_a_did_you_mean_choice(engine: Engine) -> None:
    # Vague questions get a choice; which one gets two or more depends on the fitted model.
    vague = ["why", "what did he say", "what happened", "who said it", "what about the firms"]
    question = next((q for q in vague if len(engine.ask(q).suggestions) >= 2), None)
    assert question is not None, "no vague question got a choice of two"
    suggestions = engine.ask(question).suggestions
    code, out, _ = run(["chat"], stdin=f"{question}\n2\n")
    assert code == 0
    first = _after_prompt(out, 1)
    assert all(f"[{n}] {f.title}" in first for n, f in enumerate(suggestions, start=1))
    card = engine.fact(suggestions[1].id)
    assert card is not None and _after_prompt(out, 2).startswith(card.text)


def test_chat_accepts_the_number_of_a_related_topic(engine: Engine) -> None:
    related = engine.ask("what was the turnout").related
    code, out, _ = run(["chat"], stdin=f"what was the turnout\n{len(related)}\n")
    card = engine.fact(related[-1].id)
    assert code == 0 and card is not None and _after_prompt(out, 2).startswith(card.text)


def test_chat_topics_lists_every_topic_numbered_and_a_number_opens_one(engine: Engine) -> None:
    facts = list(engine.kb.facts.values())
    code, out, _ = run(["chat"], stdin="/topics\n3\n")
    assert code == 0
    listing = _after_prompt(out, 1)
    assert all(f"[{n}] {f.title}" in listing for n, f in enumerate(facts, start=1))
    assert engine.ask("/topics").text not in out  # no longer the help reply pointing at /topics
    card = engine.fact(facts[2].id)
    assert card is not None and _after_prompt(out, 2).startswith(card.text)


def test_chat_help_explains_the_chat_commands(engine: Engine) -> None:
    code, out, _ = run(["chat"], stdin="/help\n")
    shown = _after_prompt(out, 1)
    assert code == 0 and engine.ask("/help").text not in shown
    for command in ("/topics", "/sources", "number", "quit"):
        assert command in shown


def test_chat_sources_and_a_number_out_of_range(kb: KnowledgeBase) -> None:
    code, out, _ = run(["chat"], stdin="what was the turnout\n99\n/sources\n")
    assert code == 0
    assert "1 to" in _after_prompt(out, 2)
    assert all(s.title in _after_prompt(out, 3) for s in kb.sources.values())


def test_knowledge_dir_variable_is_honoured_by_ask_chat_and_check(
    tmp_path: Path, write_kb: KbWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 10, item 11: `check` said OK on one directory while `run` refused KNOWLEDGE_DIR.
    monkeypatch.setenv("KNOWLEDGE_DIR", str(write_kb(tmp_path)))  # the teachers' union
    code, out, _ = run(["ask", "when is the walkout"])
    assert code == 0 and out.startswith("The walkout is on Thursday")
    code, out, _ = run(["chat"], stdin="when is the walkout\n")
    assert code == 0 and out.startswith("FST dispute bot:") and "The walkout is on Thursday" in out
    code, out, _ = run(["check"])
    assert code == 0 and f"{tmp_path / 'knowledge'}: OK: 2 facts" in out
    write_kb(tmp_path, facts_main=MINI_FACTS.replace("source: bulletin", "source: nowhere"))
    code, out, err = run(["check"])
    assert code == 1 and "unknown source id 'nowhere'" in err
    # --knowledge still wins over the variable.
    code, out, _ = run(["check", "--knowledge", str(DEFAULT_DIR)])
    assert code == 0 and f"{DEFAULT_DIR}: OK" in out


def test_installed_help_names_the_installed_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["/home/organiser/venv/bin/union-bot", "--help"])
    code, out, err = run(["--help"])
    assert (code, err) == (0, "")
    assert out.startswith("usage: union-bot ") and "python -m bot" not in out


def test_a_usage_error_is_reported_on_the_injected_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["union-bot"])
    code, out, err = run(["frobnicate"])
    assert code == 2 and out == ""
    assert err.startswith("usage: union-bot") and "invalid choice" in err


def test_python_dash_m_bot_ask_works() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "how many staff are affected"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "7,500 staff" in result.stdout
    assert "BBC News" in result.stdout


def test_python_dash_m_bot_help_says_python_dash_m_bot() -> None:
    result = subprocess.run([sys.executable, "-m", "bot", "--help"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0 and result.stdout.startswith("usage: python -m bot ")


def test_run_without_a_token_explains_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert main(["run"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: TELEGRAM_BOT_TOKEN is not set")
    assert "\n" not in err and "Traceback" not in err


def test_run_refuses_a_knowledge_base_that_fails_check(
    tmp_path: Path, write_kb: KbWriter, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    token = "123456:SECRET-token-value-never-printed"
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    directory = write_kb(tmp_path, facts_main=MINI_FACTS.replace("source: bulletin", "source: nowhere"))
    assert main(["run", "--knowledge", str(directory)]) == 1  # returns before any network call
    err = capsys.readouterr().err
    assert "unknown source id 'nowhere'" in err and "will not start" in err
    assert token not in err and "SECRET" not in err
