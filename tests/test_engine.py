"""The engine on a real data directory (DuckDB + FAISS on disk) with the deterministic fake embedder."""

from collections.abc import Sequence
from pathlib import Path

import pytest

from ngen_connect import (
    Engine,
    FakeEmbedder,
    IndexMismatchError,
    IndexNotFoundError,
    InputFileError,
    Kind,
    QueryError,
    load_settings,
)
from ngen_connect.embedding import Vectors
from ngen_connect.index.store import SCHEMA_VERSION
from ngen_connect.index.version import MANIFEST, Manifest
from ngen_connect.search.filters import Filters
from ngen_connect.search.ranking import Ranking

DATA = Path(__file__).parent / "data"
#: a query typed in capitals, in title case and in lower case
CASES = (str.upper, str.title, str.lower)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


ORGS = """id,name,description,province
a,Alpha Welding,Robotic welding of steel frames for trucks.,ON
b,Beta Plastics,Injection moulding of plastic housings.,QC
c,Gamma Foods,Frozen bakery products and bagels.,SK
"""


def test_index_then_search(fake_engine: Engine, tmp_path: Path) -> None:
    report = fake_engine.index_files([_write(tmp_path / "o.csv", ORGS)])
    assert (report.added, report.rejected, report.passages_embedded) == (3, [], 3)
    response = fake_engine.search("welding steel frames", limit=2)
    assert response.results[0].id == "a"
    assert response.total == 3 and len(response.results) == 2
    top = response.results[0]
    assert top.kind is Kind.ORGANIZATION and top.language == "en" and "welding" in top.snippet
    assert (
        top.explanation == "Matched by: words in common (welding, steel, frames); close in meaning."
    )
    assert top.why["legs"]["passage"] == {"number": 1, "of": 1, "language": "en"}
    assert top.attributes["province"] == "ON"


class _RecordingEmbedder(FakeEmbedder):
    """The fake embedder, keeping the queries it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.queries: list[str] = []

    def encode_queries(self, texts: Sequence[str]) -> Vectors:
        self.queries.extend(texts)
        return super().encode_queries(texts)


def test_the_encoders_read_a_query_in_one_case_whatever_its_case(tmp_path: Path) -> None:
    recording = _RecordingEmbedder()
    engine = Engine(load_settings(data_dir=tmp_path / "i", model="fake"), embedder=recording)
    engine.index_files([_write(tmp_path / "o.csv", ORGS)])
    typed = ("ROBOTIC WELDING", "Robotic Welding", "robotic welding")
    answers = [engine.search(query) for query in typed]
    assert recording.queries == ["robotic welding"] * 3
    assert (
        len({(a.detected_language, a.total, tuple(h.id for h in a.results)) for a in answers}) == 1
    )
    assert [a.query for a in answers] == list(typed)  # the answer repeats the query as typed
    engine.close()


@pytest.mark.model
def test_letter_case_changes_no_answer_with_the_real_encoders(
    tmp_path: Path, crosslang_csv: Path
) -> None:
    """Capitals (pasted from a registry extract), title case and lower case: the same results in
    the same order, brand and capability queries alike, with the default encoders and more than
    200 passages, so that the relevance floor applies."""
    from ngen_connect.registries.dpd import company_profile, read_extracts
    from ngen_connect.sample import write_sample

    engine = Engine(load_settings(data_dir=tmp_path / "d"))
    write_sample(tmp_path / "sample", organizations=130, clusters=0, ip_assets=0)
    engine.index_files([tmp_path / "sample" / "organizations.csv", crosslang_csv])
    report = engine.index_profiles([company_profile(c) for c in read_extracts([DATA / "dpd_v1"])])
    assert report.added == 3 and engine.manifest().passages > 200
    queries = (
        "heparin sodium",
        "metformin",
        "sterile injectable manufacturer in Quebec",
        "fabricant de solutions injectables stériles",
        "robotic welding cells for auto parts",
        "soudage robotisé de châssis",
    )
    for query in queries:
        answers = {
            (a.detected_language, a.total, tuple(h.id for h in a.results))
            for a in (engine.search(case(query), limit=20) for case in CASES)
        }
        assert len(answers) == 1, query
    engine.close()


def test_reindexing_unchanged_embeds_nothing_and_keeps_the_version(
    fake_engine: Engine, tmp_path: Path
) -> None:
    path = _write(tmp_path / "o.csv", ORGS)
    first = fake_engine.index_files([path])
    again = fake_engine.index_files([path])
    assert (again.unchanged, again.added, again.passages_embedded) == (3, 0, 0)
    assert again.version == first.version


def test_changed_row_is_reembedded_and_metadata_change_is_not(
    fake_engine: Engine, tmp_path: Path
) -> None:
    fake_engine.index_files([_write(tmp_path / "o.csv", ORGS)])
    changed = ORGS.replace(
        "Frozen bakery products and bagels.", "Industrial bread and pastry lines."
    )
    changed = changed.replace(
        "Beta Plastics,Injection moulding of plastic housings.,QC",
        "Beta Plastics,Injection moulding of plastic housings.,NB",
    )
    report = fake_engine.index_files([_write(tmp_path / "o.csv", changed)])
    assert (report.updated, report.metadata_only, report.unchanged, report.passages_embedded) == (
        1,
        1,
        1,
        1,
    )
    hits = {h.id: h for h in fake_engine.search("bread pastry lines", limit=3).results}
    assert hits["c"].snippet == "Industrial bread and pastry lines."
    assert hits["b"].attributes["province"] == "NB"
    assert fake_engine.manifest().passages == 3


def test_a_write_costs_what_it_changes_and_searches_as_a_rebuild_would(
    fake_engine: Engine, tmp_path: Path
) -> None:
    words = ["welding", "casting", "moulding", "machining", "coating", "assembly"]
    many = "".join(
        f"m{n},Maker {n},{words[n % 6].capitalize()} of steel parts for trucks and buses.,ON\n"
        for n in range(30)
    )
    fake_engine.index_files([_write(tmp_path / "o.csv", ORGS + many)])
    first = fake_engine.data.current
    assert first is not None
    (first_segment,) = Manifest.read(first).segments
    changed = ORGS.replace("Frozen bakery products and bagels.", "Industrial bread lines.")
    changed += many + "d,Delta Castings,Aluminium die casting for trucks.,AB\n"
    fake_engine.index_files([_write(tmp_path / "o.csv", changed)])
    fake_engine.delete(["b"])
    live = fake_engine.data.current
    assert live is not None and live != first
    manifest = Manifest.read(live)
    # the first write's vectors are linked, not copied: one file on disk for both versions
    assert manifest.segments[0] == first_segment and len(manifest.segments) == 2
    assert (live / first_segment).stat().st_ino == (first / first_segment).stat().st_ino
    assert manifest.deleted is not None  # Gamma's old passage and Beta's

    rebuilt = Engine(
        load_settings(data_dir=tmp_path / "rebuilt", model="fake"), embedder=FakeEmbedder()
    )
    final = changed.replace("b,Beta Plastics,Injection moulding of plastic housings.,QC\n", "")
    rebuilt.index_files([_write(tmp_path / "final.csv", final)])
    for query in ("bread lines", "trucks", "plastic housings", "welding steel", "die casting"):
        for ranking in Ranking:
            got = fake_engine.search(query, ranking=ranking, limit=8)
            expected = rebuilt.search(query, ranking=ranking, limit=8)
            assert got.total == expected.total, (query, ranking)
            assert [(h.id, round(h.score, 5)) for h in got.results] == [
                (h.id, round(h.score, 5)) for h in expected.results
            ], (query, ranking)
    rebuilt.close()


def test_delete_removes_record_and_vectors(fake_engine: Engine, tmp_path: Path) -> None:
    fake_engine.index_files([_write(tmp_path / "o.csv", ORGS)])
    assert fake_engine.delete(["a", "zzz"]) == ["a"]
    response = fake_engine.search("robotic welding", limit=10)
    assert [h.id for h in response.results] == ["b", "c"] or "a" not in [
        h.id for h in response.results
    ]
    assert response.total == 2
    manifest = fake_engine.manifest()
    assert manifest.counts["organization"] == 2 and manifest.passages == 2


def test_duplicate_ids_are_rejected_and_odd_values_are_warnings(
    fake_engine: Engine, tmp_path: Path
) -> None:
    text = ORGS + "a,Alpha Again,Duplicate row.,ON\nd,Delta,Forging.,Nowhere\ne,,No name.,QC\n"
    report = fake_engine.index_files([_write(tmp_path / "o.csv", text)])
    assert (report.read, report.added, report.rejected_rows) == (6, 4, 2)
    rejected = sorted((e.row, e.column, e.message) for e in report.rejected)
    assert rejected[0][:2] == (5, "id") and "already used by" in rejected[0][2]
    assert rejected[0][2].endswith("row 2")
    assert rejected[1][:2] == (7, "name")
    [warning] = report.warnings
    assert (warning.row, warning.column) == (6, "province") and "'Nowhere'" in warning.message
    delta = fake_engine.record("d")
    assert delta["attributes"]["region"] == "Nowhere" and "province" not in delta["attributes"]
    counts = report.to_dict()["counts"]
    assert counts == {
        "added": 4,
        "updated": 0,
        "unchanged": 0,
        "merged": 0,
        "warnings": 1,
        "rows_with_warnings": 1,
        "rejected": 2,
    }


def test_rows_of_one_company_without_ids_become_one_record(
    fake_engine: Engine, tmp_path: Path
) -> None:
    text = (
        "category,company,city,state,description\n"
        "pumps,Pemo,Vimodrone,,\n"
        "valves,Pemo,Vimodrone,,Valves for slurry.\n"
        "pumps,Other Co,Pittsburgh,PA,\n"
    )
    report = fake_engine.index_files([_write(tmp_path / "dir.csv", text)])
    assert (report.read, report.added, report.merged, report.rejected_rows) == (3, 2, 1, 0)
    assert "merged into that record" in report.warnings[0].message
    [pemo] = [r for r in fake_engine.records().values() if r.name == "Pemo"]
    detail = fake_engine.record(pemo.id)
    assert detail["attributes"]["categories"] == ["pumps", "valves"]
    assert "Valves for slurry." in " ".join(detail["texts"].values())


def test_several_files_keep_their_kinds(fake_engine: Engine, tmp_path: Path) -> None:
    clusters = _write(
        tmp_path / "clusters.csv",
        "id,name,description,region,focus_areas,members\n"
        "k1,Prairie Cluster,Agri-food processing.,Prairies,food,a\n",
    )
    assets = _write(
        tmp_path / "ip.csv",
        "id,title,abstract,asset_type,ipc,owner\np1,Weld seam tracker,Vision system.,patent,B23K,a\n",
    )
    report = fake_engine.index_files([_write(tmp_path / "o.csv", ORGS), clusters, assets])
    assert report.added == 5
    assert fake_engine.manifest().counts == {"organization": 3, "cluster": 1, "ip_asset": 1}
    ambiguous = _write(tmp_path / "both.csv", "name,description,members,ipc\nX,Y,a,B23K\n")
    with pytest.raises(InputFileError, match="--kind"):
        fake_engine.index_files([ambiguous])
    report = fake_engine.index_files([ambiguous], kind=Kind.CLUSTER)
    assert report.added == 1


def test_rebuild_swaps_versions_atomically(fake_engine: Engine, tmp_path: Path) -> None:
    fake_engine.index_files([_write(tmp_path / "o.csv", ORGS)])
    old = fake_engine.data.current
    assert old is not None
    report = fake_engine.index_files(
        [_write(tmp_path / "p.csv", "name,description\nOmega,Laser cutting.\n")], rebuild=True
    )
    new = fake_engine.data.current
    assert new is not None and new != old and report.version == new.name
    assert (old / MANIFEST).is_file(), "the previous version stays readable until pruned"
    assert Manifest.read(new).counts["organization"] == 1
    assert [h.name for h in fake_engine.search("laser").results] == ["Omega"]


def test_failed_write_leaves_the_live_index_untouched(fake_engine: Engine, tmp_path: Path) -> None:
    fake_engine.index_files([_write(tmp_path / "o.csv", ORGS)])
    live = fake_engine.data.current

    class Broken(FakeEmbedder):
        def encode_documents(self, texts):  # type: ignore[no-untyped-def]
            raise RuntimeError("model crashed")

    broken = Engine(fake_engine.settings, embedder=Broken())
    with pytest.raises(RuntimeError):
        broken.index_files([_write(tmp_path / "n.csv", "name,description\nNew,Brand new text.\n")])
    assert fake_engine.data.current == live
    assert len(list((fake_engine.data.root / "versions").iterdir())) == 1
    assert fake_engine.search("steel").total == 3


def test_index_built_with_another_model_fails_loudly(fake_engine: Engine, tmp_path: Path) -> None:
    fake_engine.index_files([_write(tmp_path / "o.csv", ORGS)])
    other = Engine(
        load_settings(data_dir=fake_engine.settings.data_dir), embedder=FakeEmbedder(dim=32)
    )
    with pytest.raises(IndexMismatchError, match="built with the model 'fake:64'"):
        other.search("welding")
    with pytest.raises(IndexMismatchError):
        other.index_files([tmp_path / "o.csv"])


def test_search_without_index_and_bad_queries(fake_engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="ngen-connect index"):
        fake_engine.search("welding")
    fake_engine.index_files([_write(tmp_path / "o.csv", ORGS)])
    with pytest.raises(QueryError, match="empty"):
        fake_engine.search("   ")
    with pytest.raises(QueryError, match="empty"):
        fake_engine.search("\x84\x8e\x00\x7f")  # control characters only (C1, C0, DEL)
    assert fake_engine.search("weld\x85ing shop").query == "weld ing shop"
    with pytest.raises(QueryError, match="limit is 1,000"):
        fake_engine.search("x" * 1001)
    with pytest.raises(QueryError, match="limit must be"):
        fake_engine.search("x", limit=0)


def test_kinds_are_searched_separately_or_together(fake_engine: Engine, tmp_path: Path) -> None:
    fake_engine.index_files([_write(tmp_path / "o.csv", ORGS)])
    fake_engine.index_files(
        [
            _write(
                tmp_path / "c.csv",
                "name,description,focus_areas\nWelding Cluster,Welding network.,welding\n",
            )
        ],
        kind=Kind.CLUSTER,
    )
    assert {h.kind for h in fake_engine.search("welding", kinds=[Kind.CLUSTER]).results} == {
        Kind.CLUSTER
    }
    assert fake_engine.search("welding", kinds=[Kind.CLUSTER]).total == 1
    together = fake_engine.search("welding", limit=10)
    assert {h.kind for h in together.results} == {
        Kind.CLUSTER,
        Kind.ORGANIZATION,
    } and together.total == 4


def test_pagination_neither_repeats_nor_skips(fake_engine: Engine, tmp_path: Path) -> None:
    rows = "\n".join(
        f"o{i},Org {i},Metal part number {i} with welding and coating {i % 7}." for i in range(57)
    )
    fake_engine.index_files([_write(tmp_path / "many.csv", "id,name,description\n" + rows + "\n")])
    pages = [
        fake_engine.search("welding coating", limit=10, offset=o).results for o in range(0, 60, 10)
    ]
    ids = [h.id for page in pages for h in page]
    assert len(ids) == 57 and len(set(ids)) == 57
    whole = [h.id for h in fake_engine.search("welding coating", limit=57).results]
    assert ids == whole


def test_long_profile_matches_on_its_best_passage(fake_engine: Engine, tmp_path: Path) -> None:
    filler = " ".join(
        f"We have served customers across the country since {1950 + i}." for i in range(20)
    )
    text = f'id,name,description\nlong,Long Corp,"{filler} We also provide cryogenic deburring services."\n'
    fake_engine.index_files([_write(tmp_path / "l.csv", text)])
    [hit] = fake_engine.search("cryogenic deburring").results
    assert "cryogenic deburring" in hit.snippet
    assert hit.why["legs"]["passage"]["number"] == 4
    assert (
        hit.explanation == "Matched by: words in common (cryogenic, deburring); close in meaning."
    )


def test_keyword_index_of_an_older_analysis_is_rebuilt_on_open(
    fake_engine: Engine, tmp_path: Path
) -> None:
    fake_engine.index_files([_write(tmp_path / "o.csv", ORGS)])
    folder = fake_engine.data.current
    assert folder is not None
    (folder / "keywords.json").write_text('{"analysis": 0, "vocabulary": {}}', encoding="utf-8")
    reopened = Engine(fake_engine.settings, embedder=FakeEmbedder())
    from ngen_connect.search.ranking import Ranking

    assert [h.id for h in reopened.search("bagels", ranking=Ranking.KEYWORD).results] == ["c"]
    reopened.close()


def test_a_filtered_search_still_fills_its_page(fake_engine: Engine, tmp_path: Path) -> None:
    # 50 close matches outside Québec and 12 weak ones inside: filtering after a top-k would leave
    # the page empty; filtering first returns 10.
    rows = [f"on{i},Weld {i},Robotic welding of steel frames number {i}.,ON" for i in range(50)]
    rows += [
        f"qc{i},Atelier {i},Entretien de bâtiments et services divers {i}.,QC" for i in range(12)
    ]
    fake_engine.index_files(
        [_write(tmp_path / "f.csv", "id,name,description,province\n" + "\n".join(rows) + "\n")]
    )
    from ngen_connect.search.filters import Filters

    response = fake_engine.search(
        "robotic welding steel frames", filters=Filters.parse({"province": "QC"}), limit=10
    )
    assert len(response.results) == 10 and response.total == 12
    assert all(hit.id.startswith("qc") for hit in response.results)


def _as_schema_1(engine: Engine) -> Path:
    """Turn the engine's live version into one written by the first release (schema 1)."""
    import duckdb

    from ngen_connect.index.version import RECORDS

    old = engine.data.current
    assert old is not None
    engine.close()
    db = duckdb.connect(str(old / RECORDS))
    for column in ("country", "clusters", "ownership", "registry"):
        db.execute(f"ALTER TABLE records DROP COLUMN {column}")
    db.close()
    manifest = Manifest.read(old)
    manifest.schema_version = 1
    manifest.write(old)
    return old


def test_an_index_of_the_previous_schema_is_migrated_without_re_embedding(
    fake_engine: Engine, tmp_path: Path
) -> None:
    from ngen_connect.search.filters import Filters

    fake_engine.index_files([_write(tmp_path / "o.csv", ORGS + "d,Delta,Forging.,QC\n")])
    old = _as_schema_1(fake_engine)

    class Counting(FakeEmbedder):
        documents = 0

        def encode_documents(self, texts):  # type: ignore[no-untyped-def]
            Counting.documents += len(texts)
            return super().encode_documents(texts)

    reopened = Engine(fake_engine.settings, embedder=Counting())
    response = reopened.search(
        "forging", filters=Filters.parse({"country": "CA", "province": "QC"})
    )
    assert [h.id for h in response.results] == ["b", "d"] or set(
        h.id for h in response.results
    ) == {"b", "d"}
    assert reopened.manifest().schema_version == SCHEMA_VERSION and reopened.data.current != old
    assert Counting.documents == 0
    reopened.close()


def test_a_write_onto_an_index_of_the_previous_schema_migrates_it_first(
    fake_engine: Engine, tmp_path: Path
) -> None:
    fake_engine.index_files([_write(tmp_path / "o.csv", ORGS)])
    _as_schema_1(fake_engine)

    writer = Engine(fake_engine.settings, embedder=FakeEmbedder())
    report = writer.index_files([_write(tmp_path / "more.csv", ORGS + "d,Delta,Forging.,QC\n")])
    assert (report.added, report.unchanged) == (1, ORGS.count("\n") - 1)
    assert writer.manifest().schema_version == SCHEMA_VERSION
    assert {h.id for h in writer.search("forging").results} >= {"d"}
    writer.close()


def test_country_filter_and_facet_use_normalised_values(
    fake_engine: Engine, tmp_path: Path
) -> None:
    text = (
        "id,name,description,province,country\n"
        "u,Keystone Pumps,Dewatering pumps for mines.,PA,USA\n"
        "v,Empire Valves,Valves and pumps for mines.,NEW YORK,ÉTATS UNIS\n"
        "c,Prairie Pumps,Pumps for potash mines.,Sask.,Canada\n"
    )
    fake_engine.index_files([_write(tmp_path / "w.csv", text)])
    for spelling in ("US", "États-Unis", "united states"):
        response = fake_engine.search(
            "pumps", filters=Filters.parse({"country": spelling}), ui_language="fr"
        )
        assert {hit.id for hit in response.results} == {"u", "v"}, spelling
    facets = fake_engine.search("pumps", ui_language="fr").facets
    assert facets["country"] == [
        {"value": "US", "count": 2, "label": "États-Unis"},
        {"value": "CA", "count": 1, "label": "Canada"},
    ]
    assert facets["province"] == [{"value": "SK", "count": 1}]
    assert fake_engine.record("v")["attributes"]["region"] == "NEW YORK"


def test_failed_writes_leave_nothing_that_counts_as_a_version(
    fake_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from ngen_connect.errors import StorageError
    from ngen_connect.index.vectors import VectorIndex

    fake_engine.index_files([_write(tmp_path / "o.csv", ORGS)])
    first = fake_engine.data.current
    versions = tmp_path / "index" / "versions"
    for name in ("a", "b", "c"):  # what killed writes leave behind
        (versions / f".building-{name}").mkdir()

    def full(self: VectorIndex, folder: Path, stem: str = "vectors") -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(VectorIndex, "save", full)
        with pytest.raises(StorageError, match="is full"):
            fake_engine.index_files([_write(tmp_path / "p.csv", "name,description\nNew,Laser.\n")])
    assert fake_engine.data.current == first, "a failed write changes nothing"
    assert not list(versions.glob(".building-*"))
    for text in ("x", "y", "z"):
        fake_engine.index_files(
            [_write(tmp_path / "q.csv", f"name,description\nNew {text},Laser.\n")]
        )
    kept = sorted(p.name for p in versions.iterdir())
    assert len(kept) == 3 and fake_engine.data.current is not None
    assert fake_engine.data.current.name == kept[-1]


def test_a_registry_upload_that_loses_the_write_lock_saves_nothing(
    fake_engine: Engine, tmp_path: Path
) -> None:
    from ngen_connect.errors import IndexLockedError
    from ngen_connect.index.datadir import DataDir
    from ngen_connect.registries import RegistryService

    fake_engine.index_files([_write(tmp_path / "o.csv", ORGS)])
    service = RegistryService(fake_engine)
    registry = _write(tmp_path / "r.csv", "name\nAlpha Welding\nOmega Pumps\n")
    another_writer = DataDir(fake_engine.data.root)  # as another process would hold it
    with another_writer.write_lock(), pytest.raises(IndexLockedError):
        service.upload("simsa", registry)
    assert service.uploads.uploads("simsa") == []
    assert "listed_in" not in fake_engine.record("a")["attributes"]


def test_an_operating_name_is_searchable_by_name(fake_engine: Engine, tmp_path: Path) -> None:
    fake_engine.index_files(
        [
            _write(
                tmp_path / "o.csv",
                "id,name,operating name,description\n"
                "n,9123-4567 Québec inc.,Usinage Gagnon,Usinage CNC.\n" + ORGS.split("\n", 1)[1],
            )
        ]
    )
    response = fake_engine.search("usinage gagnon")
    assert response.results[0].id == "n"
    assert response.results[0].why["legs"]["name"] > 0
    assert response.results[0].attributes["operating_name"] == "Usinage Gagnon"
    assert fake_engine.search("Usinage Gagnon", ranking=Ranking.KEYWORD).results[0].id == "n"
    assert fake_engine.record("n")["attributes"]["operating_name"] == "Usinage Gagnon"


def test_two_profiles_with_one_key_are_refused_before_anything_is_written(
    fake_engine: Engine, tmp_path: Path
) -> None:
    from ngen_connect import Kind, Profile

    fake_engine.index_files([_write(tmp_path / "o.csv", ORGS)])
    version = fake_engine.manifest().version
    twice = [
        Profile("z", Kind.ORGANIZATION, "Zeta Tools", {"en": text}, "en")
        for text in ("Cutting tools.", "Drill bits.")
    ]
    with pytest.raises(ValueError, match="organization:z"):
        fake_engine.index_profiles(twice)
    assert fake_engine.manifest().version == version
