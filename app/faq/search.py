"""German full-text search for the FAQ: pure functions, no database.

People type a question the way they would ask it („Wer nimmt teil?“, „keine Benachrichtigung“,
„bundnis“ without the dots), so both a question or answer and a search go through the same
analysis:

1. Words are cut at everything that is not a letter or digit (Markdown, punctuation, e-mail
   addresses, hyphens), lower-cased with ``casefold`` (ß → ss).
2. German stop words (``STOP_WORDS``: articles, pronouns, auxiliaries, question words) are
   dropped, in every spelling (über, ueber, uber), so a question phrased as a question searches
   for what it is about.
3. Each word is stemmed by the Snowball German stemmer (``snowballstemmer``), which also folds
   umlauts both ways: Bündnis, Buendnis and bundnis are all ``bundnis``; Kriterien and
   Siegelkriterien end in ``kriteri``. Latin nouns in -ium, whose plural the stemmer cannot
   reach, are cut to the plural's stem (Kriterium, Gremium → kriteri, gremi).

A search term matches a text term exactly (the same stem) or in part, for German compounds and
separable verbs: a term of 4 or more letters that begins a text term (teil → teilnehmen,
Siegel → Siegelbündnis), one of 5 or more letters inside a text term (Umfrage →
Bündnisumfrage), or a text term of 5 or more letters inside the search term (Benachrichtigung →
Nachricht). Numbers match exactly only.

``score`` ranks an entry: every distinct search term it matches counts 100 (more matched terms
always rank higher); within that, a match in the question weighs three times one in the answer,
and an exact match twice a partial one. An entry that matches no term is not a hit.
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

MAX_TERMS = 8
TERM_WEIGHT = 100
_QUESTION, _ANSWER = 3, 1
_EXACT, _PARTIAL = 2, 1
# The largest score a search can reach: every term matched, exactly, in question and answer.
MAX_SCORE = MAX_TERMS * (TERM_WEIGHT + (_QUESTION + _ANSWER) * _EXACT)

_PREFIX_MIN = 4
_INFIX_MIN = 5

_WORD = re.compile(r"[^\W_]+")
_UMLAUTS_PLAIN = str.maketrans({"ä": "a", "ö": "o", "ü": "u"})
_UMLAUTS_SPELLED = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})

# The Snowball project's German stop word list (snowballstem.org, BSD licence), with the
# question words and a few more function words people put in a search box added.
_STOP_TEXT = """
aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes
anderm andern anderr anders auch auf aus bei bin bis bist da damit dann der den des dem die das
daß dass derselbe derselben denselben desselben demselben dieselbe dieselben dasselbe dazu dein
deine deinem deinen deiner deines denn derer dessen dich dir du dies diese diesem diesen dieser
dieses doch dort durch ein eine einem einen einer eines einig einige einigem einigen einiger
einiges einmal er ihn ihm es etwas euer eure eurem euren eurer eures für gegen gewesen hab habe
haben hat hatte hatten hier hin hinter ich mich mir ihr ihre ihrem ihren ihrer ihres euch im in
indem ins ist jede jedem jeden jeder jedes jene jenem jenen jener jenes jetzt kann kein keine
keinem keinen keiner keines können könnte machen man manche manchem manchen mancher manches
mein meine meinem meinen meiner meines mit muss musste nach nicht nichts noch nun nur ob oder
ohne sehr sein seine seinem seinen seiner seines selbst sich sie ihnen sind so solche solchem
solchen solcher solches soll sollte sondern sonst über um und uns unse unsem unsen unser unses
unter viel vom von vor während war waren warst was weg weil weiter welche welchem welchen
welcher welches wenn werde werden wie wieder will wir wird wirst wo wollen wollte würde würden
zu zum zur zwar zwischen
wer wen wem wessen wann warum wieso weshalb weswegen wozu woher wohin womit wofür worüber wobei
worauf wodurch kannst könnt konnte konnten dürfen darf darfst müssen musst müsst sollen sollst
gibt geht ja nein bitte bzw usw ca unsere unserem unseren unserer unseres
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())


def _spellings(word: str) -> set[str]:
    """A folded word in the spellings people type: ü, ue and u alike (ß is ss already)."""
    return {word, word.translate(_UMLAUTS_PLAIN), word.translate(_UMLAUTS_SPELLED)}


_STOP_KEYS = frozenset(spelling for word in STOP_WORDS
                       for spelling in _spellings(word.casefold()))


@cache
def _stemmer() -> Any:
    # Made at the first search, not at import: only FAQ searches stem, and the stemmer's
    # package costs ~11 ms of every process's start-up.
    import snowballstemmer

    return snowballstemmer.stemmer("german")


def fold(text: str) -> str:
    """``text`` folded (lower case, umlauts spelled out, no accents, one space between words,
    a space at either end): what ``FaqEntry.search_text`` holds. The search no longer reads
    that column (it analyses question and answer apart, to weigh them, with ``terms``); it is
    still kept in step, so that dropping it can be a migration of its own."""
    folded = unicodedata.normalize("NFC", text).casefold().translate(_UMLAUTS_SPELLED)
    words = _WORD.findall(_strip_accents(folded))
    return f" {' '.join(words)} " if words else " "


def _strip_accents(text: str) -> str:
    """Accents other than the umlauts removed (é → e); ä, ö and ü stay for the stemmer."""
    decomposed = unicodedata.normalize("NFD", text)
    out = []
    for index, char in enumerate(decomposed):
        if unicodedata.combining(char):
            # U+0308 after a, o or u is an umlaut: keep it (recomposed below).
            if char == "\u0308" and index and decomposed[index - 1] in "aou":
                out.append(char)
            continue
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


@lru_cache(maxsize=20_000)
def _stem(word: str) -> str:
    stem = _stemmer().stemWord(word)
    if len(stem) > 5 and stem.endswith("ium"):  # Kriterium → kriteri, as Kriterien
        stem = stem[:-2]
    return stem.translate(_UMLAUTS_PLAIN)


def _words(text: str) -> list[str]:
    return _WORD.findall(_strip_accents(unicodedata.normalize("NFC", text).casefold()))


def _is_term(word: str) -> bool:
    if word.isdigit():
        return True
    return len(word) > 1 and word not in _STOP_KEYS


@lru_cache(maxsize=1_024)  # a few hundred entries, two texts each; answers ≤ 20,000 chars
def terms(text: str) -> frozenset[str]:
    """The distinct search terms of a text: words without stop words, stemmed and folded.
    Cached by text, so a FAQ entry is analysed once until its text changes."""
    return frozenset(_stem(word) for word in _words(text) if _is_term(word))


def query_terms(query: str) -> list[str]:
    """The distinct terms of a search, in the order typed, at most ``MAX_TERMS``. Empty for a
    search of stop words or punctuation only: it matches nothing."""
    seen = dict.fromkeys(_stem(word) for word in _words(query) if _is_term(word))
    return list(seen)[:MAX_TERMS]


def partial_match(term: str, text_term: str) -> bool:
    """Whether a search term meets a text term in part (compounds, separable verbs)."""
    if term == text_term or not (term.isalpha() and text_term.isalpha()):
        return False
    return ((len(term) >= _PREFIX_MIN and text_term.startswith(term))
            or (len(term) >= _INFIX_MIN and term in text_term)
            or (len(text_term) >= _INFIX_MIN and text_term in term))


@dataclass(frozen=True)
class Matcher:
    """One search, prepared against the vocabulary of the entries it will score: for each
    search term, the text terms it meets in part (computed once, not once per entry)."""

    terms: tuple[str, ...]
    partial: tuple[frozenset[str], ...]

    @classmethod
    def prepare(cls, query: str, vocabulary: Iterable[str]) -> "Matcher":
        wanted = tuple(query_terms(query))
        words = set(vocabulary)
        return cls(wanted, tuple(frozenset(w for w in words if partial_match(t, w))
                                 for t in wanted))

    def score(self, question: frozenset[str], answer: frozenset[str]) -> int:
        """0 for no match; else 100 per distinct term matched plus the weight of where and how
        it matched (see the module docstring)."""
        total = 0
        for term, partial in zip(self.terms, self.partial, strict=True):
            weight = (_QUESTION * _strength(term, partial, question)
                      + _ANSWER * _strength(term, partial, answer))
            if weight:
                total += TERM_WEIGHT + weight
        return total


def _strength(term: str, partial: frozenset[str], text: frozenset[str]) -> int:
    if term in text:
        return _EXACT
    return _PARTIAL if not partial.isdisjoint(text) else 0
