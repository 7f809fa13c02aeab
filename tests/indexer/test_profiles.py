from pathlib import Path

import pytest

from ngen_connect.errors import InputFileError, QueryError
from ngen_connect.indexer.columns import guess_mapping, infer_kind, parse_mapping
from ngen_connect.indexer.readers import Row, read_rows
from ngen_connect.indexer.rows import ParsedRow, merge_profiles, profile_from_row, read_profiles
from ngen_connect.models import Kind, Profile


def _parse(values: dict[str, object], mapping: dict[str, str] | None = None) -> ParsedRow:
    mapping = mapping or guess_mapping(values.keys())
    return profile_from_row(Row(2, dict(values)), "f.csv", Kind.ORGANIZATION, mapping)


def _profile(values: dict[str, object]) -> Profile:
    parsed = _parse(values)
    assert parsed.profile is not None, parsed.errors
    return parsed.profile


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
    with pytest.raises(QueryError, match="unknown field 'colour'"):
        parse_mapping(["colour=Couleur"])
    with pytest.raises(QueryError, match="is not FIELD=COLUMN"):
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


def test_an_odd_value_is_a_warning_on_a_kept_row() -> None:
    parsed = _parse(
        {
            "nom": "Atlas",
            "description": "x",
            "province": "Atlantis",
            "naics": "33A; 332710",
            "pme": "peut-être",
        }
    )
    assert parsed.profile is not None and not parsed.errors
    assert {(w.row, w.column) for w in parsed.warnings} == {
        (2, "province"),
        (2, "naics"),
        (2, "pme"),
    }
    assert all(w.file == "f.csv" and "kept as given" in w.message for w in parsed.warnings)
    attributes = parsed.profile.attributes
    assert attributes["naics"] == ["332710"] and attributes["region"] == "Atlantis"
    assert attributes["extra"] == {"naics": "33A; 332710", "pme": "peut-être"}
    assert "province" not in attributes and "sme" not in attributes


def test_a_row_is_rejected_only_without_a_name() -> None:
    parsed = _parse({"nom": " ", "description": "Welding.", "province": "Atlantis"})
    assert parsed.profile is None
    assert [(e.row, e.column, e.message) for e in parsed.errors] == [
        (2, "nom", "the name is empty")
    ]


def test_too_long_values_are_cut_with_a_warning() -> None:
    parsed = _parse({"name": "N" * 400, "description": "word " * 5000})
    assert parsed.profile is not None
    assert len(parsed.profile.name) == 301 and parsed.profile.name.endswith("…")
    assert parsed.profile.attributes["extra"]["name"] == "N" * 400
    assert len(parsed.profile.description) == 20_000
    assert {w.column for w in parsed.warnings} == {"name", "description"}


def test_addresses_worldwide() -> None:
    def place(**values: str) -> dict[str, object]:
        attributes = _profile({"name": "A", "description": "Welding.", **values}).attributes
        keys = ("province", "region", "country", "postal_code")
        return {k: attributes[k] for k in keys if k in attributes}

    assert place(province="COLOMBIE-BRITANIQUE", country="CANADA") == {
        "province": "BC",
        "country": "CA",
    }
    assert place(province="PA", country="USA") == {"region": "PA", "country": "US"}
    assert place(province="NEW YORK", pays="ÉTATS UNIS") == {"region": "NEW YORK", "country": "US"}
    assert place(province="Val-de-Marne", country="France") == {
        "region": "Val-de-Marne",
        "country": "FR",
    }
    assert place(province="--", country="KOREA, REPUBLIC OF") == {"country": "KR"}
    assert place(state="PA", zip="15301") == {
        "region": "PA",
        "country": "US",
        "postal_code": "15301",
    }
    assert place(country="Canada", zip="AB T6B 3C3") == {
        "province": "AB",
        "country": "CA",
        "postal_code": "T6B 3C3",
    }
    assert place(province="P.Q.") == {"province": "QC", "country": "CA"}
    for spelling in ("Qc", "Ont.", "Sask.", "Nfld", "Terre-Neuve", "nouvelle-écosse", "I.-P.-É."):
        assert "province" in place(province=spelling), spelling
    assert place(province="BC Canada") == {"province": "BC", "country": "CA"}
    assert place(country="Québec") == {"province": "QC", "country": "CA"}
    assert place(province="Ohio", country="Untied States")["country"] == "US"


def test_a_misspelt_province_or_country_is_read_and_reported() -> None:
    parsed = _parse(
        {"name": "A", "description": "Welding.", "province": "Ontaryo", "country": "Canadaa"}
    )
    assert parsed.profile is not None
    assert parsed.profile.attributes["province"] == "ON"
    assert parsed.profile.attributes["country"] == "CA"
    assert sorted(w.message for w in parsed.warnings) == [
        "'Canadaa' read as CA",
        "'Ontaryo' read as ON",
    ]


def test_language_column_is_used_and_detection_stays_in_english_and_french() -> None:
    declared = _profile({"name": "A", "description": "Pompes; vannes", "langue": "Français"})
    assert declared.language == "fr"
    for text in ("Supplier categories: pumps.", "Pumps, valves and hoses for mines."):
        assert _profile({"name": "A", "description": text}).language == "en"
    assert _profile({"name": "A", "description": "abrasion"}).language == "und"
    german = "Wir sind ein Hersteller von Pumpen und Ventilen für den Bergbau."
    assert _profile({"name": "A", "description": german}).language == "und"
    spanish = "Somos una empresa familiar dedicada a la fabricación de piezas para la minería."
    assert _profile({"name": "A", "description": spanish}).language == "und"
    odd = _parse({"name": "A", "description": "Welding.", "language": "Klingon"})
    assert odd.profile is not None and odd.warnings[0].column == "language"


def test_language_suffixed_columns_are_all_read() -> None:
    profile = _profile(
        {
            "name": "Folie Technique",
            "mission_fr": "Offrir aux jeunes la possibilité de découvrir les sciences.",
            "activities_fr": "Camp d'été scientifique en aérospatiale.",
        }
    )
    assert profile.language == "fr"
    assert "Offrir" in profile.texts["fr"] and "Camp d'été" in profile.texts["fr"]


def test_categories_stand_in_for_a_missing_description() -> None:
    profile = _profile({"company": "Pemo", "category_file": "pumps", "description": ""})
    assert profile.description == "pumps" and profile.attributes["categories"] == ["pumps"]
    # labels are in no language: real mining-directory categories read as French prose
    listed = _profile({"company": "R&C", "category_file": "construction material-handling"})
    assert listed.language == "und" and {p.language for p in listed.passages} == {"und"}
    declared = _profile({"company": "R&C", "category_file": "pompes", "langue": "fr"})
    assert declared.language == "fr"
    # two rows of one company's labels, merged, are in no language either (read as prose,
    # "construction material-handling" is French)
    other = _profile({"company": "R&C", "category_file": "material-handling"})
    merged = merge_profiles(listed, other)
    assert merged.language == "und" and {p.language for p in merged.passages} == {"und"}


def test_kind_is_read_from_the_columns() -> None:
    assert infer_kind("f", ["name", "description", "naics"]) is Kind.ORGANIZATION
    assert infer_kind("f", ["nom", "description", "région", "secteurs"]) is Kind.ORGANIZATION
    assert infer_kind("f", ["company", "capabilities", "owner", "project"]) is Kind.ORGANIZATION
    assert infer_kind("f", ["name", "description", "region", "Members"]) is Kind.CLUSTER
    assert infer_kind("f", ["title", "abstract", "asset_type", "IPC"]) is Kind.IP_ASSET
    with pytest.raises(InputFileError, match="--kind"):
        infer_kind("f", ["name", "description", "members", "ipc"])


def test_bilingual_profile_keeps_both_texts() -> None:
    profile = _profile(
        {
            "name": "Coastal Composites",
            "description_en": "Carbon-fibre boat hulls built by resin infusion.",
            "description_fr": "Coques de bateaux en fibre de carbone fabriquées par infusion de résine.",
        }
    )
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
    assert profile.language == "fr" and "fr" in profile.texts


def test_generated_ids_are_stable() -> None:
    first = _profile({"name": "Acme", "description": "Welding.", "city": "Regina"})
    second = _profile({"name": "ACME", "description": "Welding and more.", "city": "Regina"})
    assert first.id == second.id and first.id.startswith("gen-")


def test_missing_required_columns_reject_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("company,city\nAcme,Regina\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="missing a description column"):
        list(read_profiles(str(path), read_rows(path), Kind.ORGANIZATION))


def test_empty_description_is_a_row_error(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("name,description\nAcme,\nBeta,Forging\n", encoding="utf-8")
    first, second = read_profiles(str(path), read_rows(path), Kind.ORGANIZATION)
    assert first.profile is None and first.row == 2
    assert "no description" in first.errors[0].message
    assert second.profile is not None and second.profile.name == "Beta"


def test_placeholders_count_as_empty_and_head_counts_are_read_as_written() -> None:
    assert _parse({"name": "N/A", "description": "CNC"}).errors[0].message == "the name is empty"
    rejected = _parse({"name": "Acme", "description": "--"})
    assert rejected.profile is None and rejected.errors[0].column == "description"
    for written, count in (("1,200", 1200), ("1 200", 1200), ("1.200", 1200), ("12.0", 12)):
        assert (
            _profile({"name": "A", "description": "CNC", "employees": written}).attributes[
                "employees"
            ]
            == count
        ), written
    for odd in ("Infinity", "1e400", "-3", "beaucoup"):
        parsed = _parse({"name": "A", "description": "CNC", "employees": odd})
        assert parsed.profile is not None and parsed.warnings[0].column == "employees", odd


def test_a_mapping_to_a_missing_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("Firm,Activités\nAcme,Usinage\n", encoding="utf-8")
    found = list(read_profiles(str(path), read_rows(path), None, {"name": "firm"}))
    assert found[0].profile is not None and found[0].profile.name == "Acme"
    with pytest.raises(InputFileError, match="no column 'Firma'"):
        list(read_profiles(str(path), read_rows(path), None, {"name": "Firma"}))


def test_same_name_in_two_countries_are_two_records() -> None:
    uk = _profile({"name": "Acme", "description": "CNC", "city": "Cambridge", "country": "UK"})
    us = _profile({"name": "Acme", "description": "CNC", "city": "Cambridge", "country": "USA"})
    assert uk.id != us.id


def test_an_operating_name_column_is_read_beside_the_legal_name(tmp_path: Path) -> None:
    mapping = guess_mapping(["Raison sociale", "Nom commercial", "Activités"])
    assert mapping == {
        "name": "Raison sociale",
        "operating_name": "Nom commercial",
        "description": "Activités",
    }
    for header in ("Operating name", "Trade name", "Doing business as", "DBA", "Nom d'usage"):
        assert guess_mapping([header]) == {"operating_name": header}
    path = tmp_path / "membres.csv"
    path.write_text(
        "Raison sociale;Nom commercial;Activités\n"
        "9123-4567 Québec inc.;Usinage  Gagnon;Usinage CNC.\n"
        "Soudure Roy ltée;Soudure Roy Ltée;Soudure.\n"
        ";Atelier Côté;Tôlerie.\n",
        encoding="utf-8",
    )
    profiles = [p.profile for p in read_profiles(str(path), read_rows(path), None)]
    assert [(p.name, p.attributes.get("operating_name")) for p in profiles if p] == [
        ("9123-4567 Québec inc.", "Usinage Gagnon"),
        ("Soudure Roy ltée", None),  # the same name twice is one name
        ("Atelier Côté", None),  # a row with only a trade name is named by it
    ]
    only_trade_names = tmp_path / "dba.csv"
    only_trade_names.write_text("DBA,description\nGagnon Machining,CNC.\n", encoding="utf-8")
    (parsed,) = read_profiles(str(only_trade_names), read_rows(only_trade_names), None)
    assert parsed.profile is not None and parsed.profile.name == "Gagnon Machining"


def test_description_headers_are_recognised_more_widely() -> None:
    for header in ("What we do", "Nos services", "Company description", "Services offered"):
        assert guess_mapping(["Company", header]).get("description") == header, header
    # a language's description stays that language's; other columns are not descriptions
    assert guess_mapping(["name", "Services (FR)"]) == {
        "name": "name",
        "description_fr": "Services (FR)",
    }
    assert "description" not in guess_mapping(["Name", "Phone", "Email", "Website"])
