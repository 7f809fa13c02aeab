"""The products records list (a Health Canada licence holder's drugs) as the index keeps them: which
attribute lists them, the words of each, and their BM25 index, built when a version is written and
read by the search's product leg (`ngen_connect.search.products`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from ngen_connect.index.keywords import KeywordIndex
from ngen_connect.text import analyse

#: the record attribute that lists its products (dicts with the fields of `PRODUCT_FIELDS` and
#: more)
PRODUCT_LIST = "product_list"
#: the fields of a product that are searched, English (or the same in both languages: a French
#: value equal to the English one is left out) and French
PRODUCT_FIELDS = {
    "en": ("brand", "din", "ingredients", "forms", "routes", "atc", "schedules", "status"),
    "fr": ("brand_fr", "ingredients_fr", "forms_fr", "routes_fr", "schedules_fr"),
}


def product_text(product: Mapping[str, Any], language: str) -> str:
    """The words of a product's fields in one language ("en" or "fr")."""
    parts: list[str] = []
    for name in PRODUCT_FIELDS[language]:
        value = product.get(name)
        if isinstance(value, list):
            parts.extend(str(v) for v in value)
        elif value:
            parts.append(str(value))
    return " ".join(parts)


def product_terms(product: Mapping[str, Any]) -> list[str]:
    """A product's index terms: its English fields stemmed as English, its French fields as
    French. A brand is a name, not a French word: stemmed as French, "Generation V" would match
    the French stem of "génériques"."""
    return [
        term
        for language in PRODUCT_FIELDS
        for term in analyse(product_text(product, language), language)
    ]


def listed_products(
    lists: Iterable[tuple[str, Sequence[Any]]],
) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(record key, product) for every product of `lists` (record key, its product list), in the
    order an index numbers them: records by key, each record's products as listed."""
    for key, listed in sorted(lists, key=lambda item: item[0]):
        for product in listed:
            if isinstance(product, Mapping):
                yield key, product


def product_keywords(lists: Iterable[tuple[str, Sequence[Any]]]) -> KeywordIndex | None:
    """BM25 over the products of `lists`, numbered as `listed_products` numbers them; None when
    no record lists products. Built when an index version is written, loaded when it is read."""
    documents = [
        (index, product_terms(product)) for index, (_, product) in enumerate(listed_products(lists))
    ]
    return KeywordIndex.build(documents) if documents else None
