"""Learning from taps over real HTTP: a "Did you mean" tap becomes a candidate with no ids;
/learn shows it to organisers with Approve and Reject; members cannot learn or forge a press."""

from __future__ import annotations

from bot.tg.access import REFUSAL
from tests.support.dialogue import press, say
from tests.support.fakebotapi import FakeBotAPI
from tests.support.harness import MEMBER, RunningBot
from tests.support.messages import buttons

OTHER = 1002


async def tap(fake: FakeBotAPI, question: str, fact_id: str, user: int = MEMBER) -> dict:
    """Ask `question`, get "Did you mean", tap `fact_id`; returns the fact card shown."""
    [clarify] = await say(fake, question, user=user)
    assert clarify["text"].startswith(("I'm not sure which", "Did you mean")), clarify["text"]
    assert clarify["reply_to_message"]["text"] == question  # the question comes back with the tap
    [card], _ = await press(fake, clarify, f"f:{fact_id}", user=user)
    return card


def learn_buttons(message: dict) -> dict[str, str]:
    return {label.split()[-1]: data for label, data in buttons(message)}


async def test_taps_become_candidates_that_organisers_approve_or_reject(
    fake: FakeBotAPI, bot: RunningBot
) -> None:
    store = bot.services.store
    asked = "what about risk"  # vague: "Did you mean" with both facts below
    await tap(fake, asked, "public-safety-concerns")
    await tap(fake, asked, "public-safety-concerns", user=OTHER)
    await tap(fake, asked, "national-probation-service")
    await tap(fake, "why", "union-objections")
    assert [(c.phrasing, c.fact_id, c.count) for c in store.candidates()] == [
        (asked, "public-safety-concerns", 2), (asked, "national-probation-service", 1),
        ("why", "union-objections", 1)]
    rows = store._db.execute("SELECT * FROM learned_phrasings").fetchall()
    assert not any(str(uid) in str(rows) for uid in (MEMBER, OTHER))

    [refused] = await say(fake, "/learn", user=MEMBER)
    assert refused["text"] == REFUSAL

    header, first, second, third = await say(fake, "/learn", n=4)
    assert "most frequent" in header["text"]
    title = bot.engine.kb.facts["public-safety-concerns"].title
    assert first["text"] == f"“{asked}” → {title} (2×)"
    assert "Approve" in learn_buttons(first) and "Reject" in learn_buttons(first)
    approve_first = learn_buttons(first)["Approve"]

    # A member's forged Approve does nothing.
    _, answer = await press(fake, first, learn_buttons(first)["Approve"], user=MEMBER, n=0, check=False)
    assert answer.get("text") == REFUSAL and store.approved_phrasings() == []

    # Approve: the phrasing joins the fact, and members asking it get that fact directly.
    [approved], _ = await press(fake, first, learn_buttons(first)["Approve"])
    assert approved["text"].startswith("Approved")
    [reply] = await say(fake, asked, user=OTHER)
    assert reply["text"].startswith(bot.engine.kb.facts["public-safety-concerns"].answer)

    # Reject drops it.
    [rejected], _ = await press(fake, third, learn_buttons(third)["Reject"])
    assert rejected["text"].startswith("Rejected")
    # Approve refuses what `check` would refuse: the same wording now belongs to another fact.
    [refusal], _ = await press(fake, second, learn_buttons(second)["Approve"])
    assert refusal["text"].startswith("Not approved: `check` would refuse it"), refusal["text"]
    assert [p.phrasing for p in store.approved_phrasings()] == [asked]
    assert store.candidates() == []

    # A second press on a spent button changes nothing.
    [spent], _ = await press(fake, first, approve_first, check=False)
    assert "already approved, rejected or has expired" in spent["text"]

    # It survives a restart.
    await bot.restart()
    [reply] = await say(fake, asked, user=OTHER)
    assert reply["text"].startswith(bot.engine.kb.facts["public-safety-concerns"].answer)


async def test_taps_on_topics_or_related_buttons_teach_nothing(fake: FakeBotAPI, bot: RunningBot) -> None:
    [answer] = await say(fake, "when is the strike")
    related = [data for _, data in buttons(answer) if data.startswith("f:")]
    await press(fake, answer, related[0])
    assert bot.services.store.candidates() == []
