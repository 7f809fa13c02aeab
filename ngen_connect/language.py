"""Language detection, deterministic, tuned for a bilingual (English/French) product."""

from __future__ import annotations

import threading
from functools import lru_cache

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

UNDETERMINED = "und"
BILINGUAL = "en+fr"
_PRODUCT_LANGUAGES = ("en", "fr")
# A product language this probable wins over a more probable third language: short French
# capability text is often scored as Catalan or Italian, short English as Dutch.
_PREFERENCE_FLOOR = 0.2

_lock = threading.Lock()


def detect_language(text: str) -> str:
    """Return an ISO 639-1 code ("en", "fr", ...) or "und" when the text has no letters to go on."""
    if not any(c.isalpha() for c in text):
        return UNDETERMINED
    with _lock:  # langdetect's seeded factory is shared state
        DetectorFactory.seed = 0
        try:
            candidates = detect_langs(text)
        except LangDetectException:
            return UNDETERMINED
    preferred = [
        c for c in candidates if c.lang in _PRODUCT_LANGUAGES and c.prob >= _PREFERENCE_FLOOR
    ]
    best = max(preferred or candidates, key=lambda c: c.prob)
    return str(best.lang)


def detect_query_language(text: str) -> str:
    """ "en", "fr" or "und": a query to a bilingual product is in one of its two languages.

    Short queries defeat character statistics ("welding" reads as Dutch), so words that belong to
    only one language's stop words or glossary vote first; langdetect decides when they tie.
    """
    if not any(c.isalpha() for c in text):
        return UNDETERMINED
    votes = _vocabulary_votes(text)
    if votes["en"] != votes["fr"]:
        return "en" if votes["en"] > votes["fr"] else "fr"
    with _lock:
        DetectorFactory.seed = 0
        try:
            candidates = [c for c in detect_langs(text) if c.lang in _PRODUCT_LANGUAGES]
        except LangDetectException:
            return UNDETERMINED
    return str(max(candidates, key=lambda c: c.prob).lang) if candidates else UNDETERMINED


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
    from ngen_connect.text import STOP_EN, STOP_FR, fold, words

    english, french = _vocabularies()
    votes = {"en": 0, "fr": 0}
    has_accent = fold(text) != text.casefold()
    for word in words(text):
        in_en = word in STOP_EN or word in english
        in_fr = word in STOP_FR or word in french
        if in_en != in_fr:
            votes["en" if in_en else "fr"] += 1
    if has_accent:
        votes["fr"] += 1
    return votes


@lru_cache(maxsize=1)
def _vocabularies() -> tuple[set[str], set[str]]:
    from ngen_connect.glossary import load_glossary

    glossary = load_glossary()
    english, french = glossary.vocabulary("en"), glossary.vocabulary("fr")
    return english - french, french - english
