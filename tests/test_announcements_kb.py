"""Posted announcements become dated facts that the engine can answer from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from bot.answers.announcements import (
    ANNOUNCEMENT_ORDER,
    TITLE_LIMIT,
    announcement_facts,
    fact_id,
    is_announcement,
    newest_first,
    plain,
)
from bot.answers.engine import Engine
from bot.answers.knowledge import KnowledgeBase


@dataclass
class Posted:
    """The shape of a stored announcement, as far as this module needs it."""

    id: int
    text: str
    posted_at: object


NOV_4 = dt.datetime(2013, 11, 4, 18, 30, tzinfo=dt.UTC)
PICKETS = Posted(7, "<b>Picket lines</b> open at 7am on Tuesday outside every probation office. "
                    "Bring a flask &amp; a banner!", NOV_4)


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<b>Strike</b> on <i>Tuesday</i>", "Strike on Tuesday"),
        ("Fish &amp; chips", "Fish & chips"),
        ("&lt;b&gt; is a tag", "<b> is a tag"),  # unescaped after stripping: stays as text
        ('<a href="https://napo.org.uk">Napo</a> site', "Napo site"),
        ("two\n\nlines   and  spaces ", "two lines and spaces"),
        ("", ""),
    ],
)
def test_plain_strips_tags_and_unescapes(markup: str, text: str) -> None:
    assert plain(markup) == text


def test_an_announcement_becomes_a_dated_source_and_fact() -> None:
    sources, facts = announcement_facts([PICKETS], union="Napo")
    (source,), (fact,) = sources, facts
    text = ("Picket lines open at 7am on Tuesday outside every probation office. "
            "Bring a flask & a banner!")
    assert source.id == fact.id == fact_id(7) == "announcement-7"
    assert source.outlet == "Napo announcement"
    assert source.date == dt.date(2013, 11, 4)
    assert source.order > ANNOUNCEMENT_ORDER
    assert fact.answer == text
    assert [(c.source, c.quote) for c in fact.claims] == [("announcement-7", text)]
    assert fact.date == NOV_4
    # The whole text and each sentence can be asked for.
    assert fact.phrasings[0] == text
    assert "Bring a flask & a banner!" in fact.phrasings
    assert is_announcement(fact)


def test_long_texts_get_a_short_title_cut_on_a_word() -> None:
    _, (fact,) = announcement_facts([PICKETS])
    assert len(fact.title) <= TITLE_LIMIT
    assert fact.title.endswith("…")
    assert fact.answer.startswith(fact.title[:-1] + " ")


def test_short_texts_are_their_own_title() -> None:
    _, (fact,) = announcement_facts([Posted(1, "Strike is off!", NOV_4)])
    assert fact.title == "Strike is off!"


def test_announcements_rank_after_every_article(kb: KnowledgeBase) -> None:
    sources, _ = announcement_facts([Posted(1, "a", NOV_4), Posted(2, "b", NOV_4)])
    assert min(s.order for s in sources) > max(s.order for s in kb.sources.values())
    assert sources[1].order > sources[0].order


def test_undated_announcement() -> None:
    sources, facts = announcement_facts([Posted(3, "Ballot papers are out.", None)])
    assert sources[0].date is None and facts[0].date is None
    assert sources[0].date_label == "undated"


def test_newest_first_puts_news_ahead_of_articles(kb: KnowledgeBase) -> None:
    old = Posted(1, "Old news.", NOV_4)
    new = Posted(2, "New news.", NOV_4 + dt.timedelta(days=1))
    _, facts = announcement_facts([old, new])
    article = kb.facts["strike-timing"]
    ordered = newest_first([article, *facts])
    assert [f.id for f in ordered] == ["announcement-2", "announcement-1", "strike-timing"]


def test_the_engine_answers_from_an_announcement(engine: Engine) -> None:
    sources, facts = announcement_facts([PICKETS], union=engine.kb.texts.union)
    kb = engine.kb.with_facts(sources, facts)
    assert "announcement-7" not in engine.kb.facts  # the original is untouched
    reply = Engine(kb).ask("what time do picket lines open")
    assert reply.answered and reply.fact is not None and reply.fact.id == "announcement-7"
    assert reply.text.startswith("Picket lines open at 7am")
    assert "Napo announcement" in reply.text and "4 Nov 2013" in reply.text
