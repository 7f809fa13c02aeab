"""The registries service on a real data directory: uploads keep the member base clean, link
matched rows to their members, make new rows searchable, and never leak a private registry."""

from pathlib import Path

import pytest

from ngen_connect import Engine
from ngen_connect.registries import RegistryService
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
    access.make_private("scan-health", "scan-health-key-0123456789")
    _upload(
        service, tmp_path, "scan-health", "name,description\nSecret Pharma Inc.,Sterile fills.\n"
    )
    _upload(
        service, tmp_path, "scan-health", SUPPLIERS.replace("Keystone Pumps", "Secret Pharma Inc.")
    )
    report = service.upload(
        "other", _write(tmp_path / "o.csv", "name\nSecret Pharma Inc.\nUsinage Côté\n")
    ).report
    assert report.rows[0].match.status.value == "new"
    assert not report.rows[0].match.candidates
    assert report.rows[1].match.status.value in {"matched", "ambiguous"}
    hidden = access.caller(None).hidden
    assert hidden == {"scan-health"}
    stranger = Filters.parse({"registry": "scan-health"}).hiding(hidden)
    assert service.engine.search("sterile machining", filters=stranger).total == 0
    everything = service.engine.search("sterile", filters=Filters().hiding(hidden), limit=100)
    assert {h.attributes.get("registry") for h in everything.results} == {None, "other"}
    for hit in everything.results:
        assert "scan-health" not in hit.attributes.get("listed_in", {})
    holder = Filters.parse({"registry": "scan-health"}).hiding(
        access.caller("scan-health-key-0123456789").hidden
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
