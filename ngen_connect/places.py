"""Addresses worldwide: countries in English and French, Canadian provinces however they are
written, US states, postal codes.

A country becomes its ISO 3166 alpha-2 code ("CA", "US", "KR"); a Canadian province becomes its
two-letter code ("QC"); any other region (a US state, a French département, an Indian state) is
kept as given beside its country. Country names come from pycountry (ISO 3166 and its French
translation) plus the forms registries use that ISO does not (USA, États Unis, Royaume-Uni...).
"""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass, field
from functools import lru_cache

import pycountry
from rapidfuzz import fuzz, process

from ngen_connect.errors import QueryError
from ngen_connect.text import fold, is_placeholder, text_key

#: Canadian provinces and territories: code -> English name, French name, other spellings.
PROVINCES: dict[str, tuple[str, ...]] = {
    "AB": ("Alberta", "Alberta", "alta", "alb"),
    "BC": ("British Columbia", "Colombie-Britannique", "b c", "colombie britanique", "c b"),
    "MB": ("Manitoba", "Manitoba", "man"),
    "NB": ("New Brunswick", "Nouveau-Brunswick", "n b"),
    "NL": (
        "Newfoundland and Labrador",
        "Terre-Neuve-et-Labrador",
        "newfoundland",
        "newfoundland labrador",
        "terre neuve",
        "terre neuve labrador",
        "nfld",
        "nf",
        "nfld labrador",
        "t n l",
        "labrador",
    ),
    "NS": ("Nova Scotia", "Nouvelle-Écosse", "n s", "n e"),
    "NT": ("Northwest Territories", "Territoires du Nord-Ouest", "nwt", "t n o", "n w t"),
    "NU": ("Nunavut", "Nunavut", "nvt"),
    "ON": ("Ontario", "Ontario", "ont"),
    "PE": (
        "Prince Edward Island",
        "Île-du-Prince-Édouard",
        "pei",
        "p e i",
        "i p e",
        "ipe",
        "prince edward",
    ),
    "QC": ("Quebec", "Québec", "que", "pq", "p q", "qc", "qu", "province de quebec"),
    "SK": ("Saskatchewan", "Saskatchewan", "sask"),
    "YT": ("Yukon", "Yukon", "yukon territory", "yk", "yt", "territoire du yukon"),
}

# Forms seen in registries that ISO 3166 and its French translation do not list.
_COUNTRY_ALIASES: dict[str, tuple[str, ...]] = {
    "CA": ("can",),
    "US": (
        "usa",
        "u s a",
        "u s",
        "us",
        "united states of america",
        "etats unis",
        "etats unis d amerique",
        "e u",
        "e u a",
        "america",
        "amerique",
    ),
    "GB": (
        "uk",
        "u k",
        "great britain",
        "britain",
        "england",
        "scotland",
        "wales",
        "northern ireland",
        "grande bretagne",
        "angleterre",
        "ecosse",
        "royaume uni",
    ),
    "KR": ("korea", "south korea", "coree", "coree du sud", "republique de coree"),
    "KP": ("north korea", "coree du nord"),
    "RU": ("russia", "russie"),
    "NL": ("holland", "hollande", "the netherlands"),
    "CZ": ("czech republic", "republique tcheque"),
    "TW": ("taiwan",),
    "IR": ("iran",),
    "VN": ("vietnam",),
    "CH": ("suisse", "schweiz"),
    "DE": ("deutschland",),
    "TR": ("turkey", "turquie"),
}

_PLACEHOLDERS = {"unknown", "inconnu"}
_STOP = {"of", "the", "and", "de", "du", "des", "la", "le", "les", "l", "d", "et"}
_FUZZY_MIN = 88
_CA_POSTAL = re.compile(r"^([A-Z]\d[A-Z])\s*-?\s*(\d[A-Z]\d)$")
_PREFIXED_CA_POSTAL = re.compile(r"^([A-Za-z][A-Za-z.]{1,4})\s+([A-Z]\d[A-Z]\s*\d[A-Z]\d)$")
_US_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
_TRAILING_CANADA = re.compile(r"[\s,/-]*\bcanada\s*$", re.IGNORECASE)
# First letter of a Canadian postal code -> province (X is shared by NT and NU, so it decides nothing).
_POSTAL_PROVINCE = {
    "A": "NL",
    "B": "NS",
    "C": "PE",
    "E": "NB",
    "G": "QC",
    "H": "QC",
    "J": "QC",
    "K": "ON",
    "L": "ON",
    "M": "ON",
    "N": "ON",
    "P": "ON",
    "R": "MB",
    "S": "SK",
    "T": "AB",
    "V": "BC",
    "Y": "YT",
}


def _sorted_key(key: str) -> str:
    """Word order and linking words ignored: 'Korea, Republic of' = 'République de Corée'."""
    return " ".join(sorted(w for w in key.split() if w not in _STOP))


@lru_cache(maxsize=1)
def _french() -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"], fallback=True)


@lru_cache(maxsize=1)
def _countries() -> tuple[dict[str, str], dict[str, str]]:
    """(exact key -> code, word-sorted key -> code) for every country name and alias."""
    exact: dict[str, str] = {}
    french = _french()
    for country in pycountry.countries:
        code = country.alpha_2
        names = [country.alpha_2, country.alpha_3]
        for attr in ("name", "official_name", "common_name"):
            name = getattr(country, attr, None)
            if name:
                names += [name, french.gettext(name)]
        for name in names:
            exact.setdefault(text_key(name), code)
    for code, aliases in _COUNTRY_ALIASES.items():
        for alias in aliases:
            exact[text_key(alias)] = code
    exact.pop("", None)
    # Two-letter keys other than ISO codes are too ambiguous to read word-sorted or fuzzily.
    by_words = {_sorted_key(k): c for k, c in exact.items() if len(k) > 3}
    return exact, by_words


def country_code(value: str) -> tuple[str, bool] | None:
    """(ISO alpha-2 code, exact) for a country written in English or French, or None.

    `exact` is False for a close misspelling ("Austrailia"), which the caller reports.
    """
    key = text_key(value)
    if not key:
        return None
    exact, by_words = _countries()
    code = exact.get(key) or by_words.get(_sorted_key(key))
    if code:
        return code, True
    if len(key) >= 5:
        found = process.extractOne(
            _sorted_key(key), list(by_words), scorer=fuzz.ratio, score_cutoff=_FUZZY_MIN
        )
        if found:
            return by_words[found[0]], False
    return None


def country_name(code: str, language: str = "en") -> str:
    """The country's common name in English or French ("US" -> "United States" / "États-Unis")."""
    country = pycountry.countries.get(alpha_2=code.upper()) if len(code) == 2 else None
    if country is None:
        return code
    name = str(getattr(country, "common_name", None) or country.name)
    return _french().gettext(country.name) if language == "fr" else name


@lru_cache(maxsize=1)
def _provinces() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for code, spellings in PROVINCES.items():
        for spelling in (code, *spellings):
            lookup[text_key(spelling)] = code
    return lookup


def province_code(value: str) -> tuple[str, bool] | None:
    """(two-letter code, exact) for a Canadian province or territory however written, or None.

    Codes, English and French names, abbreviations with or without periods (`Qc`, `P.Q.`, `Ont.`,
    `Sask.`, `Nfld`), any case or accents; a close misspelling (`Ontaro`) is read with exact=False.
    """
    key = text_key(value)
    if not key:
        return None
    lookup = _provinces()
    if key in lookup:
        return lookup[key], True
    squeezed = key.replace(" ", "")
    if squeezed in lookup:
        return lookup[squeezed], True
    if len(key) >= 5:
        names = [k for k in lookup if len(k) >= 5]
        found = process.extractOne(key, names, scorer=fuzz.ratio, score_cutoff=_FUZZY_MIN - 3)
        if found:
            return lookup[found[0]], False
    return None


def normalise_province(value: str) -> str:
    """The province's code; QueryError naming the value when it is not a Canadian province."""
    found = province_code(value)
    if found is None:
        raise QueryError(
            f"'{value}' is not a Canadian province or territory (use e.g. ON, QC, Québec)",
            f"« {value} » n'est pas une province ou un territoire du Canada (p. ex. ON, QC, Québec)",
        )
    return found[0]


@lru_cache(maxsize=1)
def _us_states() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for state in pycountry.subdivisions.get(country_code="US") or ():  # type: ignore[no-untyped-call]
        code = state.code.split("-", 1)[1]
        lookup[text_key(code)] = code
        lookup[text_key(state.name)] = code
    return lookup


def us_state(value: str) -> str | None:
    return _us_states().get(text_key(value))


def _clean(value: str | None) -> str:
    text = " ".join(str(value or "").split())
    return "" if is_placeholder(text) or text_key(text) in _PLACEHOLDERS else text


@dataclass
class Place:
    """A normalised address; `notes` are (field, message) pairs worth a warning."""

    province: str | None = None
    region: str | None = None
    country: str | None = None
    postal_code: str | None = None
    notes: list[tuple[str, str]] = field(default_factory=list)

    def attributes(self) -> dict[str, str]:
        values = {
            "province": self.province,
            "region": self.region,
            "country": self.country,
            "postal_code": self.postal_code,
        }
        return {k: v for k, v in values.items() if v}


def normalise_place(
    province: str | None = None, country: str | None = None, postal_code: str | None = None
) -> Place:
    """Read a province/state, a country and a postal code as a registry gives them.

    The province is validated only when the address is Canadian or has no country; a region of
    another country is kept as given. Nothing is dropped: a value that cannot be read is kept raw
    (as `region` or `country`) with a note.
    """
    place = Place()
    region, country_raw, postal = _clean(province), _clean(country), _clean(postal_code)
    if country_raw:
        found = country_code(country_raw)
        in_country_column = province_code(country_raw) if found is None else None
        if in_country_column is not None and not region:
            # "Québec" in the country column: a province written where the country goes
            region = country_raw
            place.notes.append(
                (
                    "country",
                    f"'{country_raw}' is a Canadian province; read as {in_country_column[0]}, Canada",
                )
            )
            found = ("CA", True)
        if found is None:
            place.country = country_raw
            place.notes.append(
                ("country", f"'{country_raw}' is not a known country; kept as given")
            )
        else:
            place.country = found[0]
            if not found[1]:
                place.notes.append(("country", f"'{country_raw}' read as {found[0]}"))
    if region and place.country in (None, "CA"):
        trailing = _TRAILING_CANADA.sub("", region)  # "BC Canada", "Ontario, Canada"
        if trailing != region and province_code(trailing):
            region, place.country = trailing, "CA"
    prefixed = _PREFIXED_CA_POSTAL.match(postal.upper()) if postal else None
    if prefixed and province_code(prefixed.group(1)) and place.country in (None, "CA"):
        region = region or prefixed.group(1)  # "AB T6B 3C3": a province written in the postal code
        postal = prefixed.group(2)
    if postal:
        place.postal_code = _postal(postal)
    if place.country not in (None, "CA"):
        place.region = region or None
        return place
    _canadian_region(place, region)
    return place


def _postal(value: str) -> str:
    found = _CA_POSTAL.match(value.upper())
    return f"{found.group(1)} {found.group(2)}" if found else value


def _canadian_region(place: Place, region: str) -> None:
    """Province of an address that is Canadian or has no country."""
    from_postal = None
    if place.postal_code and _CA_POSTAL.match(place.postal_code):
        from_postal = _POSTAL_PROVINCE.get(place.postal_code[0])
    if not region:
        if from_postal and place.country in (None, "CA"):
            place.province, place.country = from_postal, "CA"
        return
    found = province_code(region)
    if found is not None:
        place.province, place.country = found[0], "CA"
        if not found[1]:
            place.notes.append(("province", f"'{region}' read as {found[0]}"))
        return
    state = us_state(region) if place.country is None else None
    if state is not None and not (place.postal_code and from_postal):
        place.country, place.region = "US", region
        if state == "CA" and not (place.postal_code and _US_ZIP.match(place.postal_code)):
            place.notes.append(
                ("province", "'CA' read as the US state California (no country given)")
            )
        return
    place.region = region
    if place.country == "CA":
        reason = "is not a Canadian province or territory"
    else:
        reason = (
            "is neither a Canadian province or territory nor a US state, and no country is given"
        )
    place.notes.append(("province", f"'{region}' {reason}; kept as given"))


# City names written short: "St-Hyacinthe" = "Saint-Hyacinthe", "Ste-Foy" = "Sainte-Foy", "Mtl".
_CITY_WORDS = {"st": "saint", "ste": "sainte", "mt": "mount", "ft": "fort"}
_CITY_NAMES = {
    "mtl": "montreal",
    "qc city": "quebec",
    "quebec city": "quebec",
    "ville de quebec": "quebec",
}


def city_key(city: str) -> str:
    """A city as matching compares it: case, accents, punctuation and the short forms of Saint,
    Sainte, Mount and Fort set aside ("St-Hyacinthe", "Saint Hyacinthe" -> "saint hyacinthe"),
    and a few usual names ("Mtl" -> "montreal")."""
    words = re.findall(r"[a-z0-9]+", fold(city))
    key = " ".join(_CITY_WORDS.get(word, word) for word in words)
    return _CITY_NAMES.get(key, key)
