"""Normalisation: what members type ("wot woz the turnot", "£450m") becomes comparable stems,
without "correcting" real English words into the dispute's vocabulary."""

from __future__ import annotations

import pytest

from bot.answers.engine import Engine
from bot.answers.knowledge import Vocabulary
from bot.answers.text import Normaliser, asking_kind, fold, is_english, stem, tokens


@pytest.fixture(scope="module")
def norm(engine: Engine) -> Normaliser:
    """The shipped knowledge base's vocabulary, knowing the words it spells right (titles,
    answers, quotes, keywords). Its phrasings spell some words wrong on purpose ("turnot"),
    and the matcher knows those as they are; here correction itself is under test."""
    known: list[str] = []
    for fact in engine.kb.facts.values():
        known += [fact.title, fact.answer, *fact.keywords, *(c.quote for c in fact.claims)]
    known += [p for talk in engine.kb.smalltalk for p in talk.phrasings]
    return Normaliser(engine.kb.vocabulary, known)


# --------------------------------------------------------------------------- tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("£450m", ["450", "million"]),
        ("£450 million", ["450", "million"]),
        ("225,000", ["225000"]),
        ("225,000 offenders", ["225000", "offenders"]),
        ("46%", ["46", "percent"]),
        ("84.4%", ["84.4", "percent"]),
        ("it was 84.4%.", ["it", "was", "84.4", "percent"]),
        ("1.5bn", ["1.5", "billion"]),
        ("10k", ["10", "thousand"]),
        ("$5", ["5"]),
        ("the 3rd strike", ["the", "3", "strike"]),
        ("101-year history", ["101", "year", "history"]),
        ("7,500 staff", ["7500", "staff"]),
        ("Napo’s AGM", ["napos", "agm"]),
        ("Café", ["cafe"]),
        ("what?!  ...", ["what"]),
        ("👍🙂", []),
        ("", []),
    ],
)
def test_tokens_canonicalise_numbers_and_drop_punctuation(text: str, expected: list[str]) -> None:
    assert tokens(text) == expected


@pytest.mark.parametrize(("a", "b"), [("84.4%", "84.4 per cent"), ("£450m", "450 million")])
def test_the_same_figure_written_two_ways_normalises_the_same(norm: Normaliser, a: str, b: str) -> None:
    assert norm.words(a) == norm.words(b)


def test_fold_strips_accents_and_apostrophes() -> None:
    assert fold("Rôle’s DÉBUT") == "roles debut"


# --------------------------------------------------------------------------- stems


@pytest.mark.parametrize(
    "group",
    [
        ("strike", "strikes", "striking", "striked"),
        ("ballot", "ballots", "balloted", "balloting"),
        ("contract", "contracts"),
        ("offender", "offenders"),
        ("privatise", "privatised", "privatising"),
        ("privatisation", "privatisations"),
        ("company", "companies"),
        ("announce", "announced", "announcing"),
        ("talk", "talks", "talking"),
        ("officer", "officers"),
        ("region", "regions"),
        ("supervise", "supervised", "supervising"),
    ],
)
def test_stem_merges_inflections(group: tuple[str, ...]) -> None:
    assert len({stem(w) for w in group}) == 1, {w: stem(w) for w in group}


@pytest.mark.parametrize("group", [("vote", "voted"), ("case", "cases"), ("date", "dates")])
def test_stem_merges_short_words_ending_in_e(group: tuple[str, ...]) -> None:
    assert len({stem(w) for w in group}) == 1, {w: stem(w) for w in group}


@pytest.mark.parametrize(
    ("a", "b"),
    [("strike", "struck"), ("ballot", "bullet"), ("contract", "contact"), ("offender", "offered"),
     ("wales", "whales"), ("napo", "nap")],
)
def test_stem_keeps_different_words_apart(a: str, b: str) -> None:
    assert stem(a) != stem(b)


@pytest.mark.parametrize("word", ["2013", "225000", "84.4", "g4s", "nps", "is"])
def test_stem_leaves_numbers_and_short_words_alone(word: str) -> None:
    assert stem(word) == word


# --------------------------------------------------------------------------- the normaliser


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("wot r u", ["what", "are", "you"]),
        ("wen is the strike", ["when", "is", "the", "strike"]),
        ("y r we striking", ["why", "are", "we", "strike"]),
        ("govt plans", ["government", "plans"]),
        ("strike 2moro?", ["strike", "tomorrow"]),
        ("thx", ["thanks"]),
    ],
)
def test_text_speak_is_expanded(norm: Normaliser, text: str, expected: list[str]) -> None:
    assert norm.words(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("moj", ["ministry", "of", "justice"]),
        ("the justice ministry said", ["the", "ministry", "of", "justice", "said"]),
        ("gen sec", ["general", "secretary"]),
        ("walk out", ["strike"]),
        ("are they walking out", ["are", "they", "strike"]),
        ("industrial action", ["strike"]),
        ("pbr", ["payment", "by", "results"]),
        ("plan b", ["contingency", "plans"]),
        ("sell off", ["privatisation"]),
        ("privatization", ["privatisation"]),
        ("starts at noon", ["start", "at", "midday"]),
        ("national association of probation officers", ["napo"]),
    ],
)
def test_synonyms_including_multi_word_ones_map_to_one_term(
    norm: Normaliser, text: str, expected: list[str]
) -> None:
    assert norm.words(text) == expected


@pytest.mark.parametrize(
    ("typo", "fixed"),
    [
        ("turnot", "turnout"),
        ("turnuot", "turnout"),
        ("balot", "ballot"),
        ("contrcts", "contracts"),
        ("offendrs", "offenders"),
        ("serko", "serco"),
        ("probaton", "probation"),
        ("grayllng", "grayling"),
        ("llandudnoo", "llandudno"),
        ("goverment", "government"),
        ("minsitry", "ministry"),
        ("privatisaton", "privatisation"),
        ("mandte", "mandate"),
    ],
)
def test_spelling_is_corrected_towards_the_knowledge_bases_words(
    norm: Normaliser, typo: str, fixed: str
) -> None:
    assert typo not in norm.known
    assert norm.words(typo) == [fixed]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("strikin", ["strike"]),  # striking -> synonym of strike
        ("votin", ["vote"]),
        ("supervisin", ["supervision"]),
        ("walkin out", ["strike"]),
    ],
)
def test_dropped_g_is_restored(norm: Normaliser, typed: str, expected: list[str]) -> None:
    assert norm.words(typed) == expected


@pytest.mark.parametrize(
    ("word", "lookalike"),
    [
        ("unison", "union"),
        ("president", "present"),
        ("ballet", "ballot"),
        ("contact", "contract"),
        ("strife", "strike"),
        ("strive", "strike"),
        ("onion", "union"),
        ("whales", "wales"),
    ],
)
def test_real_english_words_are_not_corrected_into_domain_words(
    norm: Normaliser, word: str, lookalike: str
) -> None:
    assert is_english(word)
    assert norm.words(word) == [word]
    assert lookalike not in norm.words(word)


@pytest.mark.parametrize(("word", "english"), [
    ("voted", True), ("agreed", True), ("walked", True), ("walkd", False), ("strikd", False),
])
def test_a_d_ending_makes_a_word_only_after_an_e(word: str, english: bool) -> None:
    """"voted" is "vote" + d; "walkd" is a typo of "walked", so spelling correction may fix it."""
    assert is_english(word) is english


@pytest.mark.parametrize(("question", "kind"), [
    ("when is the strike happening", "when"),
    ("where is the strike happening", "where"),
    ("how many of us voted", "how many"),
    ("how do we know", "how"),
    ("wots happenin", ""),  # "what" alone says nothing of the answer wanted
    ("hi there, sorry, who wrote to grayling", "who"),
    ("why? and when is it", "when"),  # the last question word: questions end messages
])
def test_the_question_word_says_what_kind_of_answer_is_wanted(norm: Normaliser, question: str,
                                                              kind: str) -> None:
    assert asking_kind(norm.words(question)) == kind


def test_short_words_and_numbers_are_never_corrected(norm: Normaliser) -> None:
    assert norm.words("zzz 4500") == ["zzz", "4500"]


def test_content_drops_stopwords_and_repeats_keeping_order(norm: Normaliser) -> None:
    assert norm.content("When is the strike? The STRIKE, when?") == ["when", "strik"]


def test_normaliser_uses_only_the_vocabulary_it_is_given() -> None:
    vocab = Vocabulary(textspeak={"wen": "when"}, synonyms={"sit in": "occupation"},
                       stopwords=frozenset({"pls"}))
    norm = Normaliser(vocab, ["when is the occupation"])
    assert norm.words("wen is the sit in pls") == ["when", "is", "the", "occupation", "pls"]
    assert norm.content("wen is the sit in pls") == [stem("when"), stem("occupation")]
    # A word outside this knowledge base is not bent towards the Napo vocabulary.
    assert norm.words("turnot") == ["turnot"]


def test_a_dropped_g_is_restored_even_where_a_phrasing_drops_it_too() -> None:
    # Both sides meet at "-ing": the phrasing's "talkin" and a member's "talking".
    norm = Normaliser(Vocabulary(), ["are they still talkin", "talking to ministers", "the thin end"])
    assert norm.words("talkin") == norm.words("talking") == ["talking"]
    assert norm.words("thin") == ["thin"]  # a word in its own right keeps its spelling


def test_words_are_a_fresh_list_each_time(norm: Normaliser) -> None:
    # They are cached: a caller that edits its list must not change the next caller's.
    first = norm.words("wot was the turnot")
    first.append("changed")
    assert norm.words("wot was the turnot") == ["what", "was", "the", "turnout"]


def test_a_typo_in_the_knowledge_base_is_corrected_to_the_word_it_misspells() -> None:
    # Phrasings are written as members type, so the base holds typos of its own; without this
    # a member's "probaton" would be a known word and stay unreadable to the embedding model.
    norm = Normaliser(Vocabulary(), ["the probation service"] * 5 + ["who runs probaton now"])
    assert norm.words("probaton") == ["probation"]
    assert norm.misspelt == {"probaton": "probation"}


def test_a_members_typo_nearest_to_one_of_ours_ends_at_the_word_both_misspell() -> None:
    # "probatn" is one edit from our typo "probaton" and two from "probation".
    norm = Normaliser(Vocabulary(), ["the probation service"] * 5 + ["who runs probaton now"])
    assert norm.words("who runs probatn") == ["who", "runs", "probation"]


@pytest.mark.parametrize(("texts", "word"), [
    (["napo strike"] * 5 + ["napos strike"] * 2, "napos"),  # used as often as it is rare: no typo
    (["grayling plans"] * 5 + ["graylin"], "graylin"),  # near, but a dropped g first
    (["the serco deal"] * 2 + ["serko"], "serko"),  # the other word is not common enough
    (["a review"] * 5 + ["a reviews"], "reviews"),  # an English word is never a typo
])
def test_a_rare_word_is_no_typo_without_a_much_commoner_one_near(texts: list[str], word: str) -> None:
    assert word not in Normaliser(Vocabulary(), texts).misspelt


def test_a_typo_goes_to_the_commoner_of_two_equally_near_words() -> None:
    norm = Normaliser(Vocabulary(), ["what is it"] * 9 + ["i want it"] * 5 + ["wnat is it"])
    assert norm.misspelt["wnat"] == "what"


def test_a_dropped_g_form_is_never_the_word_a_typo_is_corrected_to() -> None:
    texts = ["are they sayin", "saying it"] * 5 + ["are they payin"]
    assert Normaliser(Vocabulary(), texts).misspelt.get("payin") != "sayin"
