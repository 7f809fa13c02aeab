"""The products records list (a Health Canada licence holder's drugs) as the index keeps them: which
attribute lists them, the words of each, and their BM25 index, built when a version is written and
read by the search's product leg (`ngen_connect.search.products`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from ngen_connect.index.keywords import KeywordIndex
from ngen_connect.text import analyse

#: the record attribute that lists its products (dicts of `PRODUCT_FIELDS` and more)
PRODUCT_LIST = "product_list"
#: the fields of a product that are searched
PRODUCT_FIELDS = (
    "brand",
    "brand_fr",
    "din",
    "ingredients",
    "ingredients_fr",
    "forms",
    "forms_fr",
    "routes",
    "routes_fr",
    "atc",
    "schedules",
    "schedules_fr",
    "status",
)


def product_text(product: Mapping[str, Any]) -> str:
    parts: list[str] = []
    for name in PRODUCT_FIELDS:
        value = product.get(name)
        if isinstance(value, list):
            parts.extend(str(v) for v in value)
        elif value:
            parts.append(str(value))
    return " ".join(parts)


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
        (index, analyse(product_text(product), "und"))
        for index, (_, product) in enumerate(listed_products(lists))
    ]
    return KeywordIndex.build(documents) if documents else None
