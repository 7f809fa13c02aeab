"""Result lists as CSV or XLSX, with the explanation columns a scout needs to share a shortlist."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ngen_connect.errors import QueryError
from ngen_connect.models import SearchResponse
from ngen_connect.text import strip_control

COLUMNS = (
    "rank",
    "id",
    "kind",
    "name",
    "score",
    "language",
    "city",
    "province",
    "region",
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
    "product",
    "boosts",
    "sample",
)
FORMATS = (".csv", ".xlsx")
#: column headers for a French page or `--lang fr` (English keeps the column names)
HEADERS_FR = {
    "rank": "rang",
    "id": "id",
    "kind": "type de fiche",
    "name": "nom",
    "score": "score",
    "language": "langue",
    "city": "ville",
    "province": "province",
    "region": "région",
    "country": "pays",
    "website": "site web",
    "naics": "SCIAN",
    "certifications": "certifications",
    "snippet": "extrait",
    "snippet_language": "langue de l'extrait",
    "explanation": "explication",
    "semantic": "sémantique",
    "keyword": "mots-clés",
    "keyword_terms": "termes",
    "name_similarity": "similarité du nom",
    "glossary": "glossaire",
    "product": "produit",
    "boosts": "bonus",
    "sample": "échantillon",
}
_ABOUT = {
    "en": {
        "query": "query",
        "filters": "filters",
        "detected_language": "detected language",
        "total": "results",
        "exported": "rows exported",
        "cut": "the first {rows} of {total} results: a search keeps its best 300",
        "none": "(none)",
        "sheet": "Results",
        "about": "About",
    },
    "fr": {
        "query": "requête",
        "filters": "filtres",
        "detected_language": "langue détectée",
        "total": "résultats",
        "exported": "lignes exportées",
        "cut": "les {rows} premiers des {total} résultats : une recherche garde ses 300 meilleurs",
        "none": "(aucun)",
        "sheet": "Résultats",
        "about": "À propos",
    },
}


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
                "region": attrs.get("region", ""),
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
                "product": " ".join(
                    str(legs["product"].get(k, "")) for k in ("din", "brand")
                ).strip()
                if legs.get("product")
                else "",
                "boosts": ";".join(f"{k}={v}" for k, v in hit.why.get("boosts", {}).items()),
                "sample": "yes" if attrs.get("sample") else "",
            }
        )
    return rows


def write_table(
    path: Path,
    columns: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    *,
    sheet: str = "Results",
    about: Mapping[str, Any] | None = None,
    formats: Sequence[str] = (".csv", ".xlsx", ".json"),
    headers: Mapping[str, str] | None = None,
    about_sheet: str = "About",
    sheet_of: Callable[[Mapping[str, Any]], str] | None = None,
) -> None:
    """Rows as CSV (UTF-8 with BOM, for spreadsheets), XLSX (with an `about` sheet) or JSON
    (`{**about, "rows": [...]}`), chosen by the file's extension. `headers` gives the CSV and
    XLSX header of a column (its name by default). With `sheet_of`, an XLSX file also has one
    sheet per distinct `sheet_of(row)`, after the sheet of all rows."""
    suffix = path.suffix.lower()
    if suffix not in formats:
        raise QueryError(
            f"Write {', '.join(formats)}, not '{suffix or path.name}'.",
            "Format de fichier non pris en charge.",
        )
    try:
        _write(path, suffix, columns, rows, sheet, about, headers or {}, about_sheet, sheet_of)
    except OSError as exc:
        raise QueryError(
            f"Cannot write {path}: {exc.strerror or exc}.", f"Impossible d'écrire {path}."
        ) from None


def _write(
    path: Path,
    suffix: str,
    columns: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    sheet: str,
    about: Mapping[str, Any] | None,
    headers: Mapping[str, str],
    about_sheet: str,
    sheet_of: Callable[[Mapping[str, Any]], str] | None = None,
) -> None:
    if suffix == ".json":
        body = {**(about or {}), "rows": [dict(row) for row in rows]}
        path.write_text(
            json.dumps(body, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"
        )
    elif suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([inert(headers.get(c, c)) for c in columns])
            writer.writerows([inert(row.get(c, "")) for c in columns] for row in rows)
    else:
        from openpyxl import Workbook

        book = Workbook()
        table = book.active
        table.title = sheet
        table.append([_xlsx_value(headers.get(c, c)) for c in columns])
        for row in rows:
            table.append([_xlsx_value(row.get(c, "")) for c in columns])
        table.freeze_panes = "A2"
        groups: dict[str, list[Mapping[str, Any]]] = {}
        if sheet_of is not None:
            for row in rows:
                groups.setdefault(sheet_of(row), []).append(row)
        taken = {sheet.casefold(), about_sheet.casefold()}
        for title, grouped in groups.items():
            part = book.create_sheet(_sheet_title(title, taken))
            part.append([_xlsx_value(headers.get(c, c)) for c in columns])
            for row in grouped:
                part.append([_xlsx_value(row.get(c, "")) for c in columns])
            part.freeze_panes = "A2"
        if about:
            details = book.create_sheet(about_sheet)
            for key, value in about.items():
                shown = (
                    json.dumps(value, ensure_ascii=False)
                    if isinstance(value, dict | list)
                    else value
                )
                details.append([_xlsx_value(key), _xlsx_value(shown)])
        book.save(path)


_SHEET_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def _sheet_title(text: str, taken: set[str]) -> str:
    """A sheet name Excel accepts: no []:*?/\\, at most 31 characters, not starting or ending
    with a quote, unique in the book."""
    base = " ".join(strip_control(text).translate(_SHEET_FORBIDDEN).split()) or "-"

    def fit(suffix: str) -> str:
        return (base[: 31 - len(suffix)].strip("' ") or "-") + suffix

    title, n = fit(""), 2
    while title.casefold() in taken:
        title, n = fit(f" ({n})"), n + 1
    taken.add(title.casefold())
    return title


# A spreadsheet runs a cell starting with one of these as a formula (OWASP, "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value: Any) -> Any:
    """A text cell a spreadsheet shows as text: control characters (which XLSX cannot hold, and
    which would hide a formula behind them) are dropped, then a cell starting like a formula gets
    a leading quote."""
    if not isinstance(value, str):
        return value
    value = strip_control(value)
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _xlsx_value(value: Any) -> Any:
    return inert(value)


def write_results(
    path: Path,
    response: SearchResponse,
    *,
    language: str = "en",
    filters: Mapping[str, Sequence[str]] | None = None,
) -> int:
    """Write the results to `path` (.csv or .xlsx), headers and the About sheet (the query, its
    filters, the detected language, how many results) in `language` ("en" or "fr"); returns the
    number of rows."""
    words = _ABOUT["fr" if language == "fr" else "en"]
    given = "; ".join(f"{key}={', '.join(values)}" for key, values in (filters or {}).items())
    about = {
        words["query"]: response.query,
        words["filters"]: given or words["none"],
        words["detected_language"]: response.detected_language,
        words["total"]: response.total,
        words["exported"]: len(response.results)
        if response.total <= len(response.results)
        else words["cut"].format(rows=len(response.results), total=response.total),
    }
    write_table(
        path,
        COLUMNS,
        result_rows(response),
        sheet=words["sheet"],
        about=about,
        formats=FORMATS,
        headers=HEADERS_FR if language == "fr" else None,
        about_sheet=words["about"],
    )
    return len(response.results)
