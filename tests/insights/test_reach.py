"""Cluster reach: members by province, country and NAICS family, and those outside the
cluster's province, in the core, on the command line and over HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ngen_connect import ANONYMOUS, OPERATOR, Kind, RecordSummary, Service
from ngen_connect.insights import cluster_reach
from tests.conftest import copy_index, demo_engine, in_process, invoke_cli


def _record(kind: Kind, id: str, name: str, **attributes: Any) -> RecordSummary:
    return RecordSummary(id, kind, name, "en", attributes, 1)


def test_members_come_from_either_side_of_the_link() -> None:
    reach = cluster_reach(
        [
            _record(Kind.CLUSTER, "c1", "Windsor Cluster", province="ON", members=["a"]),
            _record(Kind.CLUSTER, "c2", "National Cluster", members=["a", "c", "gone"]),
            _record(Kind.ORGANIZATION, "a", "Acme", province="ON", country="CA", naics=["332710"]),
            _record(
                Kind.ORGANIZATION,
                "b",
                "Beta",
                province="QC",
                country="CA",
                naics=["332999", "336411"],
                clusters=["c1"],
            ),
            _record(Kind.ORGANIZATION, "c", "Gamma", country="US", naics=["3327"]),
        ]
    )
    national, windsor = reach.clusters  # by name
    assert [m.id for m in windsor.members] == ["a", "b"]  # listed by the cluster, or listing it
    assert [m.id for m in windsor.outside()] == ["b"]  # Beta is in Québec
    assert windsor.families() == {"332": 2, "336": 1}
    assert windsor.row()["members_by_province"] == "ON 1; QC 1"
    # a cluster with no province has no member outside it; an unknown member id is left out
    assert [m.id for m in national.members] == ["a", "c"] and national.outside() == []
    assert national.by_country() == {"CA": 1, "US": 1}
    assert reach.summary() == {
        "clusters": 2,
        "members": 3,
        "provinces": 2,
        "countries": 2,
        "outside_region": 1,
    }


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, sample_index: Path) -> Path:
    """The sample index with one member in a private registry, in Nunavut, of a cluster."""
    folder = tmp_path_factory.mktemp("reach")
    data = copy_index(sample_index, folder / "data")
    engine = demo_engine(data)
    service = Service(engine)
    cluster = next(r for r in engine.records().values() if r.kind is Kind.CLUSTER)
    vault = folder / "vault.csv"
    vault.write_text(
        "id,name,description,province,country,naics,clusters\n"
        f"vault-1,Qilak Toy Works,Toy manufacturing in Iqaluit.,NU,CA,339930,{cluster.id}\n",
        encoding="utf-8",
    )
    service.upload(OPERATOR, "vault-reach", vault)
    service.make_private(OPERATOR, "vault-reach", "vault-reach-key-0123456789abcdef")
    engine.close()
    return data


def test_the_command_line_and_http_agree_and_hide_a_private_member(data_dir: Path) -> None:
    shown = invoke_cli(
        "insights", "reach", "--data-dir", str(data_dir), "--model", "fake", "--json"
    )
    assert shown.exit_code == 0, shown.output
    everything = json.loads(shown.stdout)
    assert everything["summary"]["clusters"] == 32
    assert any("NU" in c["members_by_province"] for c in everything["clusters"])
    out = data_dir.parent / "reach.csv"
    written = invoke_cli(
        "insights", "reach", "--data-dir", str(data_dir), "--model", "fake", "--out", str(out)
    )
    assert written.exit_code == 0 and out.read_text(encoding="utf-8-sig").startswith("cluster,")
    assert "32 clusters" in written.stdout and " 1 countries" not in written.stdout
    french = invoke_cli(
        "insights", "reach", "--data-dir", str(data_dir), "--model", "fake", "--lang", "fr"
    )
    assert french.exit_code == 0 and french.stdout.startswith("32 grappes, ")
    assert "members" not in french.stdout and "countries" not in french.stdout
    engine = demo_engine(data_dir)
    with in_process(engine) as client:
        answer = client.get("/insights/reach", headers={"Accept-Language": "fr"})
        assert answer.status_code == 200, answer.text
        public = answer.json()
        # the private registry's member counts only for its key
        assert public["summary"]["members"] == everything["summary"]["members"] - 1
        assert not any("NU" in c["members_by_province"] for c in public["clusters"])
        keyed = client.get(
            "/insights/reach", headers={"X-API-Key": "vault-reach-key-0123456789abcdef"}
        ).json()
        assert keyed["summary"] == everything["summary"]
        assert client.get("/insights/reach", params={"planet": "x"}).status_code == 400
    engine = demo_engine(data_dir)
    assert Service(engine).reach(ANONYMOUS).summary() == public["summary"]
    engine.close()
