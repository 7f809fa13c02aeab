"""Company names, normalised one way for ranking, matching and duplicate detection.

Accents, case, `&`/`and`/`et`, punctuation, leading articles and trailing legal forms in English,
French and other languages (Inc., Ltd, Ltée, Limitée, S.E.C., S.E.N.C.R.L., ULC, Corp., Cie, N.V.,
GmbH... listed in `data/legal_forms.txt`) are set aside, and the usual abbreviations written out
(Mfg = Manufacturing, Int'l = International, St- = Saint-...), so "Les Industries Bélanger & Fils
Ltée" and "Industries Belanger and Fils Inc." read the same, as do "Usinage St-Laurent Mfg. Inc."
and "Usinage Saint-Laurent Manufacturing Ltée" ("usinage st laurent manufacturing").
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from ngen_connect.text import STOP_EN, STOP_FR, fold

DATA = Path(__file__).parent / "data"
_LEADING = {"the", "les", "le", "la", "l"}
_AND = re.compile(r"\s*(?:&|\+)\s*|\b(?:et|and|und)\b")
_DOTTED = re.compile(r"\b(?:[a-z]\.){2,}")
_INTL = re.compile(r"\bint['’]l\b")
#: words company names abbreviate, as one word each side reads ("Mfg" = "Manufacturing"), kept to
#: forms that mean one thing in a company name ("Tech" or "Fab" may be the name itself). Saint and
#: Sainte go the other way, to the short form, as "ST Microelectronics" is no saint.
ABBREVIATIONS = {
    "saint": "st",
    "sainte": "ste",
    "mfg": "manufacturing",
    "mfrg": "manufacturing",
    "manuf": "manufacturing",
    "intl": "international",
    "natl": "national",
    "cdn": "canadian",
    "eng": "engineering",
    "engg": "engineering",
    "engr": "engineering",
    "ind": "industries",
    "inds": "industries",
    "indus": "industries",
    "svc": "service",
    "svcs": "services",
    "assoc": "associates",
    "bros": "brothers",
    "prod": "products",
    "prods": "products",
    "equip": "equipment",
    "sys": "systems",
    "labs": "laboratories",
    "distrib": "distribution",
}


@lru_cache(maxsize=1)
def legal_forms() -> frozenset[str]:
    lines = (DATA / "legal_forms.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def normalise_name(name: str) -> str:
    """'Les Industries Bélanger & Fils Ltée' -> 'industries belanger and fils'."""
    text = fold(name)
    text = _DOTTED.sub(lambda m: m.group(0).replace(".", ""), text)  # S.E.C. -> sec
    text = _INTL.sub("international", text)
    text = _AND.sub(" and ", text)
    tokens = re.sub(r"[^a-z0-9]+", " ", text).split()
    forms = legal_forms()
    while len(tokens) > 1 and tokens[0] in _LEADING:
        tokens.pop(0)
    stripped = True
    while stripped and len(tokens) > 1:
        stripped = False
        for size in (3, 2, 1):
            if len(tokens) > size and " ".join(tokens[-size:]) in forms:
                del tokens[-size:]
                stripped = True
                break
    return " ".join(ABBREVIATIONS.get(token, token) for token in _join_initials(tokens))


#: words that make no name distinctive, in either language
_STOP_WORDS = STOP_EN | STOP_FR


def distinctive_name(name: str) -> str:
    """A name normalised (`normalise_name`), without the stop words of either language ("the",
    "of", "de", "du", "and"...): what tells it from other names. "" when nothing else is left.

    The search's name leg compares these: a query of stop words alone read as a name ("the")
    matched names that begin like one ("Thern, Inc."), and "Banque de Montréal" reads as "banque
    montreal"."""
    return " ".join(word for word in normalise_name(name).split() if word not in _STOP_WORDS)


def _join_initials(tokens: list[str]) -> list[str]:
    """'d s m ip assets' -> 'dsm ip assets': spaced-out initials are one word."""
    joined: list[str] = []
    run: list[str] = []
    for token in [*tokens, ""]:
        if len(token) == 1 and token.isalpha():
            run.append(token)
            continue
        if run:
            joined.extend(["".join(run)] if len(run) > 1 else run)
            run = []
        if token:
            joined.append(token)
    return joined
