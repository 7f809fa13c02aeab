"""The registries service on a real data directory: uploads keep the member base clean, link
matched rows to their members, make new rows searchable, and never leak a private registry."""

from pathlib import Path

import pytest

from ngen_connect import ANONYMOUS, ApiKey, ConflictError, Engine, QueryError, RecordNotFoundError
from ngen_connect.registries import RegistryService, Status, parse_statuses
from ngen_connect.registries.access import Access
from ngen_connect.search.filters import Filters

MEMBERS = """id,name,description,city,province,website
m1,Usinage Côté ltée,Usinage CNC de pièces en titane.,Québec,QC,cote.example
m2,Prairie Plastics Ltd.,Injection moulding of plastic housings.,Regina,SK,prairieplastics.example
m3,Northern Welding Inc.,Robotic welding of steel frames.,Calgary,AB,northernwelding.example
"""
SUPPLIERS = """name,description,city,province,website
USINAGE COTE LIMITEE,CNC machining,Québec,QC,cote.example
Prairie Plastics,Plastic parts,Regina,SK,prairieplastics.example
Keystone Pumps,Dewatering pumps for mines.,Saskatoon,SK,keystonepumps.example
"""


@pytest.fixture
def service(fake_engine: Engine, tmp_path: Path) -> RegistryService:
    members = tmp_path / "members.csv"
    members.write_text(MEMBERS, encoding="utf-8")
    fake_engine.index_files([members])
    return RegistryService(fake_engine)


def _upload(service: RegistryService, tmp_path: Path, name: str, text: str) -> dict[str, int]:
    path = tmp_path / f"{name}.csv"
    path.write_text(text, encoding="utf-8")
    return service.upload(name, path).report.counts()


def test_an_upload_links_members_and_adds_only_new_rows(
    service: RegistryService, tmp_path: Path
) -> None:
    counts = _upload(service, tmp_path, "simsa", SUPPLIERS)
    assert (counts["matched"], counts["new"]) == (2, 1)
    engine = service.engine
    organisations = [r for r in engine.records().values() if r.kind == "organization"]
    assert sorted(r.name for r in organisations) == [
        "Keystone Pumps",
        "Northern Welding Inc.",
        "Prairie Plastics Ltd.",
        "Usinage Côté ltée",
    ], "a matched row is no new organisation"
    member = engine.record("m2")
    assert member["attributes"]["listed_in"]["simsa"]["name"] == "Prairie Plastics"
    names = [h.name for h in engine.search("plastic", limit=100).results]
    assert names.count("Prairie Plastics Ltd.") == 1
    listed = engine.search("plastic pumps machining", filters=Filters.parse({"registry": "simsa"}))
    assert {h.id for h in listed.results} == {"m1", "m2", "simsa:" + _new_id(engine)}
    again = _upload(service, tmp_path, "simsa", SUPPLIERS)
    assert again == counts, "the same file twice gets the same statuses"


def _new_id(engine: Engine) -> str:
    [record] = [r for r in engine.records().values() if r.attributes.get("registry") == "simsa"]
    return record.id.split(":", 1)[1]


def test_a_changed_upload_removes_what_left_the_file(
    service: RegistryService, tmp_path: Path
) -> None:
    _upload(service, tmp_path, "simsa", SUPPLIERS)
    path = tmp_path / "v2.csv"
    path.write_text(SUPPLIERS.splitlines()[0] + "\n" + SUPPLIERS.splitlines()[2] + "\n")
    upload = service.upload("simsa", path)
    assert upload.changes.removed and upload.indexed.removed == 1
    assert not [r for r in service.engine.records().values() if r.attributes.get("registry")]
    assert "simsa" not in service.engine.record("m1")["attributes"].get("listed_in", {})
    assert "simsa" in service.engine.record("m2")["attributes"]["listed_in"]


def test_private_records_never_reach_another_registry_or_caller(
    service: RegistryService, tmp_path: Path
) -> None:
    access = Access(service.engine.settings.data_dir)
    access.make_private("pharma-vault", "pharma-vault-key-0123456789")
    _upload(
        service, tmp_path, "pharma-vault", "name,description\nSecret Pharma Inc.,Sterile fills.\n"
    )
    _upload(
        service, tmp_path, "pharma-vault", SUPPLIERS.replace("Keystone Pumps", "Secret Pharma Inc.")
    )
    report = service.upload(
        "other", _write(tmp_path / "o.csv", "name\nSecret Pharma Inc.\nUsinage Côté\n")
    ).report
    assert report.rows[0].match.status.value == "new"
    assert not report.rows[0].match.candidates
    assert report.rows[1].match.status.value in {"matched", "ambiguous"}
    hidden = access.rights(ANONYMOUS).hidden
    assert hidden == {"pharma-vault"}
    stranger = Filters.parse({"registry": "pharma-vault"}).hiding(hidden)
    assert service.engine.search("sterile machining", filters=stranger).total == 0
    everything = service.engine.search("sterile", filters=Filters().hiding(hidden), limit=100)
    assert {h.attributes.get("registry") for h in everything.results} == {None, "other"}
    for hit in everything.results:
        assert "pharma-vault" not in hit.attributes.get("listed_in", {})
    holder = Filters.parse({"registry": "pharma-vault"}).hiding(
        access.rights(ApiKey("pharma-vault-key-0123456789")).hidden
    )
    assert service.engine.search("sterile machining", filters=holder).total >= 2


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_member_is_matched_by_its_operating_name(fake_engine: Engine, tmp_path: Path) -> None:
    members = _write(
        tmp_path / "membres.csv",
        "id;Raison sociale;Nom commercial;Activités;Ville\n"
        "q1;9123-4567 Québec inc.;Usinage Gagnon;Usinage CNC de pièces d'aluminium.;Lévis\n"
        "q2;Soudure Roy ltée;;Soudure robotisée.;Lévis\n",
    )
    fake_engine.index_files([members])
    assert fake_engine.record("q1")["attributes"]["operating_name"] == "Usinage Gagnon"
    service = RegistryService(fake_engine)
    registry = _write(
        tmp_path / "simsa.csv",
        "name,city\nUSINAGE GAGNON,Lévis\n"
        # the row's own trade name names the member's legal name
        "Gagnon Precision,Lévis\n",
    )
    report = service.match(registry)
    best = report.rows[0].match.best
    assert report.rows[0].match.status.value == "matched" and best is not None
    assert best.id == "q1" and best.evidence["operating_name"] is True
    assert report.rows[1].match.status.value == "new"
    with_trade_names = _write(
        tmp_path / "simsa2.csv",
        "company,trade name,city\nGagnon Precision,Soudure Roy,Lévis\n",
    )
    (row,) = service.match(with_trade_names).rows
    assert row.match.status.value == "matched" and row.match.best is not None
    assert row.match.best.id == "q2"
    upload = service.upload("simsa", registry)
    assert upload.listed == 1
    listed = fake_engine.record("q1")["attributes"]["listed_in"]["simsa"]
    assert listed["name"] == "USINAGE GAGNON"


# -- people decide ambiguous rows --------------------------------------------------------------

TWINS = "id,name,description,city,province\nm4,Prairie Plastics Inc.,Rotational moulding of tanks.,Saskatoon,SK\n"
#: row 2 is matched, row 3 is ambiguous (two members named Prairie Plastics), row 4 is new
REVIEW = """name,description
USINAGE COTE LIMITEE,CNC machining
Prairie Plastics,Plastic parts
Keystone Pumps,Dewatering pumps for mines.
"""


@pytest.fixture
def reviewed(service: RegistryService, tmp_path: Path) -> RegistryService:
    service.engine.index_files([_write(tmp_path / "twins.csv", TWINS)])
    upload = service.upload("simsa", _write(tmp_path / "review.csv", REVIEW))
    statuses = [r.match.status.value for r in upload.report.rows]
    assert statuses == ["matched", "ambiguous", "new"] and upload.number == 1
    return service


def _registry_ids(engine: Engine) -> set[str]:
    hits = engine.search("plastic pumps machining", filters=Filters.parse({"registry": "simsa"}))
    return {h.id for h in hits.results}


def test_accepting_a_candidate_lists_the_member_and_keeps_the_decision(
    reviewed: RegistryService,
) -> None:
    engine = reviewed.engine
    before = _registry_ids(engine)
    assert "m4" not in before and "m2" not in before
    row = reviewed.kept("simsa").report.row(3)
    assert {c.id for c in row.match.candidates} >= {"m2", "m4"}
    decided = reviewed.decide("simsa", None, 3, Status.MATCHED, "m4")
    assert decided.row["status"] == "matched" and decided.row["match_id"] == "m4"
    assert decided.row["candidate_details"][0]["id"] == "m4" and decided.row["decided"]
    assert decided.counts["matched"] == 2 and decided.counts["ambiguous"] == 0
    assert (decided.indexed.added, decided.indexed.removed) == (0, 0), "nothing re-embedded"
    assert _registry_ids(engine) == before | {"m4"}
    assert engine.record("m4")["attributes"]["listed_in"]["simsa"]["name"] == "Prairie Plastics"
    kept = reviewed.kept("simsa", 1)
    assert kept.report.row(3).decision is not None
    assert kept.report.row(3).to_dict()["decision"] == "matched"
    assert kept.report.counts()["matched"] == 2


def test_a_row_called_new_becomes_the_registrys_record_and_can_be_changed_again(
    reviewed: RegistryService,
) -> None:
    engine = reviewed.engine
    decided = reviewed.decide("simsa", 1, 3, Status.NEW)
    assert decided.indexed.added == 1 and decided.indexed.unchanged == 1
    new_ids = {i for i in _registry_ids(engine) if i.startswith("simsa:")}
    assert len(new_ids) == 2
    names = [h.name for h in engine.search("plastic", limit=100).results]
    assert names.count("Prairie Plastics") == 1
    again = reviewed.decide("simsa", 1, 3, Status.MATCHED, "m2")
    assert again.indexed.removed == 1 and "m2" in _registry_ids(engine)
    assert len({i for i in _registry_ids(engine) if i.startswith("simsa:")}) == 1


def test_decisions_are_checked(reviewed: RegistryService, tmp_path: Path) -> None:
    with pytest.raises(QueryError, match="not a candidate"):
        reviewed.decide("simsa", 1, 3, Status.MATCHED, "m3")
    with pytest.raises(QueryError, match="'matched'"):
        reviewed.decide("simsa", 1, 3, Status.AMBIGUOUS)
    with pytest.raises(RecordNotFoundError, match="no row 9"):
        reviewed.decide("simsa", 1, 9, Status.NEW)
    with pytest.raises(RecordNotFoundError, match="no upload 7"):
        reviewed.decide("simsa", 7, 3, Status.NEW)
    with pytest.raises(RecordNotFoundError, match="'nobody' has no upload"):
        reviewed.kept("nobody")
    rejected = reviewed.upload("simsa", _write(tmp_path / "r.csv", REVIEW + ",nameless\n"))
    assert rejected.number == 2 and rejected.report.rows[-1].match.status is Status.REJECTED
    with pytest.raises(QueryError, match="rejected"):
        reviewed.decide("simsa", 2, 5, Status.NEW)
    with pytest.raises(ConflictError, match="latest"):
        reviewed.decide("simsa", 1, 3, Status.NEW)
    reviewed.engine.delete(["m4"])
    with pytest.raises(ConflictError, match="no longer among the members"):
        reviewed.decide("simsa", 2, 3, Status.MATCHED, "m4")
    assert reviewed.kept("simsa").report.row(3).decision is None, (
        "a refused decision changes nothing"
    )


def test_the_next_upload_keeps_decisions_on_rows_that_did_not_change(
    reviewed: RegistryService, tmp_path: Path
) -> None:
    reviewed.decide("simsa", 1, 3, Status.MATCHED, "m4")
    same = reviewed.upload("simsa", _write(tmp_path / "same.csv", REVIEW))
    assert [r.match.status.value for r in same.report.rows] == ["matched", "matched", "new"]
    assert same.report.rows[1].match.best.id == "m4"  # type: ignore[union-attr]
    assert "simsa" in reviewed.engine.record("m4")["attributes"]["listed_in"]
    changed = reviewed.upload(
        "simsa", _write(tmp_path / "changed.csv", REVIEW.replace("Plastic parts", "Plastic bins"))
    )
    assert changed.report.rows[1].match.status is Status.AMBIGUOUS, "its values changed"
    assert "simsa" not in reviewed.engine.record("m4")["attributes"].get("listed_in", {})


def test_a_report_is_exported_whole_or_its_unmatched_rows_in_french(
    reviewed: RegistryService, tmp_path: Path
) -> None:
    report = reviewed.kept("simsa").report
    out = tmp_path / "rapport.csv"
    written = report.write(out, language="fr", statuses=parse_statuses(["unmatched"]))
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert written == 2 and len(lines) == 3
    assert lines[0].startswith("ligne,id fourni,nom fourni,statut,confiance")
    assert "Prairie Plastics" in lines[1] and "Keystone Pumps" in lines[2]
    with pytest.raises(QueryError, match="Unknown status 'done'"):
        parse_statuses(["done"])
    rows = reviewed.review_rows(report.only(parse_statuses(["ambiguous"])))
    [row] = rows
    places = {c["id"]: c["city"] for c in row["candidate_details"]}
    assert places["m2"] == "Regina" and places["m4"] == "Saskatoon" and row["decidable"]


def test_needs_of_an_unknown_registry_are_refused(
    reviewed: RegistryService, tmp_path: Path
) -> None:
    needs = _write(tmp_path / "needs.csv", "need\nplastic tanks\n")
    with pytest.raises(RecordNotFoundError, match="no suppliers yet"):
        reviewed.needs("nobody", needs)
    with pytest.raises(RecordNotFoundError):
        reviewed.needs("simsa", needs, hidden=["simsa"])
    found = reviewed.needs("simsa", needs, ui_language="fr")
    assert found.results[2] and {s.name for s in reviewed.registries()} == {"simsa"}


def test_an_xlsx_upload_with_dates_is_kept_and_decided(
    reviewed: RegistryService, tmp_path: Path
) -> None:
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["name", "description", "member since"])
    sheet.append(["Prairie Plastics", "Plastic parts", datetime(2019, 4, 1)])
    sheet.append(["Keystone Pumps", "Dewatering pumps for mines.", datetime(2021, 1, 15)])
    path = tmp_path / "dated.xlsx"
    book.save(path)
    upload = reviewed.upload("simsa", path)
    assert [r.match.status for r in upload.report.rows] == [Status.AMBIGUOUS, Status.NEW]
    decided = reviewed.decide("simsa", upload.number, 2, Status.NEW)
    assert decided.indexed.added == 1 and decided.indexed.updated == 0
    assert reviewed.kept("simsa").report.row(2).decision is not None


def test_a_directory_listing_a_company_per_row_becomes_one_record_and_search_works(
    service: RegistryService, tmp_path: Path
) -> None:
    directory = _write(
        tmp_path / "directory.csv",
        "category,name,city,description\n"
        "pumps,Keystone Pumps,Saskatoon,Dewatering pumps.\n"
        "valves,Keystone Pumps,Saskatoon,Slurry valves.\n"
        "liners,Wear Liners Co,Regina,Abrasion resistant liners.\n",
    )
    upload = service.upload("simsa", directory)
    assert [r.match.status for r in upload.report.rows] == [Status.NEW] * 3
    assert "merged into that record" in upload.report.rows[1].to_dict()["warnings"]
    assert upload.indexed.added == 2
    engine = service.engine
    hits = engine.search(
        "slurry valves dewatering pumps", filters=Filters.parse({"registry": "simsa"})
    )
    [keystone] = [h for h in hits.results if h.name == "Keystone Pumps"]
    record = engine.record(keystone.id)
    assert "Slurry valves." in " ".join(record["texts"].values())
    assert record["source"] == str(directory)


def test_an_id_used_twice_in_a_registry_file_is_rejected(
    service: RegistryService, tmp_path: Path
) -> None:
    path = _write(
        tmp_path / "ids.csv", "id,name,description\ns1,Keystone Pumps,Pumps.\ns1,Other Co,Valves.\n"
    )
    report = service.upload("simsa", path, label="ids.csv").report
    assert [r.match.status for r in report.rows] == [Status.NEW, Status.REJECTED]
    assert report.rows[1].match.reason == "column 'id': duplicate id 's1': already used by row 2"
    assert report.rejected[0].file == "ids.csv"


def test_an_upload_is_named_by_ascii_digits_or_latest() -> None:
    from ngen_connect.errors import QueryError
    from ngen_connect.registries import upload_number

    assert upload_number("00003") == 3 and upload_number(" latest ") is None
    for bad in ("²", "١", "１", "0", "abc", "-1"):
        with pytest.raises(QueryError):
            upload_number(bad)


def test_a_need_too_long_to_search_is_rejected_alone(
    service: RegistryService, tmp_path: Path
) -> None:
    service.upload("simsa", _write(tmp_path / "s.csv", SUPPLIERS))
    needs = _write(tmp_path / "needs.csv", "need\n" + "pump " * 400 + "\ndewatering pumps\n")
    found = service.needs("simsa", needs, label="besoins.csv")
    assert [n.row for n in found.needs] == [3] and found.results[3]
    assert [(e.file, e.row) for e in found.rejected] == [("besoins.csv", 2)]
