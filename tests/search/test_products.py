"""The product leg: a record's products found by brand, ingredient, form or route."""

from ngen_connect import Engine
from ngen_connect.index.products import PRODUCT_LIST
from ngen_connect.models import Kind, Profile, RecordSummary
from ngen_connect.search.products import ProductIndex
from ngen_connect.text import analyse, analyse_query


def _holder(rid: str, *products: dict[str, object]) -> RecordSummary:
    return RecordSummary(rid, Kind.ORGANIZATION, rid, "en", {PRODUCT_LIST: list(products)}, 1)


INDEX = ProductIndex(
    [
        _holder(
            "brand-maker",
            {"din": "1", "brand": "Lipitor", "ingredients": ["Atorvastatin Calcium"]},
            {
                "din": "2",
                "brand": "Estradot 50",
                "forms": ["PATCH"],
                "routes": ["TRANSDERMAL"],
                "forms_fr": ["TIMBRE"],
                "routes_fr": ["TRANSDERMIQUE"],
            },
        ),
        *[
            _holder(
                f"generic-{i}",
                {"din": f"9{i}", "brand": "Atorvastatin", "ingredients": ["Atorvastatin Calcium"]},
            )
            for i in range(3)
        ],
        _holder("no-products"),
    ]
)


def _search(text: str, allowed: set[str] | None = None) -> dict[str, tuple[float, str, str]]:
    found = INDEX.search(text, set(analyse(text, "und")), allowed, 88.0)
    return {
        key.split(":", 1)[1]: (m.score, str(m.product["din"]), m.how) for key, m in found.items()
    }


def test_a_brand_finds_its_holder_first() -> None:
    found = _search("Lipitor")
    assert set(found) == {"brand-maker"} and found["brand-maker"][1] == "1"
    # a brand misspelt is still read as the brand
    assert _search("Lipitorr")["brand-maker"][2] == "brand"


def test_brand_and_ingredient_beat_the_ingredient_alone() -> None:
    found = _search("Lipitor atorvastatin")
    generics = [score for rid, (score, _, _) in found.items() if rid.startswith("generic")]
    assert len(generics) == 3 and found["brand-maker"][0] > max(generics)
    # "Atorvastatin" is a brand too, but the query is about Lipitor: no brand match for generics
    assert {how for rid, (_, _, how) in found.items() if rid.startswith("generic")} == {"words"}


def test_forms_and_routes_in_either_language() -> None:
    for query in ("transdermal patch", "timbre transdermique"):
        found = _search(query)
        assert set(found) == {"brand-maker"} and found["brand-maker"][1] == "2"


def test_filters_limit_the_holders() -> None:
    assert set(_search("atorvastatin", allowed={"organization:generic-1"})) == {"generic-1"}
    assert len(INDEX) == 5


def _index_holder(engine: Engine, texts: dict[str, str], products: list[dict[str, object]]) -> None:
    """Index one licence holder, "h1", with these texts and products."""
    from ngen_connect.indexer import build_passages

    language = "+".join(sorted(texts))
    passages = tuple(build_passages(texts))
    engine.index_profiles(
        [
            Profile(
                "h1",
                Kind.ORGANIZATION,
                "Holder Inc.",
                texts,
                language,
                {PRODUCT_LIST: products},
                passages=passages,
            )
        ]
    )


def test_a_written_version_keeps_its_product_index(fake_engine: Engine) -> None:
    texts = {"en": "Licence holder of transdermal and oral products."}
    _index_holder(fake_engine, texts, [{"din": "7", "brand": "Patchwell", "forms": ["PATCH"]}])
    folder = (fake_engine.settings.data_dir / "current").resolve()
    assert (folder / "products.npz").is_file() and (folder / "products.json").is_file()
    hit = fake_engine.search("Patchwell").results[0]
    assert hit.id == "h1" and hit.why["legs"]["product"]["din"] == "7"


def test_role_words_never_match_a_product() -> None:
    softener = ProductIndex([_holder("cleaner", {"din": "5", "brand": "Fabric Softener"})])
    for query in ("fabricant de vaccins", "vaccine manufacturer", "DIN 00015741"):
        assert softener.search(query, set(analyse(query, "und")), None, 88.0) == {}
    # a real DPD schedule: "drugs" is what every product of the registry is
    sedative = {
        "din": "02335441",
        "brand": "Cepesedan",
        "schedules": ["PRESCRIPTION"],
        "schedules_fr": ["Médicaments sur ordonnance"],
    }
    vet = ProductIndex([_holder("vet", sedative)])
    for query in ("médicaments", "fabricant de médicaments génériques", "generic drugs"):
        assert vet.search(query, set(analyse(query, "und")), None, 88.0) == {}
    for query in ("médicaments sur ordonnance", "prescription drugs", "cepesedan"):
        assert set(vet.search(query, set(analyse(query, "und")), None, 88.0)) == {
            "organization:vet"
        }


def test_a_status_filter_limits_the_products_that_match() -> None:
    index = ProductIndex(
        [
            _holder(
                "both",
                {"din": "1", "brand": "Tapazole", "status": "MARKETED"},
                {"din": "2", "brand": "Tapazole", "status": "DORMANT"},
            ),
            _holder("marketed-only", {"din": "3", "brand": "Tapazole", "status": "MARKETED"}),
        ]
    )
    terms = set(analyse("tapazole", "und"))
    found = index.search("tapazole", terms, None, 88.0, statuses=("dormant",))
    assert {k: m.product["din"] for k, m in found.items()} == {"organization:both": "2"}
    assert len(index.search("tapazole", terms, None, 88.0)) == 2


#: a real Health Canada product (DIN 02318571): a disinfectant called Generation V
GENERATION_V = {
    "din": "02318571",
    "brand": "Generation V",
    "ingredients": ["DIDECYL DIMETHYL AMMONIUM CHLORIDE"],
    "ingredients_fr": ["Chlorure de didécyl-diméthyl ammonium"],
    "forms": ["LIQUID"],
    "forms_fr": ["Liquide"],
}


def test_a_french_stem_never_matches_an_english_brand() -> None:
    """The French stem of "génériques" is the French stem of "Generation": a French query about
    generic drugs must not find a disinfectant through it. The brand is English, stemmed as such."""
    index = ProductIndex([_holder("sanitech", GENERATION_V)])
    query = "fabricant de médicaments génériques au Québec"
    terms = set(analyse_query(query, "fr"))
    assert "fr:gener" in terms and "fr:gener" in analyse("Generation", "fr")
    assert index.search(query, terms, None, 88.0) == {}
    # the brand is still found by its words in English, as a brand in either language, and the
    # product by its French words
    for found_by, language in (("Generation V", "en"), ("Generation V", "fr"), ("liquide", "fr")):
        assert set(index.search(found_by, set(analyse_query(found_by, language)), None, 88.0))


def test_the_snippet_is_in_the_page_language_and_names_the_product(fake_engine: Engine) -> None:
    texts = {
        "en": "Licence holder of oral and transdermal products sold across Canada.",
        "fr": "Titulaire de licences de produits oraux et transdermiques vendus au Canada.",
    }
    products = [{"din": "7", "brand": "Patchwell", "brand_fr": "Timbrebien", "forms": ["PATCH"]}]
    _index_holder(fake_engine, texts, products)
    for page, text, lead in (
        ("en", texts["en"], "Product: Patchwell (DIN 7). "),
        ("fr", texts["fr"], "Produit : Timbrebien (DIN 7). "),
    ):
        [hit] = fake_engine.search("patchwell", ui_language=page).results
        assert (hit.snippet_language, hit.snippet) == (page, lead + text)
        assert "Timbrebien" in hit.explanation if page == "fr" else "Patchwell" in hit.explanation
    # a record found by its words alone: its snippet as written
    [hit] = fake_engine.search("transdermal products").results
    assert hit.snippet == texts["en"] and hit.snippet_language == "en"


def test_a_manufacturing_query_is_no_search_for_the_products_sharing_one_word() -> None:
    index = ProductIndex(
        [
            _holder(
                "cosmetics",
                {"din": "02529130", "brand": "Fluid Spf 15", "ingredients": ["Titanium Dioxide"]},
            ),
            _holder(
                "vaccines",
                {"din": "02552914", "brand": "Mresvia", "ingredients": ["M7G-5 PPP-5 mRNA"]},
            ),
        ]
    )

    def score(text: str, holder: str) -> float:
        found = index.search(text, set(analyse(text, "und")), None, 88.0)
        match = found.get(f"organization:{holder}")
        return match.score if match else 0.0

    # one word of four is titanium: a quarter of a product match at most; "5" is no evidence
    assert 0 < score("5-axis titanium machining, AS9100", "cosmetics") <= 0.25
    assert score("5-axis titanium machining, AS9100", "vaccines") == 0.0
    # asked for the product, it is found whole; a DIN, a number, still finds its product
    assert score("titanium dioxide", "cosmetics") == 1.0
    assert score("02552914", "vaccines") == 1.0


def test_a_glossary_phrase_is_held_by_a_product_whole_or_not_at_all() -> None:
    """ "injection moulding" is one thing: a product "For Injection" holds half its words and
    none of what it asks; the glossary does not read its "injection" as a drug's route either."""
    from ngen_connect.glossary import load_glossary

    index = ProductIndex(
        [
            _holder("pharma", {"din": "02536935", "brand": "Busulfan For Injection"}),
            _holder("moulds", {"din": "00000001", "brand": "Injection Moulding Resin"}),
        ]
    )
    for query, language in (("injection moulding", "en"), ("moulage par injection", "fr")):
        expansions = load_glossary().expand(query)
        assert not any("injectable" in e.group.en for e in expansions), query
        phrases = [e.matched for e in expansions if len(e.matched.split()) > 1]
        assert phrases, query
        terms = set(analyse_query(query, language))
        for expansion in expansions:
            terms |= expansion.group.terms
        found = index.search(query, terms, None, 88.0, phrases=phrases)
        assert "organization:pharma" not in found, (query, found)
        if language == "en":
            assert "organization:moulds" in found
    # "injection" alone still names the drugs' route
    assert any("injectable" in e.group.en for e in load_glossary().expand("injection"))
    found = index.search("injection", set(analyse_query("injection", "en")), None, 88.0)
    assert "organization:pharma" in found
