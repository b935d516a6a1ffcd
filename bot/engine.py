"""The answer engine: a loaded knowledge base, its matcher and the renderer, as one object.

The CLI (`ask`, `chat`, `check`) and the Telegram handlers all go through `Engine`, so a
member gets the same reply wherever they ask.
"""

from __future__ import annotations

from pathlib import Path

from .knowledge import (
    DEFAULT_DIR,
    Fact,
    KnowledgeBase,
    KnowledgeError,
    KnowledgeErrors,
    load_knowledge,
)
from .matcher import Match, Matcher
from .render import Reply, fact_reply, render

MAX_QUESTION = 500  # longer messages are matched on their first part; nobody asks 4,000 chars


class Engine:
    """Answers questions from one knowledge base. Immutable: reloading builds a new one."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.matcher = Matcher(kb)

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
        """The reply a member sees for one question."""
        return render(self.kb, self.match(question))

    def match(self, question: str) -> Match:
        return self.matcher.match(question[:MAX_QUESTION])

    def fact(self, fact_id: str) -> Reply | None:
        """A fact's card, for buttons (topics, related, did-you-mean)."""
        fact = self.kb.facts.get(fact_id)
        return fact_reply(self.kb, fact) if fact else None

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
