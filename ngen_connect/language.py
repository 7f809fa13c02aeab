"""Language detection, deterministic, tuned for a bilingual (English/French) product."""

from __future__ import annotations

import gc
import math
import re
import threading
from functools import lru_cache

from langdetect import DetectorFactory, detect_langs
from langdetect.detector_factory import init_factory
from langdetect.lang_detect_exception import LangDetectException
from lingua import Language, LanguageDetector, LanguageDetectorBuilder
from wordfreq import get_frequency_dict

from ngen_connect.text import STOP_EN, STOP_FR, query_form, words

UNDETERMINED = "und"
BILINGUAL = "en+fr"
_PRODUCT_LANGUAGES = ("en", "fr")
# A product language this probable wins over a more probable third language: short French
# capability text is often scored as Catalan or Italian, short English as Dutch.
_PREFERENCE_FLOOR = 0.2
_MIN_LETTERS = 20
_LONG_WORDS = 8
_FRENCH_LETTERS = frozenset("éèêëàâîïôûùçœ")
_FRENCH_ELISION = re.compile(r"\b(?:l|d|qu|j|n|s)['’][a-zàâéèêîôû]")

_lock = threading.Lock()
_lingua_lock = threading.Lock()


def detect_language(text: str) -> str:
    """ "en", "fr" or "und" for a profile's text: the product reads only its two languages.

    A text of some length that langdetect finds clearly in a third language (Spanish shares "de"
    and "la" with French) is "und". Otherwise words that belong to one language's stop words or
    glossary vote first, so short and list-like texts ("Supplier categories: pumps.") are read by
    their words, not by character statistics that call them Afrikaans or Romanian; langdetect's
    English and French odds decide a tie, and a word or two that nothing claims is "und".
    """
    if not any(c.isalpha() for c in text):
        return UNDETERMINED
    count = len(text.split())
    odds = _odds(text) if count >= _LONG_WORDS else None
    if odds is not None and _third_language(odds):
        return UNDETERMINED
    votes = _vocabulary_votes(text)
    margin = votes["en"] - votes["fr"]
    if abs(margin) >= 2 or (abs(margin) == 1 and 2 <= count <= 5):
        return "en" if margin > 0 else "fr"
    if count < 2 or sum(c.isalpha() for c in text) < _MIN_LETTERS:
        return UNDETERMINED  # a word or two: too little to tell
    product = {lang: p for lang, p in (odds or _odds(text)).items() if lang in _PRODUCT_LANGUAGES}
    if margin:
        voted = "en" if margin > 0 else "fr"
        product[voted] = product.get(voted, 0.0) + 0.1
    best = max(product, key=lambda lang: product[lang], default=None)
    return best if best is not None and product[best] >= _PREFERENCE_FLOOR else UNDETERMINED


@lru_cache(maxsize=1)
def _load_profiles() -> None:
    """langdetect's language profiles, loaded once. They are some 90,000 objects that live as long
    as the process: frozen out of the garbage collector's sight, they no longer make each of its
    full passes take tens of milliseconds (in the middle of a search, on a server)."""
    init_factory()
    gc.freeze()


def _odds(text: str) -> dict[str, float]:
    with _lock:  # langdetect's seeded factory is shared state
        _load_profiles()
        DetectorFactory.seed = 0
        try:
            return {c.lang: c.prob for c in detect_langs(text)}
        except LangDetectException:
            return {}


def _third_language(odds: dict[str, float]) -> bool:
    other = max((p for lang, p in odds.items() if lang not in _PRODUCT_LANGUAGES), default=0.0)
    ours = max((p for lang, p in odds.items() if lang in _PRODUCT_LANGUAGES), default=0.0)
    return other >= 0.9 and ours < 0.05


def detect_query_language(text: str) -> str:
    """ "en", "fr" or "und": a query to a bilingual product is in one of its two languages.

    Queries are short (a capability label, a product, a few words), where character statistics
    over many languages fail ("welding" reads as Dutch). Three kinds of evidence add up as
    log-odds of English against French:

    - lingua, restricted to English and French and made for short text (its letter sequences);
    - each word's frequency in English against French text (`word_frequency_lean`): "technique"
      and "services" are words of both, "resellers" and "unisex" of English only, "publics" of
      French;
    - each word that belongs to only one language's stop words or glossary, an accent and an
      elision (e ** `QUERY_VOTE` each), and words joined without any French function word, none
      of them voting French, leaning English (`UNLINKED`).

    On real short labels (occupations, industries, patent classes) this is right more often than
    any of them alone, and takes a fraction of a millisecond (benchmarks/bench_language.py;
    benchmarks/RESULTS.md, "Query language"). Letter case changes nothing: the query is read as
    `query_form` writes it.
    """
    lean = query_lean(query_form(text))
    if not lean:
        return UNDETERMINED
    return "en" if lean > 0 else "fr"


def query_lean(text: str) -> float:
    """The log-odds that a (lower-case) query is English rather than French; 0 when nothing in it
    tells (no letters, or none that lingua can read)."""
    if not any(c.isalpha() for c in text):
        return 0.0
    english, french = lingua_confidences(text)
    if not english and not french:
        return 0.0
    votes = _vocabulary_votes(text)
    lean = math.log(max(english, _LEAST) / max(french, _LEAST))
    lean += QUERY_VOTE * (votes["en"] - votes["fr"])
    lean += word_frequency_lean(text)
    tokens = words(text)
    if len(tokens) >= 2 and not votes["fr"] and not _FRENCH_FUNCTION_WORDS.intersection(tokens):
        lean += UNLINKED
    return lean


#: the log-odds a word of one language only (a stop word, a glossary word), an accent or an
#: elision adds to that language when a query's language is told: odds of about 2 to 1 each
QUERY_VOTE = 0.75
#: the log-odds of English that two words or more joined without a French function word (de, du,
#: la, pour...) add, when none of them votes French ("batteries VE"): French noun phrases join their nouns with one ("usines de carton"), English
#: ones seldom do ("metal service centres"); on the labels of bench_language.py, nearly no English
#: label of two to four words has one, and about half of the French ones lack one
UNLINKED = 0.5
_FRENCH_FUNCTION_WORDS = STOP_FR - STOP_EN
_LEAST = 1e-9
#: a word's share of running text below which it counts as this rare (a word's frequency in a
#: language it is not written in): one in ten million words
_RAREST = 1e-7
#: the most log-odds one word's frequencies may add: a word of one language that turns up in the
#: other (a name, a loanword) must not outweigh every other clue
_WORD_CAP = 5.0
#: each word's log frequency ratio counts half: the words of a label are not independent
#: evidence, and lingua has read their letters already
_WORD_WEIGHT = 0.5
_WORD = re.compile(r"[^\W\d_]{3,}")


def word_frequency_lean(text: str) -> float:
    """The log-odds of English against French that the words of a (lower-case) text add by how
    often each is written in English and in French text: wordfreq's frequencies (Wikipedia,
    subtitles, news, books and the web, in its wheel), each distinct word of two letters or more
    counted once, capped at `_WORD_CAP`, weighted by `_WORD_WEIGHT`."""
    english, french = _frequencies()
    lean = 0.0
    for word in set(_WORD.findall(text)):
        ratio = math.log(max(english.get(word, 0.0), _RAREST) / max(french.get(word, 0.0), _RAREST))
        lean += max(-_WORD_CAP, min(_WORD_CAP, ratio))
    return _WORD_WEIGHT * lean


def _frequencies() -> tuple[dict[str, float], dict[str, float]]:
    with _lingua_lock:  # the first searches, at once, load the lists once
        return _load_frequencies()


@lru_cache(maxsize=1)
def _load_frequencies() -> tuple[dict[str, float], dict[str, float]]:
    """wordfreq's English and French word lists (some 320,000 words each; 0.3 s, 80 MiB), loaded
    once, on the first query."""
    return get_frequency_dict("en"), get_frequency_dict("fr")


def lingua_confidences(text: str) -> tuple[float, float]:
    """lingua's confidence that a text is English, and French (they add up to 1; 0 and 0 when it
    cannot tell)."""
    english = french = 0.0
    for found in _lingua().compute_language_confidence_values(text):
        if found.language == Language.ENGLISH:
            english = found.value
        elif found.language == Language.FRENCH:
            french = found.value
    return english, french


def _lingua() -> LanguageDetector:
    with _lingua_lock:  # the first searches, at once, load the models once
        return _load_lingua()


@lru_cache(maxsize=1)
def _load_lingua() -> LanguageDetector:
    """lingua's English and French models, loaded once, on the first query (they ship in its
    wheel: nothing is downloaded)."""
    return (
        LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.FRENCH)
        .with_preloaded_language_models()
        .build()
    )


def combine_languages(weighted: list[tuple[str, int]], min_share: float = 0.15) -> str:
    """A profile's language from its passages' languages weighted by length.

    English and French both holding at least `min_share` of the text make the profile bilingual.
    """
    totals: dict[str, int] = {}
    for language, weight in weighted:
        if language != UNDETERMINED:
            totals[language] = totals.get(language, 0) + weight
    if not totals:
        return UNDETERMINED
    whole = sum(totals.values())
    if all(totals.get(lang, 0) >= min_share * whole for lang in _PRODUCT_LANGUAGES):
        return BILINGUAL
    return max(totals, key=lambda lang: totals[lang])


def _vocabulary_votes(text: str) -> dict[str, int]:
    english, french = _vocabularies()
    votes = {"en": 0, "fr": 0}
    has_accent = any(c in _FRENCH_LETTERS for c in text.casefold())
    for word in words(text):
        in_en = word in STOP_EN or word in english
        in_fr = word in STOP_FR or word in french
        if in_en != in_fr:
            votes["en" if in_en else "fr"] += 1
    if has_accent:
        votes["fr"] += 1
    if _FRENCH_ELISION.search(text.casefold()):
        votes["fr"] += 1
    return votes


@lru_cache(maxsize=1)
def _vocabularies() -> tuple[set[str], set[str]]:
    from ngen_connect.glossary import load_glossary

    glossary = load_glossary()
    english, french = glossary.vocabulary("en"), glossary.vocabulary("fr")
    return english - french, french - english
