"""NGen Connect as every front uses it: one object that holds the engine, the registries and the
access rules, and applies the rules itself.

Each read and write takes the caller (`Anonymous`, an `ApiKey`, or the command line's `Operator`)
and decides here what that caller may see and do: a private registry's records and listings
reach only its own keys and the admin (search results, totals and facets, the registry filter,
record detail, similar, exports, health counts, reports, needs lists), writes need a key that may
write there, and some operations need the admin. The fronts parse, make one call, and render; a
route may check a key early (before it reads a request body), and the check here runs again.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path, PurePath
from typing import Any, Literal
from urllib.parse import quote

from typing_extensions import TypedDict

from ngen_connect.alerts import WATCHED, Alert, Alerts, Finding, watched_products
from ngen_connect.audit import AuditEntryJSON, AuditTrail, Verification
from ngen_connect.embedding import Vectors
from ngen_connect.engine import Engine
from ngen_connect.errors import (
    AuthError,
    ForbiddenError,
    NgenConnectError,
    QueryError,
    RecordNotFoundError,
)
from ngen_connect.index.datadir import now
from ngen_connect.index.version import Manifest
from ngen_connect.insights.coverage import (
    DEFAULT_GAP,
    Capability,
    CapabilityKind,
    CoverageReport,
    check_gap,
    count_coverage,
    default_capabilities,
    group_capability,
    naics_capability,
    naics_index,
    query_capability,
)
from ngen_connect.insights.demand import (
    DEFAULT_FEW_RESULTS,
    DEFAULT_SIMILARITY,
    DEFAULT_TOP,
    LOG_FOLDER,
    MIN_SIMILARITY,
    DemandReport,
    RecentQueries,
    SearchLog,
    cache_path,
    cached_vectors,
    demand_report,
    joined_vectors,
    parse_language,
    parse_since,
    read_log,
    search_entry,
)
from ngen_connect.insights.reach import Reach, cluster_reach
from ngen_connect.limits import (
    MAX_COVERAGE_CAPABILITIES,
    MAX_COVERAGE_QUERIES,
    MAX_LIMIT,
    RESULT_POOL,
)
from ngen_connect.models import (
    IndexReport,
    Kind,
    Progress,
    RecordJSON,
    SearchResponse,
)
from ngen_connect.registries.access import (
    ANONYMOUS,
    Access,
    Caller,
    FeedReader,
    Operator,
    Rights,
    caller_of,
    token_label,
)
from ngen_connect.registries.dpd import REGISTRY as SCAN_HEALTH
from ngen_connect.registries.dpd import ExtractImport
from ngen_connect.registries.duplicates import DEFAULT_MIN_CONFIDENCE, DuplicateReport
from ngen_connect.registries.matching import Status
from ngen_connect.registries.needs import NeedsResult
from ngen_connect.registries.reports import MatchReport
from ngen_connect.registries.resilience import ResilienceReport, resilience
from ngen_connect.registries.service import (
    Decided,
    Preview,
    RegistryService,
    ReviewJSON,
    Upload,
    preview,
)
from ngen_connect.registries.uploads import KeptUpload
from ngen_connect.search.filters import Filters
from ngen_connect.search.ranking import Ranking
from ngen_connect.search.render import visible_attributes
from ngen_connect.settings import Settings
from ngen_connect.shortlist import MAX_SHORTLIST, ShortlistEntry, Shortlists
from ngen_connect.text import query_form, strip_control


class HealthJSON(TypedDict):
    """`GET /health`: the model, the records and passages by kind the caller may read, and the
    version of the index being served."""

    status: Literal["ok"]
    model: str
    dimensions: int
    counts: dict[str, int]
    passages: int
    index_version: str


@dataclass(frozen=True)
class Overview:
    """The index being served as one caller sees it: its model, and the records it may read."""

    model: str
    dimensions: int
    counts: dict[str, int]
    passages: int
    index_version: str

    def to_dict(self) -> HealthJSON:
        return {
            "status": "ok",
            "model": self.model,
            "dimensions": self.dimensions,
            "counts": self.counts,
            "passages": self.passages,
            "index_version": self.index_version,
        }


class RegistryJSON(TypedDict):
    """A registry a key may use: whether it is private, its kept uploads, its own records and
    the members it lists."""

    name: str
    private: bool
    uploads: int
    records: int
    listed: int


class RegistriesJSON(TypedDict):
    """`GET /registries`: the registries a key may use, by name."""

    registries: list[RegistryJSON]


class DeletedJSON(TypedDict):
    """What a delete removed, and the ids it did not find."""

    removed: list[str]
    missing: list[str]


@dataclass(frozen=True)
class Deleted:
    """What a delete removed, and the ids it did not find."""

    removed: list[str]
    missing: list[str]

    def to_dict(self) -> DeletedJSON:
        return {"removed": self.removed, "missing": self.missing}


@dataclass(frozen=True)
class RegistryAccess:
    """A registry one caller may read and write, with what it holds."""

    name: str
    private: bool
    uploads: int
    records: int
    listed: int

    def to_dict(self) -> RegistryJSON:
        return {
            "name": self.name,
            "private": self.private,
            "uploads": self.uploads,
            "records": self.records,
            "listed": self.listed,
        }


class Service:
    """NGen Connect over one engine, for one process: its reads and writes, each for a caller.

    Safe to share between threads, as the engine is. The access rules are read from the data
    directory on each call, so `ngen-connect registry private` reaches a running server at once."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._registries = RegistryService(engine)
        self._access = Access(engine.settings.data_dir, admin_key=engine.settings.admin_key)
        self._audit = AuditTrail(engine.settings.data_dir)
        self._alerts = Alerts(engine.settings.data_dir)
        self._shortlists = Shortlists(engine.settings.data_dir)
        self._search_log: SearchLog | None = None
        self._recent = RecentQueries()
        if engine.settings.search_log:
            self.log_searches()

    @property
    def settings(self) -> Settings:
        return self._engine.settings

    def use_admin_key(self, key: str) -> None:
        """Accept `key` as the admin key from now on (`ngen-connect demo` makes one)."""
        self._engine.settings = replace(self._engine.settings, admin_key=key)
        self._access = Access(self.settings.data_dir, admin_key=key)

    def open(self) -> None:
        """Open the index and load the model now, not on the first request; fails when there is
        no index this model can read."""
        self._engine.manifest()

    def log_searches(self) -> None:
        """Log every search from now on (`ngen_connect/insights/demand.py`), unless the settings
        turn the log off: the server's default. The command line's `search` logs only when
        NGEN_CONNECT_SEARCH_LOG=on, as the service then starts the log itself."""
        if self._search_log is None and self.settings.search_log is not False:
            self._search_log = SearchLog(
                self.settings.data_dir / LOG_FOLDER, self.settings.search_log_days
            )

    def close(self) -> None:
        if self._search_log is not None:
            self._search_log.close()
            self._search_log = None
        self._engine.close()

    # -- the rules ---------------------------------------------------------------------------------

    def rights(self, caller: Caller) -> Rights:
        """What this caller may do."""
        return self._access.rights(caller)

    def require_write(self, caller: Caller, registry: str) -> Rights:
        """The caller's rights when it may read and write `registry` (AuthError without a key,
        ForbiddenError with another); a front may ask before it reads a request's body."""
        return self._access.require_write(caller, registry)

    def require_admin(self, caller: Caller) -> Rights:
        """The caller's rights when they are the admin's (AuthError, ForbiddenError otherwise)."""
        return self._access.require_admin(caller)

    # -- reading -----------------------------------------------------------------------------------

    def overview(self, caller: Caller) -> Overview:
        """The model, the counts and the version of the index; a private registry's records are
        counted only for a caller who may read them."""
        rights = self.rights(caller)
        manifest = self._engine.manifest()
        visible = [
            r
            for r in self._engine.records().values()
            if rights.can_read(r.attributes.get("registry"))
        ]
        counts = dict.fromkeys(manifest.counts, 0)
        for record in visible:
            counts[record.kind.value] = counts.get(record.kind.value, 0) + 1
        passages = sum(r.passages for r in visible)
        return Overview(manifest.model, manifest.dim, counts, passages, manifest.version)

    def manifest(self, caller: Caller) -> Manifest:
        """The index's manifest, whose counts include every private registry: the admin's. Read
        as written: an index built with another model than this process's is described too."""
        self.require_admin(caller)
        return self._engine.stored_manifest()

    def search(
        self,
        caller: Caller,
        query: str,
        *,
        kinds: Sequence[Kind] | None = None,
        filters: Filters | None = None,
        limit: int = 10,
        offset: int = 0,
        ranking: Ranking = Ranking.HYBRID,
        ui_language: str = "en",
    ) -> SearchResponse:
        """A ranked page of what the caller may read: the registries hidden from it are left out
        of the results, the total and the facets, and filtering on one of them finds nothing,
        as for a registry that does not exist. Logged when the search log is on: the filters
        as the caller gave them, never who the caller is."""
        started = time.perf_counter()
        response = self._search(caller, query, kinds, filters, limit, offset, ranking, ui_language)
        # a member's search once: the next pages of its results are not searches of their own
        if self._search_log is not None and offset == 0:
            if response.query_vectors is not None:
                self._recent.keep(query_form(response.query), response.query_vectors)
            self._search_log.add(
                search_entry(
                    response.query,
                    response.detected_language,
                    filters.values if filters else {},
                    [kind.value for kind in kinds or ()],
                    response.total,
                    len(response.results),
                    (time.perf_counter() - started) * 1000,
                )
            )
        return response

    def _search(
        self,
        caller: Caller,
        query: str,
        kinds: Sequence[Kind] | None,
        filters: Filters | None,
        limit: int,
        offset: int,
        ranking: Ranking = Ranking.HYBRID,
        ui_language: str = "en",
    ) -> SearchResponse:
        """`search` without the log: what the reports search for is not what members look for."""
        return self._engine.search(
            query,
            kinds=kinds,
            filters=self._filters(caller, filters),
            limit=limit,
            offset=offset,
            ranking=ranking,
            ui_language=ui_language,
        )

    def search_through(
        self,
        caller: Caller,
        query: str,
        *,
        kinds: Sequence[Kind] | None = None,
        filters: Filters | None = None,
        limit: int = RESULT_POOL,
        offset: int = 0,
        ui_language: str = "en",
    ) -> SearchResponse:
        """`search` past one page: up to `limit` results from `offset` (a search keeps its best
        `RESULT_POOL`), read a page of `MAX_LIMIT` at a time; the first page is the member's
        search, logged as `search` logs it."""
        first = self.search(
            caller,
            query,
            kinds=kinds,
            filters=filters,
            limit=min(limit, MAX_LIMIT),
            offset=offset,
            ui_language=ui_language,
        )
        return self._read_on(caller, first, query, kinds, filters, limit, offset, ui_language)

    def _result_pages(
        self,
        caller: Caller,
        query: str,
        kinds: Sequence[Kind] | None,
        filters: Filters | None,
    ) -> SearchResponse:
        """Every result a search keeps, unlogged: what a report counts is no member's search."""
        first = self._search(caller, query, kinds, filters, MAX_LIMIT, 0)
        return self._read_on(caller, first, query, kinds, filters, RESULT_POOL, 0, "en")

    def _read_on(
        self,
        caller: Caller,
        first: SearchResponse,
        query: str,
        kinds: Sequence[Kind] | None,
        filters: Filters | None,
        limit: int,
        offset: int,
        ui_language: str,
    ) -> SearchResponse:
        """`first` with the next pages of its results, up to `limit`."""
        results = list(first.results)
        while len(results) < limit and offset + len(results) < first.total:
            page = self._search(
                caller,
                query,
                kinds,
                filters,
                min(MAX_LIMIT, limit - len(results)),
                offset + len(results),
                ui_language=ui_language,
            )
            if not page.results:
                break
            results.extend(page.results)
        return replace(first, results=results)

    def record(self, caller: Caller, record_id: str, kind: Kind) -> RecordJSON:
        """One record, as the caller may read it: a hidden registry's record is not found, and
        the listings of hidden registries are left out."""
        rights = self.rights(caller)
        record = self._engine.record(record_id, kind)
        if not rights.can_read(record["attributes"].get("registry")):  # as if absent
            raise RecordNotFoundError(
                f"There is no {kind.value} with id '{record_id}'.", "Fiche introuvable."
            )
        record["attributes"] = visible_attributes(record["attributes"], sorted(rights.hidden))
        if not rights.admin and record["source"]:  # the file's name, not where the server keeps it
            record["source"] = PurePath(record["source"]).name
        owner = record["attributes"].get("owner")
        if isinstance(owner, str):  # an IP asset's owner, by its id: named when it may be read
            member = self._engine.records().get(f"{Kind.ORGANIZATION.value}:{owner}")
            if member is not None and rights.can_read(member.attributes.get("registry")):
                record["attributes"]["owner_name"] = member.name
        return record

    def shortlist(self, caller: Caller, wanted: Sequence[tuple[Kind, str]]) -> list[RecordJSON]:
        """The records of a shortlist the caller may read, in its order (one not found, or in a
        registry hidden from the caller, is left out); at most `MAX_SHORTLIST`."""
        if len(wanted) > MAX_SHORTLIST:
            raise QueryError(
                f"A shortlist holds {MAX_SHORTLIST} records at most.",
                f"Une liste restreinte compte au plus {MAX_SHORTLIST} fiches.",
            )
        found = []
        for kind, record_id in dict.fromkeys(wanted):
            try:
                found.append(self.record(caller, record_id, kind))
            except RecordNotFoundError:
                continue
        return found

    def saved_shortlist(self, caller: Caller) -> list[ShortlistEntry]:
        """The shortlist kept for the caller's key (a key needed: the admin's, a registry's or a
        personal token); a key sees its own only, and of it the records it may read now, named
        as they are now."""
        kept = self._shortlists.of(self._access.owner(caller))
        return self._entries(self.shortlist(caller, [(Kind(e["kind"]), e["id"]) for e in kept]))

    def keep_shortlist(
        self, caller: Caller, wanted: Sequence[tuple[Kind, str]]
    ) -> list[ShortlistEntry]:
        """Keep `wanted` as the caller's shortlist, in its order, and return what was kept: only
        records the caller may read now, each once, named as they are now."""
        owner = self._access.owner(caller)
        entries = self._entries(self.shortlist(caller, wanted))
        self._shortlists.keep(owner, entries)
        return entries

    @staticmethod
    def _entries(records: Sequence[RecordJSON]) -> list[ShortlistEntry]:
        return [ShortlistEntry(kind=r["kind"], id=r["id"], name=r["name"]) for r in records]

    def similar(
        self,
        caller: Caller,
        record_id: str,
        *,
        kind: Kind = Kind.ORGANIZATION,
        filters: Filters | None = None,
        limit: int = 10,
        ui_language: str = "en",
    ) -> SearchResponse:
        """Records most like one the caller may read, among those it may read."""
        self.record(caller, record_id, kind)
        return self._engine.similar(
            record_id,
            kind=kind,
            filters=self._filters(caller, filters),
            limit=limit,
            ui_language=ui_language,
        )

    def _filters(self, caller: Caller, filters: Filters | None) -> Filters | None:
        hidden = self.rights(caller).hidden
        if filters is None and not hidden:
            return None
        return (filters or Filters()).hiding(hidden)

    # -- insights ----------------------------------------------------------------------------------

    def reach(self, caller: Caller) -> Reach:
        """Each cluster's members, among the records the caller may read: their provinces and
        countries, their NAICS families, and those outside the cluster's province."""
        rights = self.rights(caller)
        return cluster_reach(
            r
            for r in self._engine.records().values()
            if r.kind in (Kind.ORGANIZATION, Kind.CLUSTER)
            and rights.can_read(r.attributes.get("registry"))
        )

    def coverage(
        self,
        caller: Caller,
        *,
        naics: Sequence[str] = (),
        groups: Sequence[str] = (),
        queries: Sequence[str] = (),
        gap: int = DEFAULT_GAP,
    ) -> CoverageReport:
        """How many organisations the caller may read have each capability, per province or
        territory (outside Canada and unknown apart) and per cluster, and where fewer than `gap`
        do. Without a capability: every NAICS 3- and 4-digit manufacturing code the index holds.
        Every capability is read before any is counted, so a bad one fails at once."""
        check_gap(gap)
        if len(naics) + len(groups) + len(queries) > MAX_COVERAGE_CAPABILITIES:
            raise QueryError(
                f"Ask for {MAX_COVERAGE_CAPABILITIES} capabilities at most in one report.",
                f"Un rapport couvre au plus {MAX_COVERAGE_CAPABILITIES} capacités.",
            )
        if len(queries) > MAX_COVERAGE_QUERIES:
            raise QueryError(
                f"Ask for {MAX_COVERAGE_QUERIES} queries at most in one report.",
                f"Un rapport couvre au plus {MAX_COVERAGE_QUERIES} requêtes.",
            )
        asked = [
            *(naics_capability(p) for p in naics),
            *(group_capability(g) for g in groups),
            *(query_capability(self._engine.validate_query(q)) for q in queries),
        ]
        rights = self.rights(caller)
        version = self._engine.manifest().version
        visible = [
            r
            for r in self._engine.records().values()
            if r.kind in (Kind.ORGANIZATION, Kind.CLUSTER)
            and rights.can_read(r.attributes.get("registry"))
        ]
        organizations = [r for r in visible if r.kind is Kind.ORGANIZATION]
        clusters = {r.id: r.name for r in visible if r.kind is Kind.CLUSTER}
        capabilities = asked or default_capabilities(organizations)
        holders: dict[Capability, set[str]] = {}
        capped = []
        needs_codes = any(c.kind is CapabilityKind.NAICS for c in capabilities)
        by_code = naics_index(organizations) if needs_codes else {}
        for capability in capabilities:
            holders[capability], full = self._holders(caller, capability, by_code)
            if full:
                capped.append(capability)
        counted = count_coverage(
            organizations, holders, gap=gap, cluster_names=clusters, capped=capped
        )
        return CoverageReport(version, len(organizations), gap, not asked, counted, clusters)

    def _holders(
        self, caller: Caller, capability: Capability, by_code: Mapping[str, set[str]]
    ) -> tuple[set[str], bool]:
        """The keys of the organisations with a capability (`by_code`: the organisations' keys
        by NAICS prefix), and whether the set may be cut short (a query's result set holds its
        best `RESULT_POOL` records at most)."""
        if capability.kind is CapabilityKind.NAICS:
            return set(by_code.get(capability.value, ())), False
        if capability.kind is CapabilityKind.GROUP:
            sets = [self._engine.records_mentioning(group) for group in capability.phrases]
            return set.intersection(*sets) if sets else set(), False
        return self._result_set(caller, capability.value)

    def _result_set(self, caller: Caller, query: str) -> tuple[set[str], bool]:
        """Every organisation a search returns for `query` (its `total`, above the relevance
        floor), read a page of `MAX_LIMIT` at a time; whether the set is full."""
        found = self._result_pages(caller, query, [Kind.ORGANIZATION], None)
        keys = {f"{hit.kind.value}:{hit.id}" for hit in found.results}
        return keys, found.total >= RESULT_POOL

    def demand(
        self,
        caller: Caller,
        *,
        since: str | None = None,
        language: str | None = None,
        few_results: int = DEFAULT_FEW_RESULTS,
        similarity: float = DEFAULT_SIMILARITY,
        top: int = DEFAULT_TOP,
    ) -> DemandReport:
        """What members search for and do not find, from the search log: the admin's. The
        queries are grouped with the engine's own query encoders (their embeddings cached)."""
        self.require_admin(caller)
        first, wanted = parse_since(since), parse_language(language)
        if few_results < 1 or not MIN_SIMILARITY <= similarity <= 1 or top < 1:
            raise QueryError(
                f"few_results and top must be 1 or more, similarity from {MIN_SIMILARITY} to 1.",
                f"few_results et top doivent valoir 1 ou plus, similarity de {MIN_SIMILARITY} à 1.",
            )
        folder = self.settings.data_dir / LOG_FOLDER
        model = "+".join(e.model_id for e in self._engine.embedders)

        def vectors_of(texts: Sequence[str]) -> Vectors:
            embed = partial(self._recent.recall, embed=self._embed_queries)
            return cached_vectors(cache_path(folder, model), texts, embed)

        return demand_report(
            read_log(folder, first),
            vectors_of,
            since=first,
            language=wanted,
            few_results=few_results,
            similarity=similarity,
            top=top,
        )

    def _embed_queries(self, texts: Sequence[str]) -> Vectors:
        """Queries as the engine embeds them, every encoder's unit vector side by side and scaled
        so that a cosine between two of them is the mean of the encoders' cosines."""
        return joined_vectors([e.encode_queries(list(texts)) for e in self._engine.embedders])

    # -- writing records ---------------------------------------------------------------------------

    def index_files(
        self,
        caller: Caller,
        paths: Sequence[Path],
        *,
        kind: Kind | Sequence[Kind | None] | None = None,
        mapping: Mapping[str, str] | None = None,
        rebuild: bool = False,
        progress: Progress | None = None,
        labels: Sequence[str] | None = None,
    ) -> IndexReport:
        """Add or update records from files (see `Engine.index_files`): the admin's."""
        files = list(labels or [p.name for p in paths])
        with self._audited(caller, "index", files=files, rebuild=rebuild) as details:
            self.require_admin(caller)
            report = self._engine.index_files(
                paths, kind=kind, mapping=mapping, rebuild=rebuild, progress=progress, labels=labels
            )
            details.update(_counts(report))
            return report

    def delete(self, caller: Caller, ids: Sequence[str], kind: Kind) -> Deleted:
        """Remove records by id: those removed, and those not in the index. The admin's."""
        with self._audited(caller, "delete", kind=kind.value, asked=len(ids)) as details:
            self.require_admin(caller)
            removed = self._engine.delete(ids, kind)
            details["removed"] = sorted(removed)[:_LISTED_IDS]
            details["removed_count"] = len(removed)
            return Deleted(removed, sorted(set(ids) - set(removed)))

    # -- registries --------------------------------------------------------------------------------

    def registries(self, caller: Caller) -> list[RegistryAccess]:
        """The registries this caller may read and write: every one for the admin, its own for
        a registry's key (AuthError without a key, ForbiddenError with one that opens none)."""
        rights = self._access.require_key(caller)
        private = self._access.private()
        summaries = {s.name: s for s in self._registries.registries()}
        names = set(summaries) | (private if rights.admin else set(rights.registries))
        listed = []
        for name in sorted(n for n in names if rights.can_write(n)):
            summary = summaries.get(name)
            listed.append(
                RegistryAccess(
                    name,
                    name in private,
                    summary.uploads if summary else 0,
                    summary.records if summary else 0,
                    summary.listed if summary else 0,
                )
            )
        return listed

    def match(
        self,
        caller: Caller,
        path: Path,
        overrides: dict[str, str] | None = None,
        *,
        max_rows: int | None = None,
        label: str | None = None,
    ) -> MatchReport:
        """Every row of a registry file matched against the members, which are public (no
        registry's records): any caller; nothing is written."""
        return self._registries.match(path, overrides, max_rows=max_rows, label=label)

    def preview(
        self, caller: Caller, name: str, path: Path, overrides: dict[str, str] | None = None
    ) -> Preview:
        """The guessed column mapping and first rows of a file to upload to `name`."""
        self.require_write(caller, name)
        return preview(path, overrides)

    def upload(
        self,
        caller: Caller,
        name: str,
        path: Path,
        overrides: dict[str, str] | None = None,
        *,
        label: str | None = None,
        max_rows: int | None = None,
        progress: Progress | None = None,
    ) -> Upload:
        """Match a file and make it the registry's content (`RegistryService.upload`)."""
        with self._audited(caller, "upload", registry=name, file=label or path.name) as details:
            self.require_write(caller, name)
            done = self._registries.upload(
                name, path, overrides, label=label, max_rows=max_rows, progress=progress
            )
            details.update(upload=done.number, **_counts(done.indexed))
            return done

    def import_directory(
        self,
        caller: Caller,
        name: str,
        path: Path,
        overrides: dict[str, str] | None = None,
        progress: Progress | None = None,
    ) -> Upload:
        """A supplier directory as the registry's content (`RegistryService.import_directory`)."""
        with self._audited(caller, "import_directory", registry=name, file=path.name) as details:
            self.require_write(caller, name)
            done = self._registries.import_directory(name, path, overrides, progress)
            details.update(upload=done.number, **_counts(done.indexed))
            return done

    def import_extracts(
        self,
        caller: Caller,
        paths: Sequence[Path],
        progress: Progress | None = None,
        *,
        allow_removals: bool = False,
    ) -> ExtractImport:
        """Drug Product Database extracts as the SCAN Health registry's content."""
        files = [p.name for p in paths]
        with self._audited(caller, "import_extracts", registry=SCAN_HEALTH, files=files) as details:
            self.require_write(caller, SCAN_HEALTH)
            done = self._registries.import_extracts(paths, progress, allow_removals=allow_removals)
            details.update(companies=done.companies, losses=len(done.losses))
            details.update(_counts(done.indexed))
            return done

    def kept(self, caller: Caller, name: str, upload: int | None = None) -> KeptUpload:
        """A kept upload of the registry (the latest when `upload` is None), with its decisions."""
        self.require_write(caller, name)
        return self._registries.kept(name, upload)

    def review(
        self,
        caller: Caller,
        name: str,
        upload: int | None,
        statuses: frozenset[Status] = frozenset(Status),
        offset: int = 0,
        limit: int = 50,
    ) -> ReviewJSON:
        """A page of a kept upload's report as a person reviews it (the rows with these
        statuses, from `offset`); candidates are members only, never a registry's record."""
        self.require_write(caller, name)
        return self._registries.review(name, upload, statuses, offset, limit)

    def decide(
        self,
        caller: Caller,
        name: str,
        upload: int | None,
        row: int,
        status: Status,
        candidate: str = "",
    ) -> Decided:
        """A person's decision on one row of the registry's latest upload."""
        with self._audited(
            caller, "decide", registry=name, upload=upload, row=row, status=status.value
        ) as details:
            self.require_write(caller, name)
            if candidate:
                details["candidate"] = candidate
            actor = self._access.actor(caller)
            decided = self._registries.decide(name, upload, row, status, candidate, by=actor)
            details["upload"] = decided.upload
            return decided

    def needs(
        self,
        caller: Caller,
        name: str,
        path: Path,
        *,
        prefer_province: str | None = None,
        limit: int = 5,
        ui_language: str = "en",
        label: str | None = None,
    ) -> NeedsResult:
        """The registry's best suppliers per need of a list, among what the caller may read."""
        rights = self.require_write(caller, name)
        return self._registries.needs(
            name,
            path,
            prefer_province=prefer_province,
            limit=limit,
            hidden=sorted(rights.hidden),
            ui_language=ui_language,
            label=label,
        )

    def resilience(self, caller: Caller) -> ResilienceReport:
        """The SCAN Health registry's supply resilience, for a caller who may read the registry;
        for another, the report of a registry never imported (empty), so a private registry and
        a missing one answer alike."""
        if not self.rights(caller).can_read(SCAN_HEALTH):
            return ResilienceReport(resilience([]), None)
        return self._registries.resilience()

    def duplicates(
        self, caller: Caller, min_confidence: float = DEFAULT_MIN_CONFIDENCE
    ) -> DuplicateReport:
        """Probable duplicate members, for a steward: the admin's."""
        self.require_admin(caller)
        return self._registries.duplicates(min_confidence)

    # -- keys --------------------------------------------------------------------------------------

    def make_private(self, caller: Caller, name: str, key: str) -> None:
        """Give `key` read and write on a registry, which becomes private: the admin's."""
        with self._audited(caller, "make_private", registry=name):
            self.require_admin(caller)
            self._access.make_private(name, key)

    def revoke(self, caller: Caller, name: str, key: str) -> bool:
        """Remove one key of a registry; True when it was there. The admin's."""
        with self._audited(caller, "revoke", registry=name) as details:
            self.require_admin(caller)
            details["revoked"] = self._access.revoke(name, key)
            return bool(details["revoked"])

    def make_public(self, caller: Caller, name: str) -> None:
        """Remove every key of a registry, which everyone may read then: the admin's."""
        with self._audited(caller, "make_public", registry=name):
            self.require_admin(caller)
            self._access.make_public(name)

    def create_token(self, caller: Caller, name: str) -> str:
        """A personal token for `name` (shown once, kept hashed): it opens its owner's saved
        searches and reads what anyone may. The admin's."""
        with self._audited(caller, "create_token", name=token_label(name)):
            self.require_admin(caller)
            return self._access.create_token(name)

    def tokens(self, caller: Caller) -> list[tuple[str, str]]:
        """The personal tokens issued, as (id, name). The admin's."""
        self.require_admin(caller)
        return self._access.tokens()

    def revoke_token(self, caller: Caller, token_id: str) -> bool:
        """Remove a personal token by its id (True when it was there). The admin's."""
        with self._audited(caller, "revoke_token", token=token_id[:40]):
            self.require_admin(caller)
            return self._access.revoke_token(token_id)

    # -- saved searches and alerts --------------------------------------------------------------

    def create_alert(
        self,
        caller: Caller,
        query: str,
        *,
        filters: Filters | None = None,
        kinds: Sequence[Kind] = (),
        name: str = "",
    ) -> Alert:
        """Save a search, owned by the caller's key; what it finds now is what later checks
        compare with. Needs a key (the admin's, a registry's or a personal token)."""
        owner = self._access.owner(caller)
        text = self._engine.validate_query(query)
        alert = Alert(
            "",
            owner,
            _label(name),
            text,
            {k: list(v) for k, v in filters.values.items()} if filters else {},
            sorted({k.value for k in kinds}),
            created=now(),
        )
        alert.seen = sorted(self._alert_results(caller, alert))
        return self._alerts.create(alert)

    def create_watch(self, caller: Caller, what: str, value: str, *, name: str = "") -> Alert:
        """Watch SCAN Health's marketed products of an active ingredient, a brand or a licence
        holder (`what`): a check lists the products that appeared, changed status or went."""
        owner = self._access.owner(caller)
        if what not in WATCHED or not _label(value):
            raise QueryError(
                f"A watch follows an {', a '.join(WATCHED)} by a name; got {what[:20]!r} = "
                f"{_label(value)[:40]!r}.",
                "Une veille suit un ingrédient, une marque ou une société, par une valeur.",
            )
        alert = Alert("", owner, _label(name), "", watch={what: _label(value)})
        alert.created = now()
        alert.seen = sorted(self._alert_results(caller, alert))
        return self._alerts.create(alert)

    def alerts(self, caller: Caller) -> list[Alert]:
        """The caller's alerts (every alert for the command line's operator), each with the
        findings the caller may read now."""
        owned = self._alerts.owned(self._alert_owner(caller))
        rights = self.rights(caller)
        return [_readable(alert, self._reads(rights, alert)) for alert in owned]

    def check_alert(self, caller: Caller, alert_id: str) -> tuple[Alert, list[Finding]]:
        """Run a saved search once against the live index, with its owner's rights: the records
        that pass it now and did not at the last check, which the alert keeps for its feed. The
        command line checks the admin's alerts, its own and personal tokens' (which read what
        anyone may); a registry key's alert is checked with that key."""
        alert = self._alerts.get(alert_id, self._alert_owner(caller))
        found = self._alert_results(self._runs_as(caller, alert), alert)
        checked, new = self._alerts.record_check(alert.id, found, now())
        reads = self._reads(self.rights(caller), checked)
        return _readable(checked, reads), [f for f in new if reads(f.key)]

    def delete_alert(self, caller: Caller, alert_id: str) -> None:
        self._alerts.delete(alert_id, self._alert_owner(caller))

    def feed_address(self, alert: Alert) -> str | None:
        """Where a feed reader follows `alert`: its Atom feed with a secret of its own, which
        reads that feed only (a reader sends no headers, and an address is seen in histories
        and logs: it must never hold a key that writes). None for an alert of the command
        line's, which reads with the machine's rights and so has no feed."""
        if alert.owner != "admin" and not alert.owner.startswith(("token:", "key:")):
            return None
        secret = self._access.feed_key(alert.id, alert.owner)
        return f"/alerts/{quote(alert.id, safe='')}.atom?token={secret}"

    def read_feed(self, alert_id: str, token: str) -> Alert:
        """The alert `token` opens, checked once, as its feed shows it. With the alert's feed
        secret the check reads what the owner may read now (refused once the owner's key is
        revoked); with a key, as `check_alert` (addresses given before feeds had a secret).
        Spaces around the token are ignored, as around a key."""
        token = token.strip()
        try:
            alert = self._alerts.get(alert_id, None)
        except RecordNotFoundError:
            alert = None
        if alert is None or not hmac.compare_digest(
            token.encode(), self._access.feed_key(alert.id, alert.owner).encode()
        ):
            try:
                return self.check_alert(caller_of(token), alert_id)[0]
            except (AuthError, ForbiddenError):
                raise ForbiddenError(
                    "This is not the address of an alert's feed: use the `feed` address the "
                    "alert gives (GET /alerts, or the Alerts page).",
                    "Ce n'est pas l'adresse du fil d'une alerte : utilisez l'adresse `feed` que "
                    "donne l'alerte (GET /alerts, ou la page Alertes).",
                ) from None
        rights = self._access.owner_rights(alert.owner)
        if rights is None:
            raise ForbiddenError(
                "This feed's address no longer opens it: the key that saved the alert was "
                "revoked or opens nothing now.",
                "L'adresse de ce fil ne l'ouvre plus : la clé qui a enregistré l'alerte a été "
                "révoquée ou n'ouvre plus rien.",
            )
        reader = FeedReader(rights.hidden, alert.id)
        checked, _ = self._alerts.record_check(alert.id, self._alert_results(reader, alert), now())
        return _readable(checked, self._reads(self.rights(reader), checked))

    def _alert_owner(self, caller: Caller) -> str | None:
        """The owner whose alerts the caller reaches (None: every owner's, for the operator)."""
        return None if isinstance(caller, Operator) else self._access.owner(caller)

    @staticmethod
    def _runs_as(caller: Caller, alert: Alert) -> Caller:
        """Whom a check of `alert` by `caller` searches as: the owner, never more."""
        if not isinstance(caller, Operator) or alert.owner == "admin":
            return caller
        if alert.owner.startswith("token:"):
            return ANONYMOUS  # a token reads what anyone may
        if alert.owner.startswith("key:"):
            raise QueryError(
                "A registry key's alert is checked with that key (GET /alerts/ID/new or its feed).",
                "L'alerte d'une clé de registre se vérifie avec cette clé.",
            )
        return caller  # the command line's own

    def _reads(self, rights: Rights, alert: Alert) -> Callable[[str], bool]:
        """Whether `rights` read a finding (or a followed record) of `alert` now, by its key: a
        record's while it is in a registry they read (and in the index, for rights that do not
        read every registry), a watch's while they read SCAN Health."""
        if not rights.hidden:
            return lambda key: True
        if alert.watch:
            scan_health = rights.can_read(SCAN_HEALTH)
            return lambda key: scan_health
        records = self._engine.records()

        def reads(key: str) -> bool:
            record = records.get(key)
            return record is not None and rights.can_read(record.attributes.get("registry"))

        return reads

    def _alert_results(self, caller: Caller, alert: Alert) -> dict[str, str]:
        """Record key -> name of every record the saved search returns now (the best 300); for
        a watch, each product it follows ("DIN status" -> a line to read)."""
        if alert.watch:
            readable = self.rights(caller).can_read(SCAN_HEALTH)
            holders = [
                (r.name, r.attributes)
                for r in self._engine.records().values()
                if readable and r.attributes.get("registry") == SCAN_HEALTH
            ]
            return watched_products(holders, alert.watch)
        filters = Filters.parse(alert.filters) if alert.filters else None
        kinds = [Kind(k) for k in alert.kinds] or None
        found = self._result_pages(caller, alert.query, kinds, filters)
        return {f"{hit.kind.value}:{hit.id}": hit.name for hit in found.results}

    # -- the audit trail -------------------------------------------------------------------------

    def audit(
        self, caller: Caller, since: str | None = None, registry: str | None = None
    ) -> list[AuditEntryJSON]:
        """The audit trail's entries, oldest first: every entry for the admin, its registries'
        for a registry's key (AuthError without a key, ForbiddenError with one that opens none)."""
        rights = self._access.require_key(caller)
        first = parse_since(since)
        wanted = None if rights.admin else rights.registries
        if registry is not None:
            wanted = frozenset({registry}) & (wanted if wanted is not None else {registry})
        return self._audit.entries(first, wanted)

    def verify_audit(self, caller: Caller) -> Verification:
        """Whether the trail holds: no entry removed, altered or moved. The admin's."""
        self.require_admin(caller)
        return self._audit.verify()

    @contextmanager
    def _audited(self, caller: Caller, action: str, **details: Any) -> Iterator[dict[str, Any]]:
        """One entry of the trail for the write the block does, whatever its outcome: "ok",
        "refused" (no key, another key), or "failed" with the error's message."""
        try:
            yield details
        except (AuthError, ForbiddenError):
            self._audit.append(self._access.actor(caller), action, "refused", details)
            raise
        except Exception as exc:
            details["error"] = (
                str(exc) if isinstance(exc, NgenConnectError) else type(exc).__name__
            )[:300]
            self._audit.append(self._access.actor(caller), action, "failed", details)
            raise
        self._audit.append(self._access.actor(caller), action, "ok", details)


def _readable(alert: Alert, reads: Callable[[str], bool]) -> Alert:
    """The alert as its reader may read it: its findings, and the records it follows."""
    return replace(
        alert,
        findings=[f for f in alert.findings if reads(f.key)],
        seen=[key for key in alert.seen if reads(key)],
    )


def _label(text: str) -> str:
    """A name a person gave, as kept: one line, no control characters, at most 200 characters."""
    return " ".join(strip_control(text).split())[:200]


#: record ids an audit entry lists (the counts say how many there were in all)
_LISTED_IDS = 100


def _counts(report: IndexReport) -> dict[str, int]:
    """What an index write did, as an audit entry keeps it."""
    return {
        "added": report.added,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "removed": report.removed,
        "rejected": len(report.rejected),
    }
