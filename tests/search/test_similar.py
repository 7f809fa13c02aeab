"""`similar`: near-namesakes of the source do not crowd its list."""

from pathlib import Path

from ngen_connect import Engine
from ngen_connect.search.similar import namesakes, namesakes_last


def test_namesakes_start_alike() -> None:
    assert namesakes("Red River Cooperative Ltd.", "Red River Trucking Inc.")
    assert namesakes("Hatch Ltd.", "Hatch Mott MacDonald")
    assert not namesakes("Red River Cooperative", "Red Deer Trucking")
    assert not namesakes("American Mine Research", "American Cable Co.")
    assert not namesakes("AB Ltd.", "AB Welding")  # a one-word head of 2 letters says nothing
    assert not namesakes("The", "Thern, Inc.")


def test_namesakes_beyond_two_follow_the_others() -> None:
    ranked = ["Red River A", "Red River B", "Red River C", "Prairie D", "Red River E", "Coastal F"]
    assert namesakes_last("Red River Co-op", ranked, str) == [
        "Red River A",
        "Red River B",
        "Prairie D",
        "Coastal F",
        "Red River C",
        "Red River E",
    ]


def test_similar_keeps_capability_matches_above_namesakes(
    fake_engine: Engine, tmp_path: Path
) -> None:
    rows = ["id,name,description"]
    rows.append("src,Red River Cooperative,Red River grain handling and fuel for farms.")
    rows += [
        f"rr{i},Red River {kind},Red River {kind.lower()} services for the Red River valley."
        for i, kind in enumerate(("Trucking", "Dental", "Realty", "Insurance"))
    ]
    rows += [
        "g1,Prairie Grain Terminal,Grain handling and storage for farms.",
        "g2,Farm Fuel Supply,Fuel delivery and grain handling for farms.",
    ]
    path = tmp_path / "members.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    fake_engine.index_files([path])
    top = [hit.id for hit in fake_engine.similar("src", limit=4).results]
    assert sum(i.startswith("rr") for i in top) <= 2
    assert {"g1", "g2"} <= set(top)
