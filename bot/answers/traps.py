"""Notices when a question asks for a kind of detail that the matched fact does not contain.

"How much did G4S overcharge?" uses a fact's own words, so it matches that fact, but the
reports give no amount. Answering with the fact would read as if it answered the question.
The check is generic: what kind of detail the question asks for (an amount, a count, a
date, names, a percentage) against what the fact's quoted claims contain (currency,
numbers, dates, proper names, per cent). It never looks at which fact it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.answers.knowledge import Fact

_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
    "hundred|hundreds|thousand|thousands|million|millions|billion|dozen|dozens|first|second|third|"
    "fourth|fifth|half|twice"
)
_WHAT_THE = (r"\b(what|whats|what's) (is |was |were |are |will be |would be )?"
             r"the (exact |total |final |actual )?")


@dataclass(frozen=True)
class Detail:
    """A kind of detail: how a question asks for it and how a claim would contain it."""

    name: str  # as in "The reports don't give {name}"
    asked: re.Pattern[str]
    present: re.Pattern[str]


_PATTERNS = (  # (name, how a question asks for it, how a claim would contain it)
    ("a percentage",
     r"\b(what|which) (percent|percentage|proportion|share|fraction)\b|\bwhat %|"
     r"\bpercentage of\b|\bhow many (per ?cent|%)",
     r"%|\bper ?cent\b|\bpercent\b"),
    ("an amount of money",
     r"\bhow much (money|cash|profit|profits|did|does|do|will|would|was|were|is|are|has|have|had)\b|"
     r"\b(what|which) (amount|sum|price|fee|fine|salary|wage|rate of pay)\b|"
     rf"{_WHAT_THE}(amount|sum|price|cost|fee|fine|bill|budget|salary|wage|value)\b|"
     r"\bhow (expensive|costly)\b|\bwhat (did|does|will|would) .*\bcost\b|"
     r"\bhow much\b.*\b(cost|pay|paid|charge|overcharge|worth|spend|spent|lose|lost|fine|save)",
     r"[£$€]|\b(pounds?|million|billion|bn|m)\b"),
    ("a number",
     r"\bhow many\b|\bnumber of\b|\bwhat (number|count|figure)\b|\bhow big\b|\bhow large\b|"
     rf"{_WHAT_THE}(number|total|count|headcount|figure)\b",
     rf"\d|\b({_NUMBER_WORDS})\b"),
    # A calendar date: a weekday alone does not say which week.
    ("a calendar date",
     r"\b(what|which|exact) (dates?|years?|months?)\b|\bwhen exactly\b|\bon what date\b|"
     rf"{_WHAT_THE}(date|deadline|year)\b",
     rf"\b({_MONTHS}|[12]\d{{3}}|\d{{1,2}}(st|nd|rd|th)|\d{{1,2}}/\d{{1,2}})\b"),
    ("a time or day",
     r"\b(what|which) (day|time|week|hour)\b|\bwhen('s|s)\b|\bby when\b|\bhow soon\b|"
     r"\bwhen (was|were|did|will|is|are|does|do|has|have)\b",
     rf"\b({_MONTHS}|{_DAYS}|midday|noon|morning|evening|today|tomorrow|yesterday|"
     r"date|dates|hours?|weeks?|[12]\d{{3}}|\d{{1,2}}(st|nd|rd|th))\b"),
    # A number alone ("£450m") is no length of time: it takes a number of some unit. Nor is a
    # rate ("225,000 offenders a year"): "a year" is one only after "for", "in" and the like.
    ("a length of time",
     r"\bhow long\b|\bhow many (hours|days|weeks|months|years)\b|\bduration\b",
     rf"\b(\d+|{_NUMBER_WORDS})[- ](hours?|days?|weeks?|months?|years?|decades?|century)\b|"
     r"\b(for|in|within|over|after|lasts?|lasted|lasting) (a|an) (hour|day|week|month|year|decade)\b|"
     r"\b(overnight|indefinite|open-ended)\b"),
    # "What is the reoffending rate" asks for a figure; "high reoffending rates" gives none.
    ("a rate",
     r"\b(what|whats|what's|how high) (is |was |are |were |will be |would be )?(the |their |its )?"
     r"(current |actual |exact )?[a-z-]+ rates?\b",
     r"%|\bper ?cent\b|\b\d+ (in|out of) \d+\b"),
    # The reports quote a few lines of any text; none gives one whole. Asked where to read
    # one ("where can I read the report in full"), the sources are the answer.
    ("the full wording",
     r"^(?!.*\b(where|link|links|url|website|find)\b).*"
     r"(\bword for word\b|\bverbatim\b|\b(full|whole|complete) (text|wording)\b|"
     r"\b(letter|statement|speech|words)\b.*\bin full\b)",
     r"(?!)"),
    # A bare "who" is answered by whoever the claims describe ("private and voluntary sector
    # organisations", "50,000 short-sentenced offenders"): it asks for names only of a group the
    # claims count ("who are the three trust chairs"), see _which_of_counted.
    ("names",
     r"\bwhich (people|person|states|countries|regions|areas|ones)\b|"
     r"\b(which|what) (companies|company|firms|firm|organisations|organizations|ministers|"
     r"minister|mps|trusts|unions|bidders)\b|"
     r"\bname (the|them|of)\b|\bnames of\b|\blist (the|of|them|all)\b|"
     r"\bwhat are their names\b|\bwhat are they\W*$",
     r"(?<=[a-z,;:] )[A-Z][a-z]+|\b[A-Z]{2,}\b"),
)
DETAILS = tuple(Detail(name, re.compile(asked), re.compile(present)) for name, asked, present in _PATTERNS)
NAMES = next(d for d in DETAILS if d.name == "names")
# A group a claim counts or only quantifies rather than names: "three probation trusts", "20
# regions", "dozens of charities", "some states", "other unions". Asked which ones they are,
# the claim has no names for them, however many other names it mentions.
_VAGUE = "some|several|many|various|numerous|other"
# A sum counts no group ("£450m worth of contracts"), nor a place ("one in Wales").
_COUNTED = re.compile(rf"(?<![£$€\d])\b(?:\d[\d,.]*|{_NUMBER_WORDS}|{_VAGUE})\s+"
                      r"(?:[A-Za-z-]+\s+){0,2}?((?-i:[a-z]+s))\b", re.IGNORECASE)
# People a report describes and never names one by one: "which offenders" asks which kind,
# and "31,000 high-risk offenders" answers it.
_PEOPLE = frozenset({"offenders", "officers", "members", "people", "workers", "employees", "prisoners",
                     "victims", "taxpayers", "managers", "residents", "adults", "children", "families"})
_NOT_NOUNS = frozenset({"always", "perhaps", "sometimes", "besides", "towards", "afterwards", "whereas",
                        "unless"})  # end in s, but count nothing
# Up to two words between "which" and the group ("which three trusts", "which of the trusts",
# "which 20 english regions"), but not a verb: "what did the trust chairs say" asks no names.
_QUALIFIERS = (r"(?:(?!(?:is|are|was|were|did|do|does|will|would|can|could|has|have|had|about|to|"
               r"happens?|says?|said|\w+ed)\b)\S+\s+){0,2}?")
_WHOLE = re.compile(r"\b(?:of|out of|from|among)\s+(?:the\s+|those\s+|these\s+)?[£$€]?(\d[\d,]*(?:\.\d+)?)",
                    re.IGNORECASE)
_NAMED_AFTER = re.compile(r"\b(such as|like|including|namely)\s+[A-Z]")


def _flat(text: str) -> str:
    """Lower case, one space between words: what the patterns read."""
    return " ".join(text.lower().split())


def asked_details(question: str, normalised: str = "") -> list[Detail]:
    """The kinds of detail a question asks for, most specific first.

    `normalised`: the question with text-speak expanded and spelling fixed ("wot date",
    "hw much"), read as well as the raw text, which keeps symbols such as "%" and "£"."""
    texts = [_flat(t) for t in (question, normalised) if t]
    return [d for d in DETAILS if any(d.asked.search(q) for q in texts)]


def missing_detail(question: str, fact: Fact, normalised: str = "") -> Detail | None:
    """The first kind of detail the question asks for that none of the fact's claims contain."""
    quotes = [c.quote for c in fact.claims]
    if any(_which_of_counted(text, quotes) for text in (question, normalised) if text):
        return NAMES
    unasked = _without_given_numbers(quotes, question)
    for detail in asked_details(question, normalised):
        flags = 0 if detail is NAMES else re.IGNORECASE
        if not any(re.search(detail.present.pattern, q, flags) for q in unasked):
            return detail
        if detail.name in ("a percentage", "an amount of money", "a calendar date"):
            return None  # a specific kind was found: a vaguer one ("how much") is answered by it
    return None


def _without_given_numbers(quotes: list[str], question: str) -> list[str]:
    """The quotes less the figures the question gives as a whole it asks a part of: "how
    many of the 7,500 staff" is not answered by "7,500 staff", nor "how much of the £450m"
    by "£450m". A figure given to check ("how many staff, 7,500?") is answered by it."""
    given = {n.replace(",", "") for n in _WHOLE.findall(question)}
    if not given:
        return quotes
    figures = "|".join(",?".join(re.escape(ch) for ch in n) for n in sorted(given, key=len, reverse=True))
    figure = re.compile(rf"[£$€]?(?<![\d,.])(?:{figures})(?![\d,]|\.\d)"
                        r"(?:\s*(?:%|per ?cent\b|m\b|bn\b|million\b|billion\b))?", re.IGNORECASE)
    return [figure.sub(" ", q) for q in quotes]


@lru_cache(maxsize=1024)
def _counted(quotes: tuple[str, ...]) -> frozenset[str]:
    """The groups (singular) that the quotes count and do not name."""
    if any(_NAMED_AFTER.search(q) for q in quotes):
        return frozenset()
    plurals = {m.group(1).lower() for q in quotes for m in _COUNTED.finditer(q)}
    return frozenset(w[:-1] for w in plurals - _NOT_NOUNS - _PEOPLE if len(w) >= 5 and not w.endswith("ss"))


def _which_of_counted(question: str, quotes: list[str]) -> bool:
    """The question asks which ones of a group that the claims only count: "which three
    trusts", "names of the trusts", "who are the three trust chairs", "what are the regions
    called"; not "what did the three trusts say", nor "who will manage the offenders",
    which the claims answer."""
    counted = _counted(tuple(quotes))
    if not counted:
        return False
    text = _flat(question)
    return any(re.search(rf"\b(which|what)\s+{_QUALIFIERS}{re.escape(n)}s?\b|"
                         rf"\bwho\s+(is|are|was|were|r)\s+(the\s+)?{_QUALIFIERS}{re.escape(n)}s?\b|"
                         rf"\b(names? of|name|list)\b(\s+\S+){{0,4}}?\s+{re.escape(n)}s?\b|"
                         rf"\b{re.escape(n)}s?\b.*\b(called|named)\b", text)
               for n in counted)
