"""Replies: the answer first, then its sources; Telegram's HTML shows exactly the plain text."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot.answers.knowledge import Claim, Fact, KnowledgeBase, Source
from bot.answers.matcher import Match
from bot.answers.render import TELEGRAM_LIMIT, fact_reply, render, source_line, sources_list, truncate
from tests.support.messages import telegram_text

JSON_FIELDS = {"question", "answered", "fact", "score", "text", "sources", "suggestions"}


def test_the_html_checker_itself_rejects_bad_markup() -> None:
    with pytest.raises(AssertionError):
        telegram_text("<b>unclosed")
    with pytest.raises(AssertionError):
        telegram_text("<div>no</div>")
    with pytest.raises(AssertionError):
        telegram_text("fish & chips")
    assert telegram_text("<b>fish</b> &amp; <i>chips</i> &lt;3") == "fish & chips <3"


# --------------------------------------------------------------------------- answers


def test_answer_starts_with_the_answer_then_dated_sources(kb: KnowledgeBase) -> None:
    fact = kb.facts["ballot-result"]
    reply = fact_reply(kb, fact, "what was the result")
    assert reply.answered and reply.kind == "answer" and reply.fact is fact
    assert reply.text.startswith(fact.answer + "\n\nSources:")
    lines = reply.text.splitlines()
    source_lines = lines[lines.index("Sources:") + 1:]
    assert len(source_lines) == 2
    # Newest first: the undated BBC report is the later one, and says so.
    assert source_lines[0].startswith("• BBC News")
    assert "Probation officers in 24-hour strike over privatisation" in source_lines[0]
    assert "undated" in source_lines[0] and "later report" in source_lines[0]
    assert source_lines[1].startswith("• The Independent")
    assert "Probation officers vote for strike" in source_lines[1]
    assert "18 Oct 2013" in source_lines[1] and "later" not in source_lines[1]
    assert [s.id for s in reply.sources] == ["bbc", "independent"]


@pytest.mark.parametrize(
    ("fact_id", "outlet", "date"),
    [("agm-llandudno", "The Independent", "18 Oct 2013"), ("staff-affected", "BBC News", "undated")],
)
def test_a_single_source_is_singular_and_not_marked_later(
    kb: KnowledgeBase, fact_id: str, outlet: str, date: str
) -> None:
    reply = fact_reply(kb, kb.facts[fact_id])
    tail = reply.text.removeprefix(kb.facts[fact_id].answer)
    assert tail.startswith("\n\nSource:\n• ")
    assert "Sources" not in tail and "later report" not in tail
    assert outlet in tail and f"({date})" in tail


def test_source_line_names_outlet_title_and_date(kb: KnowledgeBase) -> None:
    line = source_line(kb.sources["independent"])
    assert line == "The Independent, “Probation officers vote for strike” (18 Oct 2013)"
    assert source_line(kb.sources["bbc"], later=True).endswith("(undated, later report)")


@pytest.mark.parametrize("fact_id", ["ballot-result", "strike-timing", "contract-value", "status-quo"])
def test_html_shows_exactly_the_plain_text(kb: KnowledgeBase, fact_id: str) -> None:
    reply = fact_reply(kb, kb.facts[fact_id])
    assert telegram_text(reply.html) == reply.text
    assert "<i>" in reply.html  # the sources are set off in italics


def _odd_fact(answer: str) -> Fact:
    return Fact(id="odd", title="Tags <b> & things", answer=answer,
                claims=(Claim(source="odd-src", quote=answer),), phrasings=("odd",))


def test_markup_characters_in_answers_and_sources_are_escaped(kb: KnowledgeBase) -> None:
    source = Source(id="odd-src", outlet="Smith & Sons <News>", title="A <i>title</i> & more",
                    date=dt.date(2013, 11, 5), order=5)
    fact = _odd_fact('Use <b>& "quotes" > 3 & <script>')
    kb2 = kb.with_facts([source], [fact])
    reply = fact_reply(kb2, fact)
    assert reply.text.startswith('Use <b>& "quotes" > 3 & <script>')
    assert "&lt;b&gt;&amp;" in reply.html and "<script>" not in reply.html
    assert "Smith &amp; Sons &lt;News&gt;" in reply.html
    assert telegram_text(reply.html) == reply.text
    assert "(5 Nov 2013)" in reply.text


def test_related_facts_come_with_the_answer(kb: KnowledgeBase) -> None:
    fact = kb.facts["ballot-result"]
    reply = fact_reply(kb, fact)
    assert [f.id for f in reply.related] == list(fact.related)


# --------------------------------------------------------------------------- other verdicts


def test_clarify_lists_the_suggested_titles(kb: KnowledgeBase) -> None:
    options = (kb.facts["private-firms"], kb.facts["g4s-serco-audit"])
    reply = render(kb, Match("clarify", "g4s", score=0.55, suggestions=options))
    assert not reply.answered and reply.kind == "clarify" and reply.fact is None
    lines = reply.text.splitlines()
    assert lines[1:3] == [f"• {options[0].title}", f"• {options[1].title}"]
    assert reply.suggestions == options
    assert telegram_text(reply.html) == reply.text


def test_decline_uses_the_knowledge_bases_decline_text(kb: KnowledgeBase) -> None:
    reply = render(kb, Match("decline", "is there strike pay", score=0.3))
    assert not reply.answered and reply.kind == "decline"
    assert reply.text == kb.texts.decline
    assert reply.sources == () and reply.fact is None
    assert telegram_text(reply.html) == reply.text


def test_smalltalk_replies_with_its_own_text(kb: KnowledgeBase) -> None:
    talk = next(t for t in kb.smalltalk if t.id == "greeting")
    reply = render(kb, Match("smalltalk", "hi", smalltalk=talk))
    assert reply.text == talk.reply and not reply.answered


@pytest.mark.parametrize("typed", ["👍", "?", "...", " "])
def test_empty_asks_for_words_and_suggests_an_example_question(kb: KnowledgeBase, typed: str) -> None:
    """The member did type: the reply asks for words, not for text."""
    reply = render(kb, Match("empty", typed))
    assert not reply.answered
    assert kb.texts.examples[0] in reply.text and "words" in reply.text


# --------------------------------------------------------------------------- JSON and lists


def test_to_json_has_exactly_the_documented_fields(kb: KnowledgeBase) -> None:
    fact = kb.facts["ballot-result"]
    data = fact_reply(kb, fact, "turnout?", 0.91).to_json()
    assert set(data) == JSON_FIELDS
    assert data["question"] == "turnout?"
    assert data["answered"] is True
    assert data["fact"] == "ballot-result"
    assert data["score"] == 0.91
    assert data["text"].startswith(fact.answer)
    bbc_title = "Probation officers in 24-hour strike over privatisation"
    assert data["sources"] == [
        {"outlet": "BBC News", "title": bbc_title, "date": None},
        {"outlet": "The Independent", "title": "Probation officers vote for strike", "date": "2013-10-18"},
    ]
    assert data["suggestions"] == []
    json.dumps(data)  # serialisable as is


def test_to_json_of_a_clarify_lists_suggestion_titles(kb: KnowledgeBase) -> None:
    options = (kb.facts["contract-value"], kb.facts["contract-regions"])
    data = render(kb, Match("clarify", "contracts", score=0.6, suggestions=options)).to_json()
    assert set(data) == JSON_FIELDS
    assert data["answered"] is False and data["fact"] is None and data["sources"] == []
    assert [(s["fact"], s["title"]) for s in data["suggestions"]] == [(f.id, f.title) for f in options]


def test_sources_list_names_every_source_newest_first(kb: KnowledgeBase) -> None:
    text, markup = sources_list(kb)
    assert telegram_text(markup) == text
    lines = text.splitlines()
    assert lines[0] == "Where my answers come from:"
    assert lines[1].startswith("• BBC News") and "undated" in lines[1]
    assert lines[2].startswith("• The Independent") and "by Jamie Grierson" in lines[2]
    assert "18 Oct 2013" in lines[2]
    assert "published after the Independent piece" in lines[1]


def test_sources_list_shows_an_undated_sources_note_instead_of_the_word_undated(kb: KnowledgeBase) -> None:
    # It used to read "(undated) (undated; published after …)".
    bbc = kb.sources["bbc"]
    assert bbc.date is None and bbc.date_note
    text, _ = sources_list(kb)
    line = next(line for line in text.splitlines() if bbc.title in line)
    assert line.endswith(f"({bbc.date_note})") and line.count(bbc.date_note) == 1
    assert "(undated)" not in text


def test_sources_list_keeps_a_dated_sources_note_after_its_date(kb: KnowledgeBase) -> None:
    dated = Source(id="dated", outlet="Gazette", title="Dated piece", date=dt.date(2013, 11, 5),
                   date_note="print edition", order=9)
    text, _ = sources_list(kb.with_facts([dated], []))
    assert "• Gazette, “Dated piece” (5 Nov 2013) (print edition)" in text


def test_truncate_leaves_short_text_alone() -> None:
    assert truncate("short answer") == "short answer"
    exact = "x" * TELEGRAM_LIMIT
    assert truncate(exact) == exact


@pytest.mark.parametrize("limit", [20, 100, TELEGRAM_LIMIT])
def test_truncate_cuts_long_text_on_a_word_boundary(limit: int) -> None:
    text = " ".join(f"word{i}" for i in range(2000))
    cut = truncate(text, limit)
    assert len(cut) <= limit
    assert cut.endswith("…")
    kept = cut[:-1]
    assert text.startswith(kept)
    assert text[len(kept)] == " "  # the cut falls between words, not inside one


def test_newer_announcement_leads_and_html_still_matches(kb: KnowledgeBase) -> None:
    news_source = Source(id="announcement-1", outlet="Napo announcement", title="Strike on <Tuesday> & more",
                         date=dt.date(2013, 11, 1), order=1_000_001)
    news = Fact(id="announcement-1", title="Strike on Tuesday", answer="Strike on <Tuesday> & Wednesday.",
                claims=(Claim(source="announcement-1", quote="x"),), phrasings=("x",),
                date=dt.datetime(2013, 11, 1, 9, tzinfo=dt.UTC))
    kb2 = kb.with_facts([news_source], [news])
    fact = kb2.facts["strike-timing"]
    reply = fact_reply(kb2, fact, newer=[news])
    assert reply.text.startswith("Latest (1 Nov 2013): Strike on <Tuesday> & Wednesday.\n\nEarlier report: ")
    assert fact.answer in reply.text
    assert reply.sources[0] is news_source and len(reply.sources) == 3
    assert telegram_text(reply.html) == reply.text
