"""The answer engine: a loaded knowledge base, its matcher and the renderer, as one object.

The CLI (`ask`, `chat`, `check`) and the Telegram handlers all go through `Engine`, so a
member gets the same reply wherever they ask.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.answers.announcements import is_announcement, newest_first
from bot.answers.knowledge import (
    DEFAULT_DIR,
    Fact,
    KnowledgeBase,
    KnowledgeError,
    KnowledgeErrors,
    load_knowledge,
)
from bot.answers.matcher import Match, Matcher
from bot.answers.organiser import is_organiser_fact
from bot.answers.render import Reply, fact_reply, render

TOPIC_LINK = 0.35  # how close an announcement must be to an article fact to update it
MAX_QUESTION = 500  # longer messages are matched on their first part; nobody asks 4,000 chars


class Engine:
    """Answers questions from one knowledge base. Immutable: reloading builds a new one."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.matcher = Matcher(kb)
        # Announcements linked to the article fact they update, newest first.
        self.topic_of: dict[str, str] = {}
        self.updates: dict[str, list[Fact]] = {}
        for news in newest_first([f for f in kb.facts.values() if is_announcement(f)]):
            base = next((f for f, s in self.matcher.rank(news.answer, 4)
                         if not is_announcement(f) and s >= TOPIC_LINK), None)
            if base is not None:
                self.topic_of[news.id] = base.id
                self.updates.setdefault(base.id, []).append(news)

    @classmethod
    def load(cls, directory: Path | str = DEFAULT_DIR, strict: bool = True) -> Engine:
        """Load, validate and index; with `strict`, refuse a base that fails `check`."""
        engine = cls(load_knowledge(directory))
        if strict:
            problems = engine.consistency_problems()
            if problems:
                raise KnowledgeErrors(problems)
        return engine

    def ask(self, question: str) -> Reply:
        """The reply a member sees for one question; the newest news on its topic leads."""
        match = self.organisers_first(question, self.match(question))
        if match.kind == "clarify" and len({self._topic(f) for f in match.suggestions}) == 1:
            # "Did you mean" between an announcement and the report it updates: show both.
            match = replace(match, kind="answer", fact=match.suggestions[0], suggestions=())
        if match.kind == "answer" and match.fact is not None:
            return self._fact_reply(match.fact, question, match.score)
        return render(self.kb, match)

    def organisers_first(self, question: str, match: Match) -> Match:
        """Once organisers have answered a question, it is answered: their fact beats a decline.

        Organisers' facts are ordinary facts, so the matcher usually picks them itself. But a
        decline can win for other reasons (words no fact knew; with engine-v2, a decline
        example in knowledge/declines.yaml covering "strike pay"). If the best-ranked fact for
        the question is an organiser's and scores at the answer bar, it is the answer.
        """
        if match.kind != "decline":
            return match
        ranked = self.matcher.rank(question[:MAX_QUESTION], 1)
        if ranked and is_organiser_fact(ranked[0][0]) and ranked[0][1] >= self.matcher.t.answer:
            return replace(match, kind="answer", fact=ranked[0][0], score=round(ranked[0][1], 4))
        return match

    def _topic(self, fact: Fact) -> str:
        return self.topic_of.get(fact.id, fact.id)

    def _fact_reply(self, fact: Fact, question: str = "", score: float = 1.0) -> Reply:
        """An announcement is shown with the report it updates; a report with its newer news."""
        base = self.kb.facts.get(self._topic(fact), fact)
        return fact_reply(self.kb, base, question, score, newer=self.updates.get(base.id, []))

    def match(self, question: str) -> Match:
        return self.matcher.match(question[:MAX_QUESTION])

    def fact(self, fact_id: str) -> Reply | None:
        """A fact's card, for buttons (topics, related, did-you-mean)."""
        fact = self.kb.facts.get(fact_id)
        return self._fact_reply(fact) if fact else None

    def search(self, query: str, limit: int = 5) -> list[Fact]:
        """Best facts for a partial query (inline mode), without the answer/decline cut."""
        return [f for f, score in self.matcher.rank(query, limit) if score > 0.3]

    def consistency_problems(self) -> list[KnowledgeError]:
        """Phrasings that the matcher would send to another fact than their own."""
        problems = []
        for fact in self.kb.facts.values():
            for phrasing in fact.phrasings:
                ranked = self.matcher.rank(phrasing, 2)
                if not ranked:
                    continue
                best, score = ranked[0]
                own = next((s for f, s in ranked if f.id == fact.id), None)
                if best.id != fact.id and (own is None or score > own):
                    problems.append(
                        KnowledgeError(
                            fact.file, getattr(phrasing, "line", fact.line),
                            f"phrasing '{phrasing}' of fact '{fact.id}' matches fact "
                            f"'{best.id}' better than its own",
                        )
                    )
        return problems
