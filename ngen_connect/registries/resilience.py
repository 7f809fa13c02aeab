"""Supply resilience of the SCAN Health registry, in the spirit of USP's Medicine Supply Map: for
each active ingredient, each ingredient in one dosage form by one route, and each ATC class, how
many licence holders have a marketed product, how many are Canadian and how many abroad (by
country); which depend on a single holder, which have no Canadian holder, and which lost holders
from one import to the next.

A Drug Product Database holder is the holder of the drug identification number (DIN), the
company answerable for the product in Canada: not necessarily the one that makes it.

Everything is read from the registry's records as the index keeps them (one record per holder
with all its products, `dpd.company_profile`), so a report always reconciles with search.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from ngen_connect.atomic import write_atomic
from ngen_connect.index.datadir import now
from ngen_connect.index.products import PRODUCT_LIST
from ngen_connect.registries.dpd import REGISTRY

#: the DPD status of a product on the Canadian market
MARKETED = "MARKETED"
CANADA = "CA"
HOLDER_NOTICE = (
    "A Drug Product Database holder is the holder of the drug identification number (DIN), "
    "answerable for the product in Canada: not necessarily its manufacturer.",
    "Un titulaire de la Base de données sur les produits pharmaceutiques est le détenteur de "
    "l'identification numérique de drogue (DIN), responsable du produit au Canada : pas "
    "nécessairement son fabricant.",
)


class ResilienceLevel(StrEnum):
    """What a line of the report is about."""

    INGREDIENT = "ingredient"
    #: one active ingredient in one dosage form by one route ("Morphine sulfate, solution,
    #: intravenous")
    FORM = "ingredient_form_route"
    ATC = "atc"


@dataclass(frozen=True)
class Holder:
    key: str
    name: str
    #: ISO country code, "" when the extract gives none
    country: str


@dataclass
class SupplyLine:
    """One ingredient (or ingredient, form and route; or ATC class) and its marketed holders."""

    level: ResilienceLevel
    key: str
    label: str
    label_fr: str
    holders: list[Holder] = field(default_factory=list)

    @property
    def canadian(self) -> int:
        return sum(1 for h in self.holders if h.country == CANADA)

    @property
    def abroad(self) -> dict[str, int]:
        """Holders outside Canada, by country ("" when unknown), most first."""
        counts: dict[str, int] = defaultdict(int)
        for holder in self.holders:
            if holder.country != CANADA:
                counts[holder.country] += 1
        return dict(sorted(counts.items(), key=lambda c: (-c[1], c[0])))

    @property
    def single(self) -> bool:
        return len(self.holders) == 1

    def row(self) -> dict[str, Any]:
        return {
            "level": self.level.value,
            "key": self.key,
            "label": self.label,
            "label_fr": self.label_fr,
            "holders": len(self.holders),
            "canadian_holders": self.canadian,
            "holders_abroad": len(self.holders) - self.canadian,
            "countries_abroad": "; ".join(f"{c or '?'} {n}" for c, n in self.abroad.items()),
            "single_holder": self.single,
            "no_canadian_holder": self.canadian == 0,
            "holder_names": "; ".join(h.name for h in self.holders),
        }


#: the columns of a report's export, in order
RESILIENCE_COLUMNS = (
    "level",
    "key",
    "label",
    "label_fr",
    "holders",
    "canadian_holders",
    "holders_abroad",
    "countries_abroad",
    "single_holder",
    "no_canadian_holder",
    "holder_names",
)


def _lines_of(entry: Mapping[str, Any]) -> Iterable[tuple[ResilienceLevel, str, str, str]]:
    """(level, key, English label, French label) of each line one product counts in."""
    english = [str(i) for i in entry.get("ingredients") or () if i]
    french = [str(i) for i in entry.get("ingredients_fr") or ()]
    # a product lists French names only where they differ from the English ones, so a French
    # name is known for sure for a single ingredient; the others keep their English name
    by_english = dict(zip(english, french, strict=True)) if len(english) == len(french) == 1 else {}
    forms = [str(f) for f in entry.get("forms") or () if f]
    routes = [str(r) for r in entry.get("routes") or () if r]
    for ingredient in english:
        key = ingredient.casefold()
        label_fr = by_english.get(ingredient, ingredient)
        yield ResilienceLevel.INGREDIENT, key, ingredient, label_fr
        for form in forms:
            for route in routes:
                label = f"{ingredient}, {form.lower()}, {route.lower()}"
                yield (
                    ResilienceLevel.FORM,
                    f"{key}|{form.casefold()}|{route.casefold()}",
                    label,
                    label,
                )
    for atc in entry.get("atc") or ():
        code, _, name = str(atc).partition(" ")
        if code:
            label = f"{code} {name.lower()}".strip()
            yield ResilienceLevel.ATC, code.upper(), label, label


@dataclass
class Resilience:
    """Every line of the three levels, from the registry's holders."""

    lines: dict[tuple[ResilienceLevel, str], SupplyLine]
    holders: int

    def at(self, level: ResilienceLevel) -> list[SupplyLine]:
        """The lines of one level, the fewest holders first, then by label."""
        return sorted(
            (line for (lv, _), line in self.lines.items() if lv == level),
            key=lambda line: (len(line.holders), line.canadian, line.label.casefold()),
        )

    def summary(self) -> dict[str, dict[str, int]]:
        out = {}
        for level in ResilienceLevel:
            lines = self.at(level)
            out[level.value] = {
                "lines": len(lines),
                "single_holder": sum(1 for line in lines if line.single),
                "no_canadian_holder": sum(1 for line in lines if not line.canadian),
                "single_and_abroad": sum(1 for line in lines if line.single and not line.canadian),
            }
        return out


class HolderRecord(Protocol):
    """A licence holder as the index keeps it (`RecordSummary`) or as an import builds it
    (`Profile`)."""

    @property
    def key(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def attributes(self) -> dict[str, Any]: ...


def resilience(records: Iterable[HolderRecord]) -> Resilience:
    """The marketed holders of each ingredient, ingredient-form-route and ATC class of the
    SCAN Health registry's records."""
    lines: dict[tuple[ResilienceLevel, str], SupplyLine] = {}
    holders = 0
    for record in records:
        attributes = record.attributes
        if attributes.get("registry") != REGISTRY:
            continue
        holders += 1
        holder = Holder(record.key, record.name, str(attributes.get("country") or ""))
        seen: set[tuple[ResilienceLevel, str]] = set()
        for entry in attributes.get(PRODUCT_LIST) or ():
            if str(entry.get("status", "")).upper() != MARKETED:
                continue
            for level, key, label, label_fr in _lines_of(entry):
                if (level, key) in seen:
                    continue
                seen.add((level, key))
                line = lines.get((level, key))
                if line is None:
                    line = lines[level, key] = SupplyLine(level, key, label, label_fr)
                line.holders.append(holder)
    for line in lines.values():
        line.holders.sort(key=lambda h: h.name.casefold())
    return Resilience(lines, holders)


class Loss(StrEnum):
    """How a line lost holders from one import to the next."""

    #: no marketed holder left
    ALL = "lost_all_holders"
    #: holders left, none of them Canadian
    LAST_CANADIAN = "lost_last_canadian_holder"
    #: one holder left
    NOW_SINGLE = "now_single_holder"
    HOLDERS = "lost_holders"


@dataclass(frozen=True)
class Lost:
    """A line that has fewer marketed holders than at the previous import."""

    level: ResilienceLevel
    key: str
    label: str
    loss: Loss
    before: int
    after: int
    #: the holders it no longer has, by name
    lost: tuple[str, ...]

    def sentence(self) -> tuple[str, str]:
        """The change in plain words, English and French."""
        names = ", ".join(self.lost)
        what = {
            Loss.ALL: ("lost its last marketed holder", "a perdu son dernier titulaire"),
            Loss.LAST_CANADIAN: (
                "lost its last Canadian holder",
                "a perdu son dernier titulaire canadien",
            ),
            Loss.NOW_SINGLE: ("now has a single holder", "n'a plus qu'un titulaire"),
            Loss.HOLDERS: ("lost holders", "a perdu des titulaires"),
        }[self.loss]
        return (
            f"{self.label} {what[0]} ({self.before} -> {self.after}; {names}).",
            f"{self.label} {what[1]} ({self.before} -> {self.after}; {names}).",
        )

    def row(self) -> dict[str, Any]:
        return {
            "level": self.level.value,
            "key": self.key,
            "label": self.label,
            "loss": self.loss.value,
            "holders_before": self.before,
            "holders_after": self.after,
            "lost_holders": "; ".join(self.lost),
        }


LOST_COLUMNS = (
    "level",
    "key",
    "label",
    "loss",
    "holders_before",
    "holders_after",
    "lost_holders",
)


def losses(before: Resilience, after: Resilience) -> list[Lost]:
    """The lines that lost holders from `before` to `after`, the gravest first (no holder left,
    no Canadian holder left, a single holder left), then by level and label."""
    found = []
    for (level, key), was in before.lines.items():
        now = after.lines.get((level, key))
        kept = {h.key for h in now.holders} if now else set()
        gone = tuple(h.name for h in was.holders if h.key not in kept)
        if not gone:
            continue
        count = len(now.holders) if now else 0
        if count == 0:
            loss = Loss.ALL
        elif was.canadian and not now.canadian:  # type: ignore[union-attr]
            loss = Loss.LAST_CANADIAN
        elif count == 1:
            loss = Loss.NOW_SINGLE
        else:
            loss = Loss.HOLDERS
        found.append(Lost(level, key, was.label, loss, len(was.holders), count, gone))
    gravity = list(Loss)
    found.sort(key=lambda x: (gravity.index(x.loss), list(ResilienceLevel).index(x.level), x.label))
    return found


#: what `only` keeps of a level's lines
RESILIENCE_SELECTIONS = ("all", "single", "no-canadian", "single-abroad")


def selected(lines: Iterable[SupplyLine], only: str) -> list[SupplyLine]:
    """The lines `only` keeps (one of `RESILIENCE_SELECTIONS`)."""
    keep: dict[str, Callable[[SupplyLine], bool]] = {
        "all": lambda line: True,
        "single": lambda line: line.single,
        "no-canadian": lambda line: not line.canadian,
        "single-abroad": lambda line: line.single and not line.canadian,
    }
    return [line for line in lines if keep[only](line)]


@dataclass(frozen=True)
class LastImport:
    """The losses of the registry's last import, as kept until the next one."""

    imported: str
    losses: list[Lost]


@dataclass(frozen=True)
class ResilienceReport:
    report: Resilience
    last_import: LastImport | None


def losses_path(data_dir: Path) -> Path:
    """Where the last import's losses are kept, beside the registries' access rules."""
    return data_dir / "registries" / f"{REGISTRY}-losses.json"


def save_losses(data_dir: Path, found: list[Lost]) -> None:
    path = losses_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [{**asdict(lost), "lost": list(lost.lost)} for lost in found]
    write_atomic(path, json.dumps({"imported": now(), "losses": rows}, ensure_ascii=False))


def load_losses(data_dir: Path) -> LastImport | None:
    """The last import's losses; None before the first import (or when the file is unreadable:
    the report is then computed without them, and says so by having none)."""
    try:
        kept = json.loads(losses_path(data_dir).read_text(encoding="utf-8"))
        found = [
            Lost(
                ResilienceLevel(row["level"]),
                str(row["key"]),
                str(row["label"]),
                Loss(row["loss"]),
                int(row["before"]),
                int(row["after"]),
                tuple(str(name) for name in row["lost"]),
            )
            for row in kept["losses"]
        ]
        return LastImport(str(kept["imported"]), found)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def resilience_about(
    found: ResilienceReport, level: ResilienceLevel, only: str, count: int
) -> dict[str, Any]:
    """What a report's lines are, for an export's About sheet and the JSON answers: the notice
    on holders, the summary of every level, and the last import's losses."""
    last = found.last_import
    return {
        "notice": {"en": HOLDER_NOTICE[0], "fr": HOLDER_NOTICE[1]},
        "registry": REGISTRY,
        "holders": found.report.holders,
        "summary": found.report.summary(),
        "level": level.value,
        "only": only,
        "count": count,
        "last_import": None
        if last is None
        else {
            "imported": last.imported,
            "losses": [
                {**lost.row(), "sentence": dict(zip(("en", "fr"), lost.sentence(), strict=True))}
                for lost in last.losses
            ],
        },
    }


def file_about(about: Mapping[str, Any]) -> dict[str, Any]:
    """`resilience_about` for a file's About sheet: the last import's losses counted, not listed
    (a sheet cell holds 32,767 characters; `--json` and the HTTP JSON list them)."""
    compact = dict(about)
    last = about.get("last_import")
    if last:
        compact["last_import"] = {"imported": last["imported"], "losses": len(last["losses"])}
    return compact
