"""Filters people type (ownership words, cluster names, licences, size bands), results explained in
French, and `similar` for every kind of record, on a real index (fake embedder)."""

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ngen_connect import Engine, Kind, QueryError, write_results
from ngen_connect.search import Filters

ORGS = """id,name,description,province,employees,ownership,clusters,licences
a,Alpha Welding,Robotic welding of steel frames for trucks.,ON,12,Indigenous-owned,cl-1,
b,Beta Welding,Welding of stainless steel pressure vessels.,QC,150,appartenant à des femmes,cl-2,Drug establishment licence
c,Gamma Welding,Welding and laser cutting of aluminium frames.,SK,800,,cl-1;cl-2,
"""
CLUSTERS = """id,name,description,province
cl-1,Prairie Welding Network,A cluster of welding and fabrication shops.,SK
cl-2,Grappe aérospatiale du Québec,Grappe des entreprises de l'aérospatiale.,QC
"""
ASSETS = """id,title,abstract_en,licensing_status
ip-1,Welding torch cooling,A cooled welding torch for robotic cells.,available for licensing
ip-2,Laser seam tracking,Seam tracking for laser welding robots.,under negotiation
"""


@pytest.fixture
def engine(fake_engine: Engine, tmp_path: Path) -> Engine:
    files = []
    for name, text in (("o.csv", ORGS), ("c.csv", CLUSTERS), ("ip.csv", ASSETS)):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        files.append(path)
    report = fake_engine.index_files(files, kind=[Kind.ORGANIZATION, Kind.CLUSTER, Kind.IP_ASSET])
    assert report.rejected_rows == 0
    return fake_engine


def _ids(engine: Engine, **filters: str) -> set[str]:
    response = engine.search("welding", filters=Filters.parse(dict(filters)), limit=20)
    return {hit.id for hit in response.results}


def test_ownership_is_read_as_people_write_it_in_files_and_filters(engine: Engine) -> None:
    assert engine.record("a")["attributes"]["ownership"] == ["indigenous_owned"]
    assert engine.record("b")["attributes"]["ownership"] == ["women_owned"]
    for spelling in ("Indigenous-owned", "autochtone", "indigenous_owned", "Propriété autochtone"):
        assert _ids(engine, ownership=spelling) == {"a"}, spelling
    assert _ids(engine, ownership="Women-owned") == {"b"}
    facets = engine.search("welding", ui_language="fr").facets["ownership"]
    assert {f["label"] for f in facets} == {"Propriété autochtone", "Propriété féminine"}


def test_clusters_by_id_or_name_and_shown_by_name(engine: Engine) -> None:
    assert _ids(engine, cluster="cl-1") == {"a", "c"}
    assert _ids(engine, cluster="Prairie Welding Network") == {"a", "c"}
    assert _ids(engine, cluster="grappe aerospatiale du quebec") == {"b", "c"}
    response = engine.search("welding", kinds=[Kind.ORGANIZATION])
    labels = {f["value"]: f.get("label") for f in response.facets["cluster"]}
    assert labels == {"cl-1": "Prairie Welding Network", "cl-2": "Grappe aérospatiale du Québec"}
    gamma = next(h for h in response.results if h.id == "c")
    assert gamma.attributes["cluster_names"] == [
        "Prairie Welding Network",
        "Grappe aérospatiale du Québec",
    ]
    assert engine.record("c")["attributes"]["cluster_names"][0] == "Prairie Welding Network"


def test_licence_and_size_filters(engine: Engine) -> None:
    assert _ids(engine, licence="establishment") == {"b"}
    assert _ids(engine, licence="available for licensing") == {"ip-1"}
    assert _ids(engine, size="1-19") == {"a"}
    assert _ids(engine, size="100 – 499") == {"b"}
    assert _ids(engine, size="500+") == {"c"}
    sizes = {f["value"]: f["count"] for f in engine.search("welding").facets["size"]}
    assert sizes == {"1-19": 1, "100-499": 1, "500+": 1}
    with pytest.raises(QueryError, match="size band"):
        Filters.parse({"size": "huge"})


def test_yes_no_words_are_one_vocabulary() -> None:
    assert Filters.parse({"sme": "vrai"}).values["sme"] == ("true",)
    assert Filters.parse({"sme": "faux"}).values["sme"] == ("false",)
    with pytest.raises(QueryError, match="sme"):
        Filters.parse({"sme": "peut-être"})


def test_the_explanation_follows_the_page_language(engine: Engine) -> None:
    english = engine.search("welding frames").results[0].explanation
    french = engine.search("welding frames", ui_language="fr").results[0].explanation
    assert english == "Matched by: words in common (welding, frames); close in meaning."
    assert french == "Retenu pour : mots en commun (welding, frames); proche par le sens."


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_french_export_has_french_headers_and_an_about_sheet_with_the_filters(
    engine: Engine, tmp_path: Path, suffix: str
) -> None:
    filters = Filters.parse({"province": "Québec", "size": "100-499"})
    response = engine.search("welding", filters=filters, ui_language="fr")
    path = tmp_path / f"r{suffix}"
    assert write_results(path, response, language="fr", filters=filters.values) == 1
    if suffix == ".csv":
        with path.open(encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle))
        assert header[:4] == ["rang", "id", "type de fiche", "nom"]
        return
    book = load_workbook(path)
    assert book.sheetnames == ["Résultats", "À propos"]
    about = {row[0]: row[1] for row in book["À propos"].iter_rows(values_only=True)}
    assert about["requête"] == "welding"
    assert about["filtres"] == "province=QC; size=100-499"
    assert book["Résultats"]["D1"].value == "nom"


@pytest.mark.parametrize(
    ("kind", "record_id", "expected"),
    [
        (Kind.ORGANIZATION, "a", "organization"),
        (Kind.CLUSTER, "cl-1", "cluster"),
        (Kind.IP_ASSET, "ip-1", "ip_asset"),
    ],
)
def test_similar_works_for_every_kind(
    engine: Engine, kind: Kind, record_id: str, expected: str
) -> None:
    response = engine.similar(record_id, kind=kind, limit=5)
    assert response.results and record_id not in {h.id for h in response.results}
    assert {h.kind.value for h in response.results} == {expected}


def test_licence_words_match_whole_and_cluster_names_ignore_punctuation(engine: Engine) -> None:
    assert _ids(engine, licence="a") == set()
    assert _ids(engine, licence="lic") == set()
    assert _ids(engine, licence="(") == set()
    assert _ids(engine, licence="Establishment Licence") == {"b"}
    assert _ids(engine, licence="non-exclusive") == set()
    assert _ids(engine, cluster="prairie  welding–network") == {"a", "c"}
