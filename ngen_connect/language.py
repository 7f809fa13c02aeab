"""Language detection, deterministic, tuned for a bilingual (English/French) product."""

from __future__ import annotations

import threading

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
    """ "en", "fr" or "und": a query to a bilingual product is in one of its two languages."""
    if not any(c.isalpha() for c in text):
        return UNDETERMINED
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
