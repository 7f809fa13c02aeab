from pathlib import Path

import pytest

from ngen_connect.errors import InputFileError, RowError
from ngen_connect.models import Kind, Profile
from ngen_connect.profiles import guess_mapping, parse_mapping, profile_from_row, read_profiles
from ngen_connect.readers import Row, read_rows


def _profile(
    values: dict[str, object], mapping: dict[str, str] | None = None
) -> Profile | list[RowError]:
    mapping = mapping or guess_mapping(values.keys())
    return profile_from_row(Row(2, dict(values)), "f.csv", Kind.ORGANIZATION, mapping)


def test_headers_are_recognised_in_english_and_french() -> None:
    mapping = guess_mapping(
        ["Nom de l'entreprise", "Capacités", "Ville", "Code postal", "SCIAN", "PME"]
    )
    assert mapping == {
        "name": "Nom de l'entreprise",
        "description": "Capacités",
        "city": "Ville",
        "postal_code": "Code postal",
        "naics": "SCIAN",
        "sme": "PME",
    }
    assert guess_mapping(["Company", "Capabilities"]) == {
        "name": "Company",
        "description": "Capabilities",
    }


def test_explicit_mapping_overrides_the_guess() -> None:
    mapping = guess_mapping(
        ["name", "Raison sociale", "about"], parse_mapping(["name=Raison sociale"])
    )
    assert mapping["name"] == "Raison sociale"
    with pytest.raises(ValueError, match="unknown field 'colour'"):
        parse_mapping(["colour=Couleur"])
    with pytest.raises(ValueError, match="is not FIELD=COLUMN"):
        parse_mapping(["name"])


def test_values_are_normalised() -> None:
    profile = _profile(
        {
            "name": " Acme ",
            "description": "Machining of aluminium parts for trucks.",
            "province": "Québec",
            "naics": "332710; 3323",
            "certifications": "ISO 9001 | AS9100",
            "employees": "1,200",
            "type": "Fabricant",
            "website": "HTTPS://Acme.example/",
            "Notes": "kept",
        }
    )
    assert isinstance(profile, Profile)
    assert profile.name == "Acme"
    assert profile.attributes["province"] == "QC" and profile.attributes["country"] == "CA"
    assert profile.attributes["naics"] == ["332710", "3323"]
    assert profile.attributes["certifications"] == ["ISO 9001", "AS9100"]
    assert profile.attributes["employees"] == 1200
    assert profile.attributes["employee_band"] == "500+" and profile.attributes["sme"] is False
    assert profile.attributes["org_type"] == "manufacturer"
    assert profile.attributes["website"] == "https://acme.example"
    assert profile.attributes["extra"] == {"Notes": "kept"}
    assert profile.language == "en"


def test_every_bad_value_is_reported_with_its_column() -> None:
    errors = _profile(
        {"nom": "", "description": "x", "province": "Atlantis", "naics": "33A", "pme": "peut-être"}
    )
    assert isinstance(errors, list)
    assert {(e.row, e.column) for e in errors} == {
        (2, "nom"),
        (2, "province"),
        (2, "naics"),
        (2, "pme"),
    }
    assert all(e.file == "f.csv" for e in errors)


def test_bilingual_profile_keeps_both_texts() -> None:
    profile = _profile(
        {
            "name": "Coastal Composites",
            "description_en": "Carbon-fibre boat hulls built by resin infusion.",
            "description_fr": "Coques de bateaux en fibre de carbone fabriquées par infusion de résine.",
        }
    )
    assert isinstance(profile, Profile)
    assert profile.language == "en+fr"
    assert set(profile.texts) == {"en", "fr"}
    assert {p.language for p in profile.passages} == {"en", "fr"}


def test_language_of_a_single_text_is_detected() -> None:
    profile = _profile(
        {
            "name": "X",
            "description": "Atelier d'usinage de pièces de précision pour l'aéronautique.",
        }
    )
    assert isinstance(profile, Profile)
    assert profile.language == "fr" and "fr" in profile.texts


def test_generated_ids_are_stable() -> None:
    first = _profile({"name": "Acme", "description": "Welding.", "city": "Regina"})
    second = _profile({"name": "ACME", "description": "Welding and more.", "city": "Regina"})
    assert isinstance(first, Profile) and isinstance(second, Profile)
    assert first.id == second.id and first.id.startswith("gen-")


def test_missing_required_columns_reject_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("company,city\nAcme,Regina\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="missing a description column"):
        list(read_profiles(str(path), read_rows(path), Kind.ORGANIZATION))


def test_empty_description_is_a_row_error(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("name,description\nAcme,\nBeta,Forging\n", encoding="utf-8")
    items = list(read_profiles(str(path), read_rows(path), Kind.ORGANIZATION))
    assert (
        isinstance(items[0], RowError)
        and items[0].row == 2
        and "no description" in items[0].message
    )
    assert isinstance(items[1], Profile) and items[1].name == "Beta"
