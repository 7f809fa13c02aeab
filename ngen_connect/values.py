"""Vocabularies shared by files and filters: yes/no words, declared languages, head counts and
size bands, organisation types; one cell read as text or as a list.

The parsers raise ValueError with a readable reason; their callers turn it into a row warning or
a QueryError, so it never leaves the core."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from ngen_connect.language import BILINGUAL
from ngen_connect.limits import MAX_VALUE_DEPTH
from ngen_connect.text import fold, is_placeholder, strip_control

_ORG_TYPES = {
    "manufacturer": (
        "manufacturer",
        "manufacturing",
        "fabricant",
        "manufacturier",
        "entreprise manufacturiere",
    ),
    "technology_supplier": (
        "technology supplier",
        "technology provider",
        "fournisseur de technologie",
        "fournisseur technologique",
        "tech supplier",
    ),
    "research": (
        "research",
        "research organization",
        "research organisation",
        "recherche",
        "organisme de recherche",
        "university",
        "universite",
        "college",
        "cegep",
    ),
    "ecosystem_partner": (
        "ecosystem partner",
        "partenaire de l ecosysteme",
        "partenaire",
        "association",
        "industry association",
    ),
}


ORG_TYPE_LOOKUP = {
    s: code for code, spellings in _ORG_TYPES.items() for s in (code.replace("_", " "), *spellings)
}


YES_WORDS = {"1", "true", "yes", "y", "oui", "o", "vrai", "x"}


NO_WORDS = {"0", "false", "no", "n", "non", "faux", ""}


_LIST_SPLIT = re.compile(r"\s*[;|\n]\s*|\s*,\s*")


def cell_text(value: Any) -> str:
    """A cell as text; empty for nothing, a blank or a placeholder such as 'N/A' or '--'."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(t for t in (cell_text(v) for v in value) if t)
    text = strip_control(str(value)).strip()
    return "" if is_placeholder(text) else text


def list_value(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else _LIST_SPLIT.split(str(value))
    return [text for text in (cell_text(item) for item in items) if text]


def yes_no(value: Any) -> bool | None:
    """A yes/no answer in English or French (oui, vrai, x, 1...); None for a blank cell."""
    if isinstance(value, bool):
        return value
    token = fold(cell_text(value))
    if token in YES_WORDS:
        return True
    if token in NO_WORDS:
        return None if token == "" else False
    raise ValueError(f"'{value}' is not yes/no (oui/non, true/false, 1/0)")


_DECLARED_LANGUAGES = {
    "en": ("en", "eng", "english", "anglais", "ang", "a"),
    "fr": ("fr", "fra", "fre", "french", "francais", "f"),
    BILINGUAL: (
        "en fr",
        "fr en",
        "bilingual",
        "bilingue",
        "both",
        "les deux",
        "english french",
        "anglais francais",
        "francais anglais",
        "b",
    ),
}


_DECLARED_LOOKUP = {s: code for code, spellings in _DECLARED_LANGUAGES.items() for s in spellings}


def declared_language(value: Any) -> str | None:
    """A language column's value as "en", "fr" or "en+fr"; ValueError when it says something else."""
    key = " ".join(re.sub(r"[^a-z]+", " ", fold(cell_text(value))).split())
    if not key:
        return None
    if key in _DECLARED_LOOKUP:
        return _DECLARED_LOOKUP[key]
    raise ValueError(f"'{value}' is not a language this product reads (en, fr, bilingual)")


#: employee-size bands (Statistics Canada's small, medium and large businesses): band -> bounds
SIZE_BANDS: dict[str, tuple[int, int | None]] = {
    "1-19": (1, 19),
    "20-99": (20, 99),
    "100-499": (100, 499),
    "500+": (500, None),
}
_SIZE_WORDS = {
    "small": "1-19",
    "petite": "1-19",
    "medium": "20-99",
    "moyenne": "20-99",
    "large": "100-499",
    "grande": "100-499",
    "very large": "500+",
    "tres grande": "500+",
}


def employee_band(count: int) -> str:
    """The size band of a head count: 1-19, 20-99, 100-499 or 500+ (0 counts as 1-19)."""
    for band, (_, upper) in SIZE_BANDS.items():
        if upper is None or count <= upper:
            return band
    return "500+"


def size_band(value: str) -> str:
    """A size band as people write it ("1–19", "20 - 99", "500 +", "medium", "moyenne")."""
    key = re.sub(r"\s+", "", fold(value)).replace("\u2013", "-").replace("\u2014", "-")
    key = key.replace("a", "-") if re.fullmatch(r"\d+a\d+", key) else key  # "20 à 99"
    if key in SIZE_BANDS:
        return key
    words = " ".join(re.sub(r"[^a-z]+", " ", fold(value)).split())
    if words in _SIZE_WORDS:
        return _SIZE_WORDS[words]
    raise ValueError(f"'{value}' is not a size band ({', '.join(SIZE_BANDS)})")


#: ownership codes: (English label, French label, other spellings people write, folded)
OWNERSHIP: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "indigenous_owned": (
        "Indigenous-owned",
        "Propriété autochtone",
        ("indigenous", "aboriginal", "first nations", "autochtone", "entreprise autochtone"),
    ),
    "women_owned": (
        "Women-owned",
        "Propriété féminine",
        (
            "women",
            "woman owned",
            "female owned",
            "femmes",
            "appartenant a des femmes",
            "detenue par des femmes",
            "entreprise detenue par des femmes",
            "feminine",
        ),
    ),
    "visible_minority_owned": (
        "Visible-minority-owned",
        "Propriété de minorités visibles",
        (
            "visible minority",
            "minority owned",
            "minorite visible",
            "minorites visibles",
            "appartenant a des minorites visibles",
        ),
    ),
    "black_owned": (
        "Black-owned",
        "Propriété de personnes noires",
        ("black", "appartenant a des personnes noires", "entreprise noire"),
    ),
}
_OWNERSHIP_LOOKUP = {
    spelling: code
    for code, (english, french, others) in OWNERSHIP.items()
    for spelling in (
        code.replace("_", " "),
        " ".join(re.sub(r"[^a-z]+", " ", fold(english)).split()),
        " ".join(re.sub(r"[^a-z]+", " ", fold(french)).split()),
        *others,
    )
}


def ownership_code(value: str) -> str:
    """An ownership value as its code ("Indigenous-owned", "autochtone" -> "indigenous_owned");
    a value the vocabulary does not know is kept, folded."""
    key = " ".join(re.sub(r"[^a-z]+", " ", fold(value)).split())
    return _OWNERSHIP_LOOKUP.get(key, key.replace(" ", "_"))


def ownership_label(code: str, language: str) -> str:
    """The ownership code's label in "en" or "fr" (the code itself when unknown)."""
    labels = OWNERSHIP.get(ownership_code(code))
    return (labels[1] if language == "fr" else labels[0]) if labels else code


_THOUSANDS = re.compile(r"^\d{1,3}(?:([ ,.\u00a0\u202f])\d{3})(?:\1\d{3})*$")


def employee_count(text: str) -> int:
    """A head count as people write it: 1200, 1,200, 1 200, 1.200 (thousands), 12.0."""
    squeezed = text.replace("\u00a0", " ").strip()
    if _THOUSANDS.match(squeezed):
        squeezed = re.sub(r"[ ,.\u00a0\u202f]", "", squeezed)
    try:
        value = float(squeezed.replace(",", "."))
    except ValueError:
        raise ValueError(f"'{text}' is not a number of employees") from None
    if not math.isfinite(value) or value < 0 or value > 10_000_000:
        raise ValueError(f"'{text}' is not a number of employees")
    return int(value)


#: product statuses of Health Canada's Drug Product Database, as filter values
PRODUCT_STATUSES = ("marketed", "approved", "dormant", "cancelled")
_STATUS_WORDS = {
    "marketed": "marketed",
    "commercialise": "marketed",
    "approved": "approved",
    "approuve": "approved",
    "dormant": "dormant",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "annule": "cancelled",
}


def product_status(value: str) -> str:
    """A product status as people write it, in English or French ("Commercialisé" -> "marketed")."""
    words = re.findall(r"[a-z]+", fold(value))
    if words and words[0] in _STATUS_WORDS:
        return _STATUS_WORDS[words[0]]
    raise ValueError(f"'{value}' is not a product status ({', '.join(PRODUCT_STATUSES)})")


def shallow_value(value: Any, depth: int = MAX_VALUE_DEPTH) -> tuple[Any, bool]:
    """`value` with each list or object nested `depth` levels down replaced by its JSON text (or
    by None when even that cannot be written); and whether anything was replaced. Whatever reads
    a stored value after this never recurses more than `depth` levels."""
    if not isinstance(value, dict | list):
        return value, False
    if depth == 0:
        try:
            return json.dumps(value, ensure_ascii=False), True
        except (RecursionError, ValueError):
            return None, True
    replaced = False
    if isinstance(value, dict):
        shallow: dict[str, Any] = {}
        for key, item in value.items():
            shallow[str(key)], changed = shallow_value(item, depth - 1)
            replaced = replaced or changed
        return shallow, replaced
    items = []
    for item in value:
        kept, changed = shallow_value(item, depth - 1)
        items.append(kept)
        replaced = replaced or changed
    return items, replaced
