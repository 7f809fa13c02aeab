"""One file row -> one normalised profile, with its warnings, or the reason it was rejected; rows
that name the same organisation merged; content hashes that tell what changed."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from typing import Any

from ngen_connect.errors import FileProblem
from ngen_connect.indexer.columns import (
    LIST_FIELDS,
    TEXT_FIELDS,
    FileColumns,
    infer_kind,
    require_columns,
)
from ngen_connect.indexer.passages import build_passages
from ngen_connect.indexer.readers import Row
from ngen_connect.language import UNDETERMINED, combine_languages
from ngen_connect.limits import MAX_EXTRA_CHARS, MAX_NAME_CHARS, MAX_TEXT_CHARS, MAX_VALUE_CHARS
from ngen_connect.models import Kind, Passage, Profile
from ngen_connect.places import normalise_place
from ngen_connect.text import fold
from ngen_connect.values import (
    ORG_TYPE_LOOKUP,
    cell_text,
    declared_language,
    employee_band,
    employee_count,
    list_value,
    ownership_code,
    size_band,
    yes_no,
)

_NAICS = re.compile(r"^\d{2,6}$")


@dataclass
class _RowContext:
    file: str
    row: int
    mapping: Mapping[str, str]

    def error(self, field: str | None, message: str) -> FileProblem:
        column = self.mapping.get(field) if field else None
        return FileProblem(self.file, self.row, column or field, message)


def _normalise_attribute(field: str, raw: Any) -> Any:
    """Normalise one attribute value; raise ValueError with a readable reason."""
    if field in LIST_FIELDS:
        values = list_value(raw)
        if field == "certifications":
            values = [re.sub(r"\s+", " ", v) for v in values]
        if field == "categories":
            values = [v.replace("_", " ") for v in values]
        if field == "ownership":
            values = list(dict.fromkeys(ownership_code(v) for v in values))
        return values
    if field in {"sme", "sample"}:
        return yes_no(raw)
    text = cell_text(raw)
    if not text:
        return None
    if field == "employees":
        return employee_count(text)
    if field == "employee_band":
        try:
            return size_band(text)
        except ValueError:
            return text
    if field == "org_type":
        return ORG_TYPE_LOOKUP.get(re.sub(r"[^a-z]+", " ", fold(text)).strip(), text)
    if field == "website":
        return text.lower().removesuffix("/")
    if field == "operating_name":
        return " ".join(text.split())
    return text


def generated_id(kind: Kind, name: str, attributes: Mapping[str, Any]) -> str:
    """A stable id for rows that bring none, so re-indexing the same file finds the same records."""
    basis = "|".join(
        [
            kind.value,
            fold(name),
            fold(str(attributes.get("city") or "")),
            str(attributes.get("province") or attributes.get("region") or ""),
        ]
        # Outside Canada the country tells two places apart (Cambridge, UK / Cambridge, US).
        + ([str(attributes["country"])] if attributes.get("country") not in (None, "CA") else [])
    )
    return "gen-" + hashlib.sha1(basis.encode()).hexdigest()[:12]


@dataclass
class ParsedRow:
    """One input row read as a record: the profile (None when the row is rejected), the reasons
    it was rejected, and what was odd about a row that is kept."""

    row: int | None
    profile: Profile | None
    errors: list[FileProblem] = dataclass_field(default_factory=list)
    warnings: list[FileProblem] = dataclass_field(default_factory=list)
    #: the id was made from the name and place because the file gives none
    generated_id: bool = False


_PLACE_FIELDS = ("province", "country", "postal_code")


_SPECIAL = {"id", "name", "declared_language", *TEXT_FIELDS, *_PLACE_FIELDS}


def profile_from_row(
    row: Row,
    file: str,
    kind: Kind,
    columns: FileColumns | Mapping[str, str],
    *,
    require_text: bool = True,
) -> ParsedRow:
    """Read one row; it is rejected only when it cannot become a record: no name, or no text
    when `require_text` (a registry row to match needs only a name)."""
    if not isinstance(columns, FileColumns):
        columns = FileColumns.of(list(row.values), columns)
    mapping = columns.mapping
    ctx = _RowContext(file, row.number, mapping)
    row = _bounded(row, columns, file)
    parsed = ParsedRow(row.number, None, warnings=list(row.notes))
    extra: dict[str, Any] = {}

    def get(field: str) -> Any:
        return row.values.get(mapping[field]) if field in mapping else None

    name = _name(row, columns, ctx, parsed, extra)
    if not name:
        parsed.errors.append(ctx.error("name", "the name is empty"))
        return parsed
    attributes = _attributes(row, columns, ctx, parsed, extra)
    if fold(str(attributes.get("operating_name", ""))) == fold(name):
        attributes.pop("operating_name", None)  # the same name twice, or the only name there is
    try:
        declared = declared_language(get("declared_language"))
    except ValueError as exc:
        parsed.warnings.append(
            ctx.error("declared_language", f"{exc}; the language is detected instead")
        )
        declared = None
    texts = _texts(row, columns, ctx, parsed)
    listed = False  # the text is the record's categories, for want of a description
    if not texts:
        fallback = "; ".join(
            v for f in ("categories", "focus_areas") for v in attributes.get(f, [])
        )
        if fallback:
            texts[UNDETERMINED] = fallback
            listed = True
        elif require_text:
            described = [header for header, _ in columns.texts]
            parsed.errors.append(
                FileProblem(
                    file,
                    row.number,
                    described[0] if described else None,
                    f"no description: {', '.join(repr(c) for c in described)} empty",
                )
            )
            return parsed
    if extra:
        attributes["extra"] = {**extra, **attributes.get("extra", {})}
    if "extra" in attributes:
        attributes["extra"] = _extra_within_limit(attributes["extra"], ctx, parsed)
    record_id = cell_text(get("id"))
    if not record_id:
        record_id, parsed.generated_id = generated_id(kind, name, attributes), True
    default = declared if declared in {"en", "fr"} else None
    passages = build_passages(texts, default)
    if listed and default is None:
        # A list of category labels ("construction; material-handling") is in no language: read
        # as prose it was called French as often as English, and a record "in the other
        # language" is lifted by the cross-language correction for every query.
        passages = _in_no_language(passages)
    language = combine_languages([(p.language, len(p.text)) for p in passages])
    if UNDETERMINED in texts and len(texts) == 1 and language in {"en", "fr"}:
        texts = {language: texts[UNDETERMINED]}
    parsed.profile = Profile(
        record_id, kind, name, texts, language, attributes, file, row.number, tuple(passages)
    )
    return parsed


def _bounded(row: Row, columns: FileColumns, file: str) -> Row:
    """The row with every value but a description cut to MAX_VALUE_CHARS characters (a value
    that is a list or an object, to its JSON text), with a warning: a stored record and a search
    result stay small whatever a cell holds. Descriptions have their own, larger limit."""
    texts = {header for header, _ in columns.texts}
    values: dict[str, Any] = {}
    notes = list(row.notes)
    for column, value in row.values.items():
        size = _size(value) if column not in texts else 0
        if size > MAX_VALUE_CHARS:
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            value = text[:MAX_VALUE_CHARS]
            notes.append(
                FileProblem(
                    file,
                    row.number,
                    column,
                    f"the value is {size:,} characters long; the first {MAX_VALUE_CHARS:,} are kept",
                )
            )
        values[column] = value
    return replace(row, values=values, notes=tuple(notes))


def _size(value: Any) -> int:
    """A value's length as text: a string's own, a list's or an object's as JSON."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list | dict):
        return len(json.dumps(value, ensure_ascii=False, default=str))
    return 0


def _extra_within_limit(
    extra: dict[str, Any], ctx: _RowContext, parsed: ParsedRow
) -> dict[str, Any]:
    """The extra values in order while they fit in MAX_EXTRA_CHARS; the rest dropped, with a
    warning that names them."""
    kept: dict[str, Any] = {}
    used = 0
    dropped: list[str] = []
    for column, value in extra.items():
        size = len(column) + max(_size(value), len(str(value)))
        if used + size > MAX_EXTRA_CHARS:
            dropped.append(column)
            continue
        kept[column] = value
        used += size
    if dropped:
        shown = ", ".join(repr(c) for c in dropped[:10]) + (" ..." if len(dropped) > 10 else "")
        parsed.warnings.append(
            FileProblem(
                ctx.file,
                ctx.row,
                None,
                f"the row's other columns hold over {MAX_EXTRA_CHARS:,} characters; "
                f"{len(dropped)} value(s) not kept: {shown}",
            )
        )
    return kept


def _name(
    row: Row, columns: FileColumns, ctx: _RowContext, parsed: ParsedRow, extra: dict[str, Any]
) -> str:
    """The first non-empty name column's value, else the operating name; an over-long name is cut,
    kept whole in `extra`."""
    operating = columns.mapping.get("operating_name")
    for header in (*columns.names, *([operating] if operating else [])):
        name = " ".join(cell_text(row.values.get(header)).split())
        if not name:
            continue
        if len(name) > MAX_NAME_CHARS:
            parsed.warnings.append(
                FileProblem(
                    ctx.file,
                    ctx.row,
                    header,
                    f"the name is longer than {MAX_NAME_CHARS} characters; the whole name is kept "
                    "among the extra values",
                )
            )
            extra[header] = name
            name = name[:MAX_NAME_CHARS].rstrip() + "…"
        return name
    return ""


def _texts(row: Row, columns: FileColumns, ctx: _RowContext, parsed: ParsedRow) -> dict[str, str]:
    texts: dict[str, str] = {}
    for header, hint in columns.texts:
        text = cell_text(row.values.get(header))
        if len(text) > MAX_TEXT_CHARS:
            parsed.warnings.append(
                FileProblem(
                    ctx.file,
                    ctx.row,
                    header,
                    f"the text is longer than {MAX_TEXT_CHARS:,} characters; the first {MAX_TEXT_CHARS:,} are kept",
                )
            )
            text = text[:MAX_TEXT_CHARS]
        if text and text not in texts.get(hint, ""):
            texts[hint] = f"{texts[hint]}\n\n{text}" if hint in texts else text
    return texts


def _attributes(
    row: Row, columns: FileColumns, ctx: _RowContext, parsed: ParsedRow, extra: dict[str, Any]
) -> dict[str, Any]:
    """Every mapped attribute normalised; a value that cannot be read is kept as given among the
    extra values, with a warning."""
    mapping = columns.mapping
    attributes: dict[str, Any] = {}
    for field, header in mapping.items():
        if field in _SPECIAL:
            continue
        raw = row.values.get(header)
        if field == "naics":
            codes = list_value(raw)
            bad = [c for c in codes if not _NAICS.match(c)]
            if bad:
                parsed.warnings.append(
                    ctx.error(
                        field,
                        f"{', '.join(repr(b) for b in bad)} not a NAICS code (2 to 6 digits); kept as given",
                    )
                )
                extra[header] = raw
            value: Any = [c for c in codes if _NAICS.match(c)]
        else:
            try:
                value = _normalise_attribute(field, raw)
            except ValueError as exc:
                parsed.warnings.append(ctx.error(field, f"{exc}; kept as given"))
                extra[header] = raw
                continue
        if value not in (None, [], ""):
            attributes[field] = value
    place = normalise_place(
        *(cell_text(row.values.get(mapping[f])) if f in mapping else "" for f in _PLACE_FIELDS)
    )
    for field, message in place.notes:
        parsed.warnings.append(ctx.error(field, message))
    for key, value in place.attributes().items():
        if key == "region" and "region" in attributes:
            extra[mapping["province"]] = value  # the file's own region column wins
        else:
            attributes[key] = value
    if "employees" in attributes:
        attributes.setdefault("employee_band", employee_band(attributes["employees"]))
        attributes.setdefault("sme", attributes["employees"] < 500)
    mapped = set(mapping.values()) | {header for header, _ in columns.texts} | set(columns.names)
    unmapped = {k: v for k, v in row.values.items() if k not in mapped and cell_text(v)}
    if unmapped:
        attributes["extra"] = unmapped
    return attributes


def _in_no_language(passages: Iterable[Passage]) -> list[Passage]:
    return [replace(p, language=UNDETERMINED) for p in passages]


def merge_profiles(first: Profile, later: Profile) -> Profile:
    """One record from two rows about the same organisation: texts and lists joined, the first
    row's values kept where both have one."""
    texts = dict(first.texts)
    for language, text in later.texts.items():
        if text not in texts.get(language, ""):
            texts[language] = f"{texts[language]}\n\n{text}" if language in texts else text
    attributes = dict(first.attributes)
    for key, value in later.attributes.items():
        if isinstance(value, list) and isinstance(attributes.get(key), list):
            attributes[key] = list(dict.fromkeys([*attributes[key], *value]))
        elif isinstance(value, dict) and isinstance(attributes.get(key), dict):
            attributes[key] = {**value, **attributes[key]}
        else:
            attributes.setdefault(key, value)
    passages = build_passages(texts)
    if first.language == later.language == UNDETERMINED:
        # two rows in no language (category labels, a word or two) make no language either
        passages = _in_no_language(passages)
    language = combine_languages([(p.language, len(p.text)) for p in passages])
    return replace(
        first, texts=texts, attributes=attributes, language=language, passages=tuple(passages)
    )


def read_profiles(
    path_label: str,
    rows: Iterable[Row | FileProblem],
    kind: Kind | None,
    overrides: Mapping[str, str] | None = None,
) -> Iterator[ParsedRow]:
    """Read every row of one file; a bad row yields its errors and the good rows go on.

    `kind` None infers the kind from the file's columns.
    """
    columns: FileColumns | None = None
    for item in rows:
        if isinstance(item, FileProblem):
            yield ParsedRow(item.row, None, [item])
            continue
        if columns is None:
            headers = list(item.values.keys())
            columns = FileColumns.of(headers, overrides, path_label)
            require_columns(path_label, columns, headers)
            kind = kind or infer_kind(path_label, headers)
        assert kind is not None
        yield profile_from_row(item, path_label, kind, columns)


def content_hashes(profile: Profile) -> tuple[str, str]:
    """(text hash, content hash): the first changes only when re-embedding is needed."""
    text_basis = json.dumps(
        [profile.name, [[p.text, p.language] for p in profile.passages]], ensure_ascii=False
    )
    content_basis = json.dumps(
        [text_basis, profile.language, profile.attributes, profile.texts],
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )
    return (
        hashlib.sha256(text_basis.encode()).hexdigest(),
        hashlib.sha256(content_basis.encode()).hexdigest(),
    )
