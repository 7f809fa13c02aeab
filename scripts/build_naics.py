"""Rebuild ngen_connect/data/naics_titles.tsv: NAICS Canada 2022 codes with English titles, and French
titles where the (partial) SCIAN concordance has one.

    python scripts/build_naics.py ../shared/data/naics
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "ngen_connect" / "data" / "naics_titles.tsv"


def main(folder: Path) -> None:
    with (folder / "naics-scian-2022-structure-v1-eng.csv").open(encoding="utf-8-sig") as handle:
        english = {
            row["Code"]: " ".join(row["Class title"].split()) for row in csv.DictReader(handle)
        }
    with (folder / "naics2022_en_x_scian_fr_partial.csv").open(encoding="utf-8") as handle:
        french = {
            row["code"]: " ".join(row["title_fr_from_cae2scian"].split())
            for row in csv.DictReader(handle)
        }
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["code", "title_en", "title_fr"])
        for code in sorted(english):
            writer.writerow([code, english[code], french.get(code, "")])
    print(
        f"wrote {len(english)} codes ({sum(1 for c in english if french.get(c))} with French titles) to {OUT}"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/naics"))
