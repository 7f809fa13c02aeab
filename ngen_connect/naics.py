"""NAICS Canada 2022 titles in English, and in French where a French title is known."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).parent / "data" / "naics_titles.tsv"


@lru_cache(maxsize=1)
def _titles() -> dict[str, tuple[str, str]]:
    with DATA.open(encoding="utf-8") as handle:
        return {
            row["code"]: (row["title_en"], row["title_fr"])
            for row in csv.DictReader(handle, delimiter="\t")
        }


def naics_title(code: str, language: str = "en") -> str:
    """The title of a code; French falls back to English where no French title exists."""
    english, french = _titles().get(code, ("", ""))
    return french if language == "fr" and french else english
