"""Turns what members type into comparable word stems.

Phrasings in the knowledge base and members' questions go through the same steps, so
"wot woz the turnot" and "what was the turnout" end up as the same tokens:
text-speak -> synonyms -> spelling (against the knowledge base's own words) -> stems.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Container, Iterable
from functools import lru_cache

from english_words import get_english_words_set
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.answers.knowledge import Vocabulary

# Generic English filler: words that say nothing about *which* fact is wanted. Domain
# words never go here (the knowledge base can add its own in vocabulary.yaml).
STOPWORDS = frozenset(
    [
        "a", "about", "above", "actually", "all", "also", "am", "an", "and", "any", "anyone",
        "anything", "are", "aren", "as", "ask", "asked", "asking", "at", "be", "because", "been", "being",
        "below", "between", "both", "but", "by", "can", "cant", "could", "couldn", "d", "did",
        "didn", "do", "does", "doesn", "doing", "don", "done", "down", "during", "each", "either",
        "else", "even", "every", "exactly", "explain", "few", "find", "for", "from", "further",
        "get", "gets", "getting", "give", "given", "go", "going", "gone", "got", "had", "has",
        "hasn", "have", "haven", "having", "he", "her", "here", "hers", "herself", "him", "himself",
        "his", "i", "if", "im", "in", "into", "is", "isn", "it", "its", "itself", "ive", "just",
        "know", "let", "like", "ll", "m", "many", "may", "me", "mean", "meant", "might", "mine",
        "more", "most", "much", "must", "my", "myself", "need", "needs", "neither", "nor", "now",
        "of", "off", "ok", "okay", "on", "once", "one", "only", "or", "other", "our", "ours",
        "ourselves", "out", "over", "own", "please", "pls", "quick", "quickly", "re", "really", "s",
        "said", "same", "say", "saying", "says", "see", "she", "should", "shouldn", "simply", "so",
        "some", "someone", "something", "still", "such", "sure", "t", "tell", "telling", "than",
        "that", "thats", "the", "their", "theirs", "them", "themselves", "then", "there",
        "these", "they", "thing", "things", "think", "this", "those", "though", "through", "to",
        "too", "under", "understand", "until", "up", "us", "ve", "very", "was", "wasn", "we",
        "well", "were", "weren", "what", "whats", "whether", "while", "will", "with", "won",
        "would", "wouldn", "y", "yeah", "yet", "you", "your", "yours", "yourself",
    ]
)

# A number keeps its unit even after a decimal part: "84.4%", "1.5bn" (not "84.4" + "%").
_TOKEN = re.compile(r"[a-z0-9£$%]+(?:[.,][0-9]+)*(?:(?:%|bn|m|k)(?![a-z0-9]))?")
_NUMBER = re.compile(r"^[£$]?([0-9][0-9,]*(?:\.[0-9]+)?)(%|m|bn|k|th|st|nd|rd)?$")
# A knowledge-base word used at most _RARE times, in no dictionary, within an edit of one used
# _COMMON times or more and _MORE_COMMON times as often, is a typo of it.
_RARE, _COMMON, _MORE_COMMON = 2, 5, 3
_SUFFIXES = (
    "isations", "izations", "isation", "ization", "ational", "ations", "ation", "ising",
    "izing", "ised", "ized", "ises", "izes", "ise", "ize", "ings", "ing", "ers", "ies", "ied",
    "ly", "es", "ed", "er", "s",
)


def fold(text: str) -> str:
    """Lower-case and strip accents and emoji, keeping letters, digits, £, $ and %."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c)).replace("’", "'")
    return text.lower().replace("'", "")


def tokens(text: str) -> list[str]:
    """Word tokens with numbers canonicalised: '£450m' -> '450m', '225,000' -> '225000'."""
    out = []
    for tok in _TOKEN.findall(fold(text)):
        tok = tok.strip(".,")
        m = _NUMBER.match(tok)
        if m:
            number = m.group(1).replace(",", "")
            suffix = m.group(2) or ""
            if suffix in ("th", "st", "nd", "rd"):
                suffix = ""
            if number:
                out.append(number)
            if suffix == "%":
                out.append("percent")
            elif suffix:
                out.append({"bn": "billion", "k": "thousand", "m": "million"}[suffix])
            continue
        tok = tok.strip("£$%")
        if tok:
            out.append(tok)
    return out


# Question words that say what kind of answer is wanted, longest first. "what" says nothing
# on its own ("what is the turnout", "what date").
_ASKING = (("how", "many"), ("how", "much"), ("how", "long"), ("how", "old"), ("when",), ("where",),
           ("who",), ("whose",), ("why",), ("which",), ("how",))
_ASKING_FIRST = frozenset(kind[0] for kind in _ASKING)


def asking_kind(words: list[str]) -> str:
    """The question word of normalised words ("when", "how many"), the last one if several
    (the question usually ends a message); "" if none. "When is it" and "where is it" share
    every other word: this is what tells them apart."""
    for i in range(len(words) - 1, -1, -1):
        if words[i] in _ASKING_FIRST:
            for kind in _ASKING:
                if tuple(words[i : i + len(kind)]) == kind:
                    return " ".join(kind)
    return ""


@lru_cache(maxsize=1)
def english() -> frozenset[str]:
    """A general English word list, so a real word ("unison", "president") is never
    "corrected" into a look-alike domain word ("union", "present")."""
    return frozenset(get_english_words_set(["gcide"], lower=True, alpha=True))


def is_english(word: str) -> bool:
    """True for a dictionary word or a regular inflection of one ("balloted", "gagging")."""
    words = english()
    if word in words:
        return True
    for suffix, base in (("s", ""), ("es", ""), ("ed", ""), ("ed", "e"), ("d", ""), ("ing", ""),
                         ("ing", "e"), ("ies", "y"), ("ied", "y"), ("ly", ""), ("er", ""), ("ers", "")):
        if word.endswith(suffix):
            root = word[: -len(suffix)] + base
            if suffix == "d" and not root.endswith("e"):
                continue  # "voted" is "vote" + d; "walkd" is no word
            # "gagging" -> "gagg" -> "gag": a doubled final consonant before the suffix.
            if root in words or (len(root) > 2 and root[-1] == root[-2] and root[:-1] in words):
                return True
    return False


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A deliberately crude suffix stripper: 'striking', 'strikes' and 'strike' meet."""
    if word.isdigit() or len(word) <= 3:
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            # "companies" and "company" must meet: -ies/-ied become -y.
            word = word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
            break
    if word.endswith("e") and len(word) >= 4:
        word = word[:-1]
    return word


def _drops_g(word: str, words: Container[str]) -> bool:
    """"strikin" where "striking" is a word we know."""
    return word.endswith("in") and word + "g" in words


class Normaliser:
    """Applies one knowledge base's vocabulary; built once, reused for every question."""

    def __init__(self, vocabulary: Vocabulary, known_words: Iterable[str]) -> None:
        self.textspeak = vocabulary.textspeak
        self._speak = {k: tuple(v.split()) for k, v in vocabulary.textspeak.items()}
        self.stopwords = STOPWORDS | vocabulary.stopwords
        # Longest synonym first, so "ministry of justice" wins over "justice".
        self.synonyms = sorted(
            ((tuple(tokens(k)), tuple(tokens(v))) for k, v in vocabulary.synonyms.items()),
            key=lambda kv: -len(kv[0]),
        )
        self.max_synonym = max((len(k) for k, _ in self.synonyms), default=1)
        self.synonym_map = {k: v for k, v in self.synonyms if k}
        self._starts = {k[0] for k in self.synonym_map if len(k) > 1}
        words = set(self.stopwords)
        counts: Counter[str] = Counter()
        for w in known_words:
            counts.update(self._expand(tokens(w)))
        words.update(counts)
        for variant, canonical in vocabulary.synonyms.items():
            words.update(tokens(canonical))
            words.update(tokens(variant))
        words.update(self.textspeak)
        self.known = frozenset(words)
        self._known_list = sorted(w for w in self.known if len(w) >= 3 and not w.isdigit())
        self.misspelt = self._misspellings(counts)
        self._correct = lru_cache(maxsize=65536)(self._correct_uncached)
        # Indexing reads most texts two or three times (words, meaning, stems): 0.1 s a start.
        self._words = lru_cache(maxsize=16384)(self._words_uncached)

    def _expand(self, toks: list[str]) -> list[str]:
        """Text-speak then synonyms, on raw tokens."""
        spoken: list[str] = []
        for tok in toks:
            replacement = self._speak.get(tok)
            if replacement is None:
                spoken.append(tok)
            else:
                spoken.extend(replacement)
        out: list[str] = []
        i = 0
        while i < len(spoken):
            longest = min(self.max_synonym, len(spoken) - i) if spoken[i] in self._starts else 1
            for size in range(longest, 0, -1):
                canonical = self.synonym_map.get(tuple(spoken[i : i + size]))
                if canonical is not None:
                    out.extend(canonical)
                    i += size
                    break
            else:
                out.append(spoken[i])
                i += 1
        return out

    def _misspellings(self, counts: Counter[str]) -> dict[str, str]:
        """The knowledge base's own typos ("probaton" in a phrasing written as members type),
        each to the word it misspells. A known word is never corrected, so without this a
        member's "probaton" would stay a word the embedding model cannot read."""
        targets = [w for w, n in counts.items() if n >= _COMMON and len(w) >= 3 and not w.isdigit()
                   and not _drops_g(w, counts)]  # "sayin" is itself a typo
        out: dict[str, str] = {}
        for word, n in counts.items():
            if (n > _RARE or len(word) < 4 or word.isdigit() or word in self.textspeak
                    or _drops_g(word, counts) or is_english(word)):
                continue
            near = [c for c in self._nearest(word, targets) if counts[c[0]] >= _MORE_COMMON * n]
            if near:
                out[word] = self._closest(word, near, counts)
        return out

    @staticmethod
    def _nearest(word: str, candidates: list[str]) -> list[tuple[str, float, int]]:
        """Candidates within one edit (two for long words)."""
        limit = 1 if len(word) < 10 else 2
        return [c for c in process.extract(word, candidates, scorer=OSA.distance, score_cutoff=limit, limit=8)
                if c[0] != word]

    @staticmethod
    def _closest(word: str, near: list[tuple[str, float, int]], counts: Counter[str] | None = None) -> str:
        """Fewest edits first; among equals the most similar ("mony" -> "money", not "many"),
        then the most used ("wnat" -> "what", not "want")."""
        used = counts or Counter()
        return min(near, key=lambda c: (c[1], -fuzz.ratio(word, c[0]), -used[c[0]], c[0]))[0]

    def _correct_uncached(self, word: str) -> str:
        """Nearest known word within one edit (two for long words), else the word itself.

        Dropped g's ("strikin") are restored first; real English words are left alone. A
        member's typo nearest to one of our own typos ends where ours does, at the word it
        misspells: "contrcts" is one edit from our "contarcts" as from "contracts", and the
        embedding models can read only the latter.
        """
        if _drops_g(word, self.known) and not is_english(word):
            return word + "g"  # even where a phrasing of ours drops it too: both meet at "-ing"
        if word in self.misspelt:
            return self.misspelt[word]
        if word in self.known or len(word) < 4 or word.isdigit():
            return word
        if is_english(word):
            return word
        near = self._nearest(word, self._known_list)
        if not near:
            return word
        closest = self._closest(word, near)
        return self.misspelt.get(closest, closest)

    def words(self, text: str) -> list[str]:
        """Normalised words (not yet stemmed), with spelling corrected; stopwords kept."""
        return list(self._words(text))

    def _words_uncached(self, text: str) -> tuple[str, ...]:
        """`words`, as a tuple the cache can hold safely."""
        expanded = self._expand(tokens(text))
        fixed = [self._correct(tok) for tok in expanded]
        # A correction can reveal text-speak or a synonym ("govt" typo'd), so expand again.
        return tuple(self._expand(fixed) if fixed != expanded else fixed)

    def content(self, text: str) -> list[str]:
        """Stems of the words that carry meaning, in order, without repeats."""
        seen: dict[str, None] = {}
        for w in self.words(text):
            if w not in self.stopwords:
                seen.setdefault(stem(w))
        return list(seen)
