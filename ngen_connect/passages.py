"""Splitting capability text into passages: a few sentences each, so the best part of a long
profile can match a query on its own."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[\"'«(]?[A-ZÀ-ÖØ-Þ0-9])|\n\s*[-*•·]?\s*|\s+[•·]\s+")
_MAX_WORDS = 60
_HARD_MAX_WORDS = 100


def split_sentences(text: str) -> list[str]:
    pieces = (p.strip(" \t-*•·") for p in _SENTENCE_END.split(text))
    return [p for p in pieces if p]


def split_passages(text: str, max_words: int = _MAX_WORDS) -> list[str]:
    """Group consecutive sentences into passages of at most `max_words` words.

    A sentence longer than the hard limit is cut into word windows so nothing falls off the end of
    the model's input.
    """
    passages: list[str] = []
    current: list[str] = []
    current_words = 0
    for sentence in split_sentences(text):
        words = sentence.split()
        if len(words) > _HARD_MAX_WORDS:
            if current:
                passages.append(" ".join(current))
                current, current_words = [], 0
            for start in range(0, len(words), max_words):
                passages.append(" ".join(words[start : start + max_words]))
            continue
        if current and current_words + len(words) > max_words:
            passages.append(" ".join(current))
            current, current_words = [], 0
        current.append(sentence)
        current_words += len(words)
    if current:
        passages.append(" ".join(current))
    return passages
