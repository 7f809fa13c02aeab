"""Result lists as CSV or XLSX, with the explanation columns a scout needs to share a shortlist."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from ngen_connect.errors import QueryError
from ngen_connect.models import SearchResponse

COLUMNS = (
    "rank",
    "id",
    "kind",
    "name",
    "score",
    "language",
    "city",
    "province",
    "country",
    "website",
    "naics",
    "certifications",
    "snippet",
    "snippet_language",
    "explanation",
    "semantic",
    "keyword",
    "keyword_terms",
    "name_similarity",
    "glossary",
    "boosts",
    "sample",
)
FORMATS = (".csv", ".xlsx")


def result_rows(response: SearchResponse, start_rank: int = 1) -> list[dict[str, Any]]:
    rows = []
    for rank, hit in enumerate(response.results, start=start_rank):
        attrs, legs = hit.attributes, hit.why.get("legs", {})
        keyword = legs.get("keyword") or {}
        rows.append(
            {
                "rank": rank,
                "id": hit.id,
                "kind": hit.kind.value,
                "name": hit.name,
                "score": round(hit.score, 4),
                "language": hit.language,
                "city": attrs.get("city", ""),
                "province": attrs.get("province", ""),
                "country": attrs.get("country", ""),
                "website": attrs.get("website", ""),
                "naics": ";".join(attrs.get("naics", [])),
                "certifications": ";".join(attrs.get("certifications", [])),
                "snippet": hit.snippet,
                "snippet_language": hit.snippet_language,
                "explanation": hit.explanation,
                "semantic": legs.get("semantic", ""),
                "keyword": keyword.get("score", ""),
                "keyword_terms": ";".join(keyword.get("terms", [])),
                "name_similarity": legs.get("name", ""),
                "glossary": ";".join(legs.get("glossary", [])),
                "boosts": ";".join(f"{k}={v}" for k, v in hit.why.get("boosts", {}).items()),
                "sample": "yes" if attrs.get("sample") else "",
            }
        )
    return rows


def write_results(path: Path, response: SearchResponse) -> int:
    """Write the results to `path` (.csv or .xlsx); returns the number of rows."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise QueryError(
            f"Export to {', '.join(FORMATS)}, not '{suffix or path.name}'. / Format d'export non pris en charge."
        )
    rows = result_rows(response)
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
    else:
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "Results"
        sheet.append(list(COLUMNS))
        for row in rows:
            sheet.append([row[c] for c in COLUMNS])
        sheet.freeze_panes = "A2"
        query = book.create_sheet("Query")
        query.append(["query", response.query])
        query.append(["detected_language", response.detected_language])
        query.append(["total", response.total])
        book.save(path)
    return len(rows)
