"""Splitting capability text into passages: a few sentences each, so the best part of a long
profile can match a query on its own."""

from __future__ import annotations

import math
from collections.abc import Mapping

from ngen_connect.language import UNDETERMINED, detect_language
from ngen_connect.models import Passage
from ngen_connect.text import split_sentences

_MAX_WORDS = 60
_HARD_MAX_WORDS = 100


def split_passages(text: str, max_words: int = _MAX_WORDS) -> list[str]:
    """Group consecutive sentences into passages of about equal size, at most ~`max_words` words.

    Balanced sizes matter: a short leftover passage ("Our team has 9 people.") would otherwise
    match any query about as well as a real capability sentence. A sentence longer than the hard
    limit is cut into word windows so nothing falls off the end of the model's input.
    """
    sentences: list[list[str]] = []
    for sentence in split_sentences(text):
        words = sentence.split()
        if len(words) > _HARD_MAX_WORDS:
            sentences.extend(words[i : i + max_words] for i in range(0, len(words), max_words))
        else:
            sentences.append(words)
    total = sum(len(words) for words in sentences)
    if not total:
        return []
    target = total / math.ceil(total / max_words)
    passages: list[str] = []
    current: list[str] = []
    for words in sentences:
        if current and len(current) + len(words) / 2 > target:
            passages.append(" ".join(current))
            current = []
        current.extend(words)
    if passages and len(current) < target / 2:
        passages[-1] += " " + " ".join(current)
    else:
        passages.append(" ".join(current))
    return passages


def build_passages(texts: Mapping[str, str], default: str | None = None) -> list[Passage]:
    """Passages of every text; a text from a language-specific column keeps that language, an
    undetermined one takes `default` ("en" or "fr") when given, else its detected language."""
    passages: list[Passage] = []
    for hint, text in texts.items():
        for chunk in split_passages(text):
            language = hint if hint != UNDETERMINED else default or detect_language(chunk)
            passages.append(Passage(len(passages), chunk, language))
    return passages
