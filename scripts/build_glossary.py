"""Rebuild ngen_connect/data/glossary_esco.tsv from ESCO's English/French skill labels.

    python scripts/build_glossary.py ../shared/data/esco/esco_skills_en_fr.csv

Keeps ESCO "knowledge" concepts (noun phrases such as "welding techniques" / "techniques de soudage")
of at most four words whose English label mentions manufacturing vocabulary.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "ngen_connect" / "data" / "glossary_esco.tsv"
STEMS = (
    "weld",
    "machin",
    "mould",
    "mold",
    "cnc",
    "casting",
    "forg",
    "plastic",
    "metal",
    "robot",
    "assembl",
    "manufactur",
    "3d print",
    "coating",
    "pharma",
    "steril",
    "batter",
    "aircraft",
    "aerospace",
    "mining",
    "drill",
    "laser",
    "composite",
    "packag",
    "food",
    "extru",
    "solder",
    "circuit",
    "electronic",
    "polymer",
    "automation",
    "sensor",
    "hydraul",
    "pneumat",
    "alloy",
    "steel",
    "aluminium",
    "titanium",
    "lathe",
    "grind",
    "mill",
    "fabricat",
    "quality",
    "inspection",
    "biotech",
    "chemical",
    "textile",
    "wood",
    "glass",
)


def main(source: str) -> None:
    with open(source, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    pairs: dict[str, str] = {}
    for row in rows:
        en, fr = " ".join(row["label_en"].split()), " ".join(row["label_fr"].split())
        if row["skillType"] != "knowledge" or not en or not fr or en.lower() == fr.lower():
            continue
        if len(en.split()) > 4 or not any(stem in en.lower() for stem in STEMS):
            continue
        pairs.setdefault(en, fr)
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["en", "fr"])
        writer.writerows(sorted(pairs.items(), key=lambda p: p[0].lower()))
    print(f"wrote {len(pairs)} pairs to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/esco/esco_skills_en_fr.csv")
