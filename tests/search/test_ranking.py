"""Hybrid ranking, filters, facets, explanations and export, on a real index with the fake embedder."""

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ngen_connect import Engine, Kind, QueryError
from ngen_connect.errors import RecordNotFoundError
from ngen_connect.export import write_results
from ngen_connect.language import detect_query_language
from ngen_connect.models import Profile
from ngen_connect.names import normalise_name
from ngen_connect.search.explain import highlight
from ngen_connect.search.filters import Filters
from ngen_connect.search.ranking import Ranking
from ngen_connect.text import analyse

MEMBERS = """id,name,description_en,description_fr,province,city,naics,certifications,employees,ownership
m1,Prairie Plastics Ltd.,Custom plastic parts for farm equipment.,,SK,Regina,326198,ISO 9001,40,
m2,Moulures Gagnon inc.,,Moulage par injection de boîtiers techniques pour l'automobile.,QC,Laval,326193,IATF 16949,120,women_owned
m3,Titan Aero Machining Inc.,Five-axis machining of titanium aircraft parts.,,ON,Toronto,332710,AS9100,60,
m4,Usinage Côté ltée,,Usinage de pièces de précision pour l'aérospatiale.,QC,Québec,332710,as-9100,25,indigenous_owned
m5,Coastal Composites Ltd.,Carbon fibre boat hulls.,Coques de bateaux en fibre de carbone.,NS,Halifax,326198,,800,
m6,Northern Welding Corp.,Robotic welding of steel frames.,,AB,Calgary,332319,CWB,15,
"""


@pytest.fixture
def engine(fake_engine: Engine, tmp_path: Path) -> Engine:
    path = tmp_path / "members.csv"
    path.write_text(MEMBERS, encoding="utf-8")
    report = fake_engine.index_files([path])
    assert report.added == 6 and not report.rejected
    return fake_engine


def ids(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [hit.id for hit in response.results]


def test_certification_codes_match_by_keyword(engine: Engine) -> None:
    # "AS9100" and "as-9100" alike; certifications are searchable
    keyword = engine.search("AS9100", limit=3, ranking=Ranking.KEYWORD)
    assert set(ids(keyword)) == {"m3", "m4"}
    assert "semantic" not in keyword.results[0].why["legs"]
    assert keyword.results[0].explanation == "Matched by: words in common (as9100)."
    hybrid = {h.id: h for h in engine.search("AS9100", limit=6).results}
    for record in ("m3", "m4"):
        assert hybrid[record].why["legs"]["keyword"]["score"] > 0
        assert hybrid[record].why["boosts"]["keyword"] > 0
    assert "keyword" not in hybrid["m1"].why["legs"]


def test_misspelled_company_name_comes_first(engine: Engine) -> None:
    response = engine.search("Prarie Plastic", limit=3)
    assert ids(response)[0] == "m1"
    assert response.results[0].why["legs"]["name"] > 0.85
    assert normalise_name("Les Industries Côté ltée") == "industries cote"


def test_glossary_lets_keywords_cross_languages(engine: Engine) -> None:
    response = engine.search("injection moulding", limit=3)
    assert ids(response)[0] == "m2"  # French-only profile
    legs = response.results[0].why["legs"]
    assert "injection moulding ↔ moulage par injection" in legs["glossary"]
    assert response.results[0].explanation == (
        "Matched by: words in common (moulage, injection); close in meaning, in its French text; "
        "translated terms (injection moulding ↔ moulage par injection)."
    )
    keyword_only = engine.search("injection moulding", ranking=Ranking.KEYWORD)
    assert "m2" in ids(keyword_only)


def test_cross_language_correction_is_explained(engine: Engine) -> None:
    response = engine.search("usinage de pièces", limit=6)
    english = [h for h in response.results if h.language == "en"]
    assert english and all(h.why["boosts"].get("cross_language", 0) > 0 for h in english)
    semantic = engine.search("usinage de pièces", limit=6, ranking=Ranking.SEMANTIC)
    assert all("cross_language" not in h.why["boosts"] for h in semantic.results)


def test_a_short_query_gets_more_of_the_language_correction(engine: Engine) -> None:
    from ngen_connect.search.ranking import Weights

    w = Weights()
    # an index this small has no gap to measure: the fixed correction, once or scaled
    for query, words in (("usinage de pièces", 2), ("usinage de pièces de précision en titane", 4)):
        boosts = [
            h.why["boosts"].get("cross_language")
            for h in engine.search(query, limit=6).results
            if h.language == "en"
        ]
        scale = w.short_gap_scale if words <= w.short_query else 1.0
        assert boosts and boosts == pytest.approx([w.cross_language * scale] * len(boosts)), query


def test_a_record_gives_its_naics_codes_titles_in_both_languages(engine: Engine) -> None:
    attributes = engine.record("m3")["attributes"]
    assert attributes["naics"] == ["332710"]
    assert attributes["naics_titles"] == {
        "332710": {"en": "Machine shops", "fr": "Ateliers d'usinage"}
    }


def test_filters_apply_before_ranking(engine: Engine) -> None:
    only_qc = engine.search("welding", filters=Filters.parse({"province": ["Québec"]}), limit=5)
    assert set(ids(only_qc)) == {"m2", "m4"} and only_qc.total == 2
    assert ids(engine.search("parts", filters=Filters.parse({"naics": "3327"}))) in (
        ["m3", "m4"],
        ["m4", "m3"],
    )
    assert set(
        ids(engine.search("parts", filters=Filters.parse({"certification": "as 9100"})))
    ) == {"m3", "m4"}
    assert ids(engine.search("parts", filters=Filters.parse({"sme": "non"}))) == ["m5"]
    assert set(ids(engine.search("parts", filters=Filters.parse({"language": "fr"})))) == {
        "m2",
        "m4",
        "m5",
    }
    assert ids(
        engine.search("parts", filters=Filters.parse({"ownership": "Indigenous_Owned"}))
    ) == ["m4"]
    both = Filters.from_pairs(["province=QC", "province=ON", "naics=332"])
    assert set(ids(engine.search("parts", filters=both))) == {"m3", "m4"}


def test_bad_filters_are_query_errors(engine: Engine) -> None:
    with pytest.raises(QueryError, match="Unknown filter 'colour'"):
        Filters.parse({"colour": "red"})
    with pytest.raises(QueryError, match="naics"):
        Filters.parse({"naics": "33A"})
    with pytest.raises(QueryError, match="not a Canadian province"):
        Filters.parse({"province": "Atlantis"})
    with pytest.raises(QueryError, match="KEY=VALUE"):
        Filters.from_pairs(["province"])


def test_facets_count_the_filtered_result_set(engine: Engine) -> None:
    response = engine.search("parts", limit=2)
    facets = {
        key: {e["value"]: e["count"] for e in entries} for key, entries in response.facets.items()
    }
    assert response.total == 6 and len(response.results) == 2
    assert facets["province"] == {"QC": 2, "SK": 1, "ON": 1, "NS": 1, "AB": 1}
    assert facets["naics"]["332710"] == 2 and facets["sme"] == {"yes": 5, "no": 1}
    filtered = engine.search("parts", filters=Filters.parse({"province": "QC"}), ui_language="fr")
    labels = {e["value"]: e["label"] for e in filtered.facets["naics"]}
    assert labels["332710"] == "Ateliers d'usinage"
    assert {e["value"]: e["count"] for e in filtered.facets["province"]} == {"QC": 2}


def test_similar_organisations(engine: Engine) -> None:
    response = engine.similar("m3", limit=3)
    assert "m3" not in ids(response) and len(response.results) == 3
    with pytest.raises(RecordNotFoundError):
        engine.similar("nope")
    assert engine.record("m4")["attributes"]["ownership"] == ["indigenous_owned"]


def test_kinds_together_in_one_list(engine: Engine, tmp_path: Path) -> None:
    clusters = tmp_path / "clusters.csv"
    clusters.write_text(
        "id,name,description\nc1,Prairie Plastics Cluster,Plastic parts network.\n",
        encoding="utf-8",
    )
    engine.index_files([clusters], kind=Kind.CLUSTER)
    response = engine.search("plastic parts", limit=10)
    assert {h.kind for h in response.results} == {Kind.ORGANIZATION, Kind.CLUSTER}
    assert {e["value"] for e in response.facets["kind"]} == {"organization", "cluster"}


def test_export_csv_and_xlsx(engine: Engine, tmp_path: Path) -> None:
    response = engine.search("injection moulding", limit=4)
    assert write_results(tmp_path / "r.csv", response) == 4
    with (tmp_path / "r.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["id"] == "m2" and rows[0]["explanation"] and "glossary" not in rows[0]["boosts"]
    assert "moulage par injection" in rows[0]["glossary"]
    write_results(tmp_path / "r.xlsx", response)
    sheet = load_workbook(tmp_path / "r.xlsx").active
    assert sheet.cell(1, 4).value == "name" and sheet.cell(2, 2).value == "m2"
    with pytest.raises(QueryError, match=r"Write \.csv, \.xlsx, not '\.pdf'"):
        write_results(tmp_path / "r.pdf", response)


def test_french_analysis_handles_elision_accents_and_stems() -> None:
    assert analyse("L'usinage des pièces", "fr") == ["fr:usinag", "fr:piec"]
    assert analyse("Usinages de PIECES", "fr") == ["fr:usinag", "fr:piec"]
    assert analyse("The welded frames", "en") == ["en:weld", "en:frame"]
    assert "en:as9100" in analyse("AS9100 certified", "en")
    assert (
        highlight("Usinage de pièces & co", {"fr:piec"}, "fr")
        == "Usinage de <mark>pièces</mark> &amp; co"
    )


@pytest.mark.parametrize(
    ("query", "language"),
    [
        ("welding", "en"),
        ("soudage", "fr"),
        ("usinage CNC", "fr"),
        ("CNC machining", "en"),
        ("EV batteries", "en"),
        ("batteries VE", "fr"),
        ("fabrication additive", "fr"),
    ],
)
def test_short_queries_get_a_language(query: str, language: str) -> None:
    assert detect_query_language(query) == language


def test_a_province_named_in_the_query_lifts_records_there(engine: Engine) -> None:
    plain = {h.id: h for h in engine.search("plastic parts", limit=6).results}
    placed = {h.id: h for h in engine.search("plastic parts in Saskatchewan", limit=6).results}
    assert placed["m1"].why["boosts"]["place"] == 0.03 and "place" not in plain["m1"].why["boosts"]
    assert "in SK, the province the query names" in placed["m1"].explanation
    assert all("place" not in h.why["boosts"] for k, h in placed.items() if k != "m1")


def test_a_french_query_never_matches_an_english_name_through_a_french_stem(
    fake_engine: Engine,
) -> None:
    """ "génériques" and "Generation" share a French stem: a French query about generic drugs
    finds the French generic maker by its words, and neither the company called Generation nor
    its product, whose words are English."""
    from ngen_connect.index.products import PRODUCT_LIST
    from ngen_connect.indexer import build_passages
    from ngen_connect.models import Profile

    def profile(rid: str, name: str, texts: dict[str, str], **attributes: object) -> Profile:
        language = next(iter(texts))
        return Profile(
            rid,
            Kind.ORGANIZATION,
            name,
            texts,
            language,
            dict(attributes),
            passages=tuple(build_passages(texts)),
        )

    fake_engine.index_profiles(
        [
            profile(
                "generation",
                "Generation Labs Inc.",
                {"en": "Hospital disinfectants and sanitizers. Products: Generation V."},
                **{PRODUCT_LIST: [{"din": "02318571", "brand": "Generation V"}]},
            ),
            profile(
                "generiques",
                "Pharma Boréal inc.",
                {"fr": "Fabricant de médicaments génériques au Québec."},
            ),
        ]
    )
    query = "fabricant de médicaments génériques au Québec"
    assert ids(fake_engine.search(query, ranking=Ranking.KEYWORD)) == ["generiques"]
    assert "generation" in ids(fake_engine.search("Generation V", ranking=Ranking.KEYWORD))


def test_words_about_the_supplier_are_no_evidence_of_what_it_makes(fake_engine: Engine) -> None:
    """ "oral solution manufacturer" asks who makes oral solutions: a company called
    "... Manufacturing" or "... Fabrication" is not one by its name; "manufacturer" alone still
    finds it, and "contract manufacturing" is a capability, not a word about the supplier."""
    fake_engine.index_profiles(
        [
            _profile("armstrong", "Armstrong Manufacturing Inc", {"en": "Fasteners and brackets."}),
            _profile("total", "Total Fabrication inc.", {"fr": "Supports et attaches en acier."}),
            _profile("vita", "Vita Pharma", {"en": "Oral solutions and syrups for hospitals."}),
            _profile("cmo", "Pharma Contract", {"en": "Contract manufacturing of oral tablets."}),
        ]
    )
    for query in ("oral solution manufacturer", "fabricant de solutions orales"):
        assert "vita" in ids(fake_engine.search(query, ranking=Ranking.KEYWORD)), query
        found = ids(fake_engine.search(query, ranking=Ranking.KEYWORD))
        assert "armstrong" not in found and "total" not in found, (query, found)
    assert "armstrong" in ids(fake_engine.search("manufacturer", ranking=Ranking.KEYWORD))
    assert ids(fake_engine.search("contract manufacturing", ranking=Ranking.KEYWORD))[0] == "cmo"


def _profile(rid: str, name: str, texts: dict[str, str]) -> Profile:
    from ngen_connect.indexer import build_passages

    language = next(iter(texts))
    return Profile(
        rid, Kind.ORGANIZATION, name, texts, language, {}, passages=tuple(build_passages(texts))
    )
