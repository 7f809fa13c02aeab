"""Text analysis for the keyword leg, in English and French: accents and case folded, elisions
removed (l', d', qu'...), stop words of both languages dropped, Snowball stems."""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import Stemmer

_TOKEN = re.compile(r"[a-z0-9]+")
_SPLIT_CODE = re.compile(r"(?<![a-z0-9])([a-z]{2,5})[ -](\d{2,6})(?![0-9])")
_ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu)['’]")

STOP_EN = frozenset(
    "a about above after all also an and any are as at be been being both but by can could did do does "
    "for from had has have having he her here his how i if in into is it its just me more most my no nor "
    "not of off on once only or other our ours out over own same she should so some such than that the "
    "their them then there these they this those through to too under until up very was we were what "
    "when where which while who whom why will with within would you your us per via including include "
    "includes".split()
)
STOP_FR = frozenset(
    "a au aux avec ce ces cet cette dans de des du elle elles en entre est et eux il ils je la le les leur "
    "leurs lui ma mais me meme mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son "
    "sont sur ta te tes toi ton tu un une vos votre vous y ete etre sans sous chez ainsi aussi comme dont "
    "plus tout tous toute toutes depuis afin notamment".split()
)
_ALGORITHMS = {"en": "english", "fr": "french"}
# Stop words of both languages are dropped whatever a text's language: "de" in an English query,
# "and" in a French profile, "pour" in a query whose language could not be told.
_STOP = STOP_EN | STOP_FR


# What registries write for "no value": a cell holding only one of these counts as empty.
_PLACEHOLDERS = frozenset(
    {"-", "--", "---", "n/a", "na", "n.a.", "#n/a", "none", "null", "nan", "nil", "s/o", "n/d", "?"}
)


# C0 control characters but tab, newline and carriage return, and DEL: never text (NUL, vertical
# tab...); XLSX cannot hold them, and one in front of "=" would hide a formula.
#: C0 control characters but tab, line feed and carriage return, and DEL
_C0 = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
#: what XML 1.0 cannot hold besides them (lone surrogates, U+FFFE, U+FFFF): an XLSX cell or an
#: Atom feed holding one is no longer a file its reader opens
_NOT_XML = "\ud800-\udfff\ufffe\uffff"
#: and the C1 ones, which no text written by a person holds
_ANY_CONTROL = re.compile(f"[{_C0}\x80-\x9f\ud800-\udfff]")
_CONTROL = re.compile(f"[{_C0}\x80-\x9f{_NOT_XML}]")


def strip_control(text: str) -> str:
    """`text` without control characters (C0 but tab and line breaks, C1) and without characters
    XML cannot hold."""
    return _CONTROL.sub("", text)


def control_as_spaces(text: str) -> str:
    """Every control character (C0 and C1) as a space, and every lone surrogate (bytes a
    command line could not decode): a query pasted from a terminal or a badly decoded file."""
    return _ANY_CONTROL.sub(" ", text)


def is_placeholder(text: str) -> bool:
    """'N/A', '--', '#N/A', 's/o'... : a value that says there is no value."""
    return " ".join(text.split()).casefold() in _PLACEHOLDERS


def fold(text: str) -> str:
    """Lower case, accents removed: 'Capacités' -> 'capacites'."""
    if text.isascii():  # nothing to decompose: the same as below, without a pass per character
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def query_form(text: str) -> str:
    """The one form of a query that its meaning is read from (the encoders, the language
    detector): lower case. A query pasted in capitals from a registry extract, typed in title case
    or in lower case is then one query, with one answer. Lower case rather than sentence case: the
    encoders ranked lower-cased queries as well as queries as typed, sentence-cased ones worse
    (benchmarks/RESULTS.md, "Relevance")."""
    return text.lower()


def text_key(text: str, joiner: str = " ") -> str:
    """A text as a key to compare: folded, its letters and digits only, its words joined by
    `joiner` ("Windsor–Essex  Cluster" -> "windsor essex cluster"; "Nom de l'entreprise", "_" ->
    "nom_de_l_entreprise"). Names, places and column headers are all compared this way."""
    return joiner.join(re.findall(r"[a-z0-9]+", fold(text)))


def words(text: str) -> list[str]:
    """Folded word tokens with French elisions removed; digits kept. Codes written apart are also
    joined, so "AS-9100", "AS 9100" and "AS9100" share the token "as9100"."""
    folded = _ELISION.sub(" ", text.casefold().replace("’", "'")).translate(_FOLD_TABLE)
    return _TOKEN.findall(folded) + [a + b for a, b in _SPLIT_CODE.findall(folded)]


class _Stemmers(threading.local):
    """A stemmer per language and thread: a PyStemmer object must not be called from two threads
    at once, and searches analyse their queries on several."""

    def __init__(self) -> None:
        self.by_language = {code: Stemmer.Stemmer(name) for code, name in _ALGORITHMS.items()}


_STEMMERS = _Stemmers()


@lru_cache(maxsize=200_000)
def _stem(word: str, language: str) -> str:
    if any(c.isdigit() for c in word):
        return word
    return str(_STEMMERS.by_language[language].stemWord(word))


def analyse(text: str, language: str) -> list[str]:
    """Index terms of a text in one language ("en" or "fr"; anything else is analysed as both)."""
    if language not in _ALGORITHMS:
        return sorted(set(analyse(text, "en")) | set(analyse(text, "fr")))
    return [f"{language}:{_stem(w, language)}" for w in _indexed_words(text)]


def analyse_query(text: str, language: str) -> list[str]:
    """A query's index terms: its words stemmed in its own language ("en" or "fr"), and as the
    other language's too when both stemmers agree on a word (a name, a code, a word the two
    languages write alike: "tylenol", "9001", "solution"), so such words still find passages in
    either language; a query of no known language is analysed as both. A word of one language is
    never stemmed as the other's: its stem there may be an unrelated word's (the French stem of
    "génériques" is that of the English "Generation")."""
    return [term for word in query_words(text, language) for term in word]


def query_words(text: str, language: str, without: frozenset[str] = frozenset()) -> list[list[str]]:
    """`analyse_query`'s terms word by word: each word that becomes terms, with its terms;
    words in `without` (as `words` writes them) are left out unless no other word is left."""
    indexed = _indexed_words(text)
    indexed = [word for word in indexed if word not in without] or indexed
    if language not in _ALGORITHMS:
        return [sorted({*analyse(word, "en"), *analyse(word, "fr")}) for word in indexed]
    other = "fr" if language == "en" else "en"
    found = []
    for word in indexed:
        stem = _stem(word, language)
        terms = [f"{language}:{stem}"]
        if _stem(word, other) == stem:
            terms.append(f"{other}:{stem}")
        found.append(terms)
    return found


def _indexed_words(text: str) -> list[str]:
    """A text's words that become terms: not stop words of either language, nor single letters."""
    return [w for w in words(text) if (w not in _STOP and len(w) > 1) or w.isdigit()]


class _FoldTable(dict[int, str]):
    """str.translate table that strips accents, computed lazily per character."""

    def __missing__(self, key: int) -> str:
        decomposed = unicodedata.normalize("NFKD", chr(key))
        value = "".join(c for c in decomposed if not unicodedata.combining(c))
        self[key] = value
        return value


_FOLD_TABLE = _FoldTable()


_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[\"'«(]?[A-ZÀ-ÖØ-Þ0-9])|\n\s*[-*•·]?\s*|\s+[•·]\s+")


def split_sentences(text: str) -> list[str]:
    """Sentences, list items and lines of a text, without their bullets."""
    pieces = (p.strip(" \t-*•·") for p in _SENTENCE_END.split(text))
    return [p for p in pieces if p]
