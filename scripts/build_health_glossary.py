"""Rebuild ngen_connect/data/glossary_health.tsv: Health Canada's English/French names of dosage forms
and routes of administration, from the Drug Product Database extracts (form and route files).

    python scripts/build_health_glossary.py ../shared/data/health_canada_dpd
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "ngen_connect" / "data" / "glossary_health.tsv"


def main(folder: Path) -> None:
    pairs: dict[str, str] = {}
    for path in sorted(folder.glob("allfiles*/form*.txt")) + sorted(
        folder.glob("allfiles*/route*.txt")
    ):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle):
                en, fr = " ".join(row[2].split()).lower(), " ".join(row[3].split()).lower()
                if en and fr and en != fr:
                    pairs.setdefault(en, fr)
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["en", "fr"])
        writer.writerows(sorted(pairs.items()))
    print(f"wrote {len(pairs)} pairs to {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/health_canada_dpd"))
