import csv
from collections import Counter
from pathlib import Path

from ngen_connect.models import Kind
from ngen_connect.sample import bundled_sample_files, generate, write_sample
from ngen_connect.sample.vocabulary import SECTORS


def test_generation_is_seeded() -> None:
    assert generate(50, 5, 10, seed=7) == generate(50, 5, 10, seed=7)
    assert generate(50, 5, 10, seed=7)[0] != generate(50, 5, 10, seed=8)[0]


def test_member_base_looks_like_ngen() -> None:
    orgs, clusters, assets = generate(3000, 32, 200)
    assert len(clusters) == 32 and len(assets) == 200
    assert len({o["name"] for o in orgs}) == 3000
    provinces = Counter(o["province"] for o in orgs)
    assert set(provinces) == {
        "AB",
        "BC",
        "MB",
        "NB",
        "NL",
        "NS",
        "NT",
        "NU",
        "ON",
        "PE",
        "QC",
        "SK",
        "YT",
    }
    french_only = [o for o in orgs if o["description_fr"] and not o["description_en"]]
    bilingual = [o for o in orgs if o["description_fr"] and o["description_en"]]
    assert 0.12 < len(french_only) / len(orgs) < 0.3 and 0.04 < len(bilingual) / len(orgs) < 0.2
    assert Counter(o["province"] for o in french_only).most_common(1)[0][0] == "QC"
    assert {o["type"] for o in orgs} == {
        "manufacturer",
        "technology_supplier",
        "research",
        "ecosystem_partner",
    }
    assert all(o["sample"] == "yes" and o["id"].startswith("sample-") for o in orgs)
    # Natural variety: no two profiles share their text.
    texts = [o["description_en"] or o["description_fr"] for o in orgs]
    assert len(set(texts)) == len(texts)


def test_codes_exist_in_the_reference_classifications(shared_data: Path) -> None:
    with (shared_data / "naics" / "naics-scian-2022-structure-v1-eng.csv").open(
        encoding="utf-8-sig"
    ) as handle:
        naics = {row["Code"] for row in csv.DictReader(handle)}
    with (shared_data / "ipc" / "ipc_subclasses_en_fr.csv").open(encoding="utf-8") as handle:
        ipc = {row["symbol"] for row in csv.DictReader(handle)}
    for sector in SECTORS:
        assert set(sector.naics) <= naics, sector.key
        assert set(sector.ipc) <= ipc, sector.key


def test_written_files_and_bundled_slice(tmp_path: Path) -> None:
    paths = write_sample(tmp_path, organizations=20, clusters=3, ip_assets=5)
    assert [p.name for p in paths] == ["organizations.csv", "clusters.csv", "ip_assets.csv"]
    kinds = [kind for kind, _ in bundled_sample_files()]
    assert kinds == [Kind.ORGANIZATION, Kind.CLUSTER, Kind.IP_ASSET]
    for _, path in bundled_sample_files():
        with path.open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        assert rows and all(row["sample"] == "yes" for row in rows)
