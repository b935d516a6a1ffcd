"""The answer engine: a loaded knowledge base, its matcher and the renderer, as one object.

The CLI (`ask`, `chat`, `check`) and the Telegram handlers all go through `Engine`, so a
member gets the same reply wherever they ask.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.answers import calibration
from bot.answers.announcements import is_announcement, newest_first
from bot.answers.focus import MAX_QUESTIONS, asking_sentences, questions, readings, too_long
from bot.answers.knowledge import (
    DEFAULT_DIR,
    Fact,
    KnowledgeBase,
    KnowledgeError,
    KnowledgeErrors,
    load_knowledge,
)
from bot.answers.lexical import LexicalIndex
from bot.answers.matcher import Match, Matcher
from bot.answers.render import Reply, fact_reply, notice, partial_reply, render
from bot.answers.traps import Detail, missing_detail

TOPIC_LINK = 0.35  # how close an announcement must be to an article fact to update it
TOO_LONG = ("That's a long message, and I may miss what you want to know. Please ask one thing at "
            "a time, in a sentence or two, and I'll answer from the news reports.")


class Engine:
    """Answers questions from one knowledge base. Immutable: reloading builds a new one."""

    def __init__(self, kb: KnowledgeBase, confidence: calibration.Calibration | None = None) -> None:
        """`confidence`: a fitted model to use as it is (benchmarks); by default the one
        fitted on this base (committed, cached, or fitted now)."""
        self.kb = kb
        self.matcher = Matcher(kb, calibration=confidence)
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
        """The reply a member sees for one message; the newest news on its topic leads. A
        message asking several things the reports answer gets a reply for each (`also`)."""
        if too_long(question):
            return notice(question, "too_long", TOO_LONG)
        match = self.match(question)
        parts = questions(question, self.matcher.norm.words)
        if parts:
            several = self._several(question, match, parts)
            if several is not None:
                return several
        return self._reply(match, question)

    def _several(self, question: str, whole: Match, parts: list[str]) -> Reply | None:
        """One reply per part that is answered, or that matches a decline example ("and is
        there strike pay?": the reports don't say), on separate topics; None unless two of
        them are, one an answer. The answer the whole message got, if a part got it too,
        comes first (so does the first answered part otherwise), the others in order."""
        # The fast static reading of every part, and as for a long message's parts, the
        # transformer's of one at most (a few milliseconds): the unsure part the static reading
        # rates highest. Other unsure parts do not count.
        quick = [self.match(part, refine=False) for part in parts]
        unsure = [i for i, m in enumerate(quick) if m.unsure]
        if sum(_strength(m)[0] == 2 and not m.unsure for m in quick) + bool(unsure) < 2:
            return None
        if unsure:
            best = max(unsure, key=lambda i: quick[i].score)
            quick[best] = self.match(parts[best])
        seen: set[str] = set()
        found: list[Match] = []
        for m in quick:
            if m.unsure:
                continue
            key = self._topic(m.fact) if m.fact is not None else (m.decline.id if m.decline else "")
            if key and key not in seen and _strength(m)[0] == 2:
                seen.add(key)
                found.append(m)
        found = found[:MAX_QUESTIONS]
        answers = [m for m in found if m.kind == "answer"]
        if len(found) < 2 or not answers:
            return None
        lead = next((m for m in answers if whole.kind == "answer" and m.fact == whole.fact), answers[0])
        first = self._reply(replace(lead, question=question), question)
        return replace(first, also=tuple(self._reply(m, m.question) for m in found if m is not lead))

    def _reply(self, match: Match, question: str) -> Reply:
        """The reply for one verdict (`match.focus`: the part of `question` it was reached on)."""
        if (match.kind == "clarify" and len(match.suggestions) > 1
                and len({self._topic(f) for f in match.suggestions}) == 1):
            # "Did you mean" between an announcement and the report it updates: show both.
            match = replace(match, kind="answer", fact=match.suggestions[0], suggestions=())
        if match.kind == "answer" and match.fact is not None:
            asked = match.focus or question
            missing = self.missing_detail(asked, match.fact)
            if missing is not None and not is_announcement(match.fact):
                answer = partial_reply(self.kb, match.fact, question, missing.name, match.score)
            else:
                answer = self._fact_reply(match.fact, question, match.score)
            return self._runner_up_first(answer, match)
        reply = render(self.kb, match)
        # What each button shows when tapped, for `ask --json` and anyone else who asks.
        return replace(reply, cards=tuple(self._fact_reply(f).text for f in reply.offered))

    def _runner_up_first(self, reply: Reply, match: Match) -> Reply:
        """An answer the matcher was less than sure of leads its related buttons with the
        runner-up: cross-validation without near copies, about half the wrong answers have
        the right fact there, one tap away."""
        alt = match.runner_up
        if alt is None or match.fact is None or self._topic(alt) == self._topic(match.fact):
            return reply
        return replace(reply, related=(alt, *(f for f in reply.related if f.id != alt.id)))

    def missing_detail(self, question: str, fact: Fact) -> Detail | None:
        """What `question` asks for that `fact`'s claims lack (traps.py), read with text-speak
        expanded as well as raw: the one reading the bot and bench/cv_traps.py share."""
        return missing_detail(question, fact, " ".join(self.matcher.norm.words(question)))

    def _topic(self, fact: Fact) -> str:
        """The article fact an announcement updates (or the fact itself)."""
        return self.topic_of.get(fact.id, fact.id)

    def _fact_reply(self, fact: Fact, question: str = "", score: float = 1.0) -> Reply:
        """An announcement is shown with the report it updates; a report with its newer news."""
        base = self.kb.facts.get(self._topic(fact), fact)
        return fact_reply(self.kb, base, question, score, newer=self.updates.get(base.id, []))

    def match(self, question: str, refine: bool = True) -> Match:
        """The most confident reading of the message: the whole of it or its asking part.

        A long message's parts are compared on the fast static reading; only the best part
        is read again by the transformer, so a message costs one slow reading at most (none
        without `refine`: then `unsure` says whether it would have).
        """
        parts = readings(question)
        best: Match | None = None
        for text in parts:
            found = self.matcher.match(text, refine=refine and len(parts) == 1)
            if best is None or _strength(found) > _strength(best):
                best = replace(found, question=question, focus=text)
        assert best is not None
        if best.unsure and refine:
            best = replace(self.matcher.match(best.focus), question=question, focus=best.focus)
        if _strength(best)[0] < 2:
            # "hi. when is the strike? thanks": the courtesies around a short question can turn
            # its answer into a "did you mean"; its asking sentence alone may still answer.
            for text in asking_sentences(question):
                found = self.matcher.match(text, refine=refine)
                if _strength(found)[0] == 2:
                    return replace(found, question=question, focus=text)
        return best

    def fact(self, fact_id: str) -> Reply | None:
        """A fact's card, for buttons (topics, related, did-you-mean)."""
        fact = self.kb.facts.get(fact_id)
        return self._fact_reply(fact) if fact else None

    def search(self, query: str, limit: int = 5) -> list[Fact]:
        """Best facts for a partial query (inline mode), without the answer/decline cut."""
        return [f for f, score in self.matcher.rank(query, limit) if score > 0.3]

    def inline_cards(self, query: str, limit: int = 5) -> list[Fact]:
        """Facts to offer as cards for `@bot query`: what the chat would answer or offer, then
        close matches by words (the query may be half typed). Only the chat's own topics when
        the query matched a decline example (as surely as an answer would have to), and none
        for small talk: there a loose card would pass for an answer."""
        match = self.match(query)
        if match.kind in ("smalltalk", "empty"):
            return []
        offered = [match.fact] if match.kind == "answer" and match.fact else []
        offered += [*match.suggestions, *match.related]
        if match.decline is not None:
            return offered[:limit]
        return list(dict.fromkeys(offered + self.search(query, limit)))[:limit]

    def consistency_problems(self) -> list[KnowledgeError]:
        """Fact phrasings whose words match another fact better than their own: a refused base.

        Judged on word evidence among the facts alone, as a person reading the file would:
        a phrasing filed under the wrong fact shows up here, whatever the fitted model makes
        of it. A phrasing with one content word shared by several facts is not judged: words
        alone cannot tell those facts apart, so adding any fact with that word would flip it.
        """
        facts = [e for e in self.matcher.entries if e.id in self.kb.facts]
        index = LexicalIndex(facts, self.matcher.norm)
        problems = []
        for fact in self.kb.facts.values():
            for phrasing in fact.phrasings:
                stems = self.matcher.stems(phrasing)
                ranked = index.score(stems)
                if not ranked or ranked[0].entry == fact.id:
                    continue
                if len(set(stems)) == 1 and len(ranked) > 1:
                    # One content word that several facts use ("whats the strike about"): word
                    # evidence can only tie them, so it names no fact; meaning decides it.
                    continue
                ranked = ranked[:2]
                own = next((c.score for c in ranked if c.entry == fact.id), None)
                if own is None or ranked[0].score > own:
                    problems.append(KnowledgeError(
                        fact.file, getattr(phrasing, "line", fact.line),
                        f"phrasing '{phrasing}' of fact '{fact.id}' matches fact '{ranked[0].entry}' "
                        "better than its own",
                    ))
        return problems

    def consistency_warnings(self) -> list[KnowledgeError]:
        """Example questions (/start's buttons, /help's text) that would not be answered, and
        decline-example phrasings that would be answered with a fact. Worth fixing, but not a
        reason to refuse the base (such a decline example still teaches the confidence model)."""
        warnings = [
            KnowledgeError(self.kb.directory / "bot.yaml", None,
                           f"example question '{example}' is not answered: a member who tries it "
                           "from /start or /help gets no answer")
            for example in self.kb.texts.examples if not self.ask(example).answered
        ]
        for decline in self.kb.declines:
            for phrasing in decline.phrasings:
                m = self.matcher.match(phrasing)
                if m.kind == "answer" and m.fact is not None:
                    warnings.append(KnowledgeError(
                        decline.file, getattr(phrasing, "line", decline.line),
                        f"phrasing '{phrasing}' of decline '{decline.id}' "
                        f"is answered with fact '{m.fact.id}'",
                    ))
        return warnings

    def calibration_problems(self, in_use: bool = False) -> list[KnowledgeError]:
        """The committed confidence models, one per reading, must be fitted on this base
        (`in_use`: the models in use, which for another base may be fitted at load)."""
        refit = "run `python scripts/fit_calibration.py` and commit the result"
        problems = []
        readings = [(self.matcher, calibration.ARTIFACT)]
        if self.matcher.refiner is None and calibration.committed(calibration.ENCODER_ARTIFACT) is None:
            problems.append(KnowledgeError(calibration.ENCODER_ARTIFACT, None, f"is missing: {refit}"))
        elif self.matcher.refiner is not None:  # (none either for a base too large to read twice)
            readings.append((self.matcher.refiner, calibration.ENCODER_ARTIFACT))
        for matcher, artifact in readings:
            found = matcher.calibration if in_use else calibration.load(artifact)
            if found is None or found.fingerprint != matcher.fingerprint or not found.current:
                reason = f"was fitted on a different knowledge base or model: {refit}"
                problems.append(KnowledgeError(artifact, None, reason))
        return problems


def _strength(match: Match) -> tuple[int, float]:
    """How much a reading says: an answer or a matched decline example beats a "did you
    mean", which beats a plain decline; then the more probable."""
    if match.kind == "answer" or match.decline is not None:
        return 2, match.score
    return (1 if match.kind == "clarify" else 0), match.score
