"""The HTTP API against its own OpenAPI document: schemathesis draws requests from `/openapi.json`
for every operation, valid ones and invalid ones, without a key and with the admin key, and every
answer must be no 5xx, a status the operation documents, with the documented content type and body;
an invalid request must be refused (4xx).

Bounded and repeatable: a fixed number of examples per operation, drawn from a fixed seed."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import given, settings
from schemathesis import APIOperation, BaseSchema, Case, CheckFunction, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ngen_connect.api.app import create_app
from tests.conftest import ADMIN_KEY, copy_index, demo_engine

#: examples drawn per operation and run: 19 operations x 3 runs, about 20 s in all
EXAMPLES = 25
#: what every answer must satisfy. Not `positive_data_acceptance`: the schema cannot say which
#: free-text filter values exist (`status=Sandhu` is a string, and rightly a 400 bad_query).
CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

#: operations whose only inputs are free text (an id in the path, the API key): no request to
#: them is invalid by the schema, so none can be drawn
NOTHING_TO_MAKE_INVALID = {
    "GET /health",
    "GET /alerts",
    "GET /shortlist",
    "GET /insights/reach",
    "GET /registries",
    "GET /organizations/{record_id}",
    "GET /clusters/{record_id}",
    "GET /ip-assets/{record_id}",
}


@pytest.fixture(scope="module")
def api_schema(
    tmp_path_factory: pytest.TempPathFactory, sample_index: Path
) -> Iterator[BaseSchema]:
    """The OpenAPI document of `ngen-connect demo --model fake`, its requests sent to that app."""
    data_dir = copy_index(sample_index, tmp_path_factory.mktemp("contract") / "data")
    app = create_app(demo_engine(data_dir))
    with TestClient(app):  # the lifespan: the index opens before the first request
        yield schemathesis.openapi.from_asgi("/openapi.json", app)


def _fuzz(operation: APIOperation, mode: GenerationMode, key: str | None) -> None:
    checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])
    headers = {"X-API-Key": key} if key else None

    @given(case=operation.as_strategy(mode))
    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None)
    def check(case: Case) -> None:
        case.call_and_validate(checks=checks, headers=headers)

    check()


@pytest.mark.parametrize(
    ("mode", "key"),
    [
        (GenerationMode.POSITIVE, None),
        (GenerationMode.POSITIVE, ADMIN_KEY),  # past the key checks: uploads, writes, reports
        # without a key only: the admin key sent in place of a header schemathesis left out or
        # spoilt would make its invalid request a valid one
        (GenerationMode.NEGATIVE, None),
    ],
    ids=["valid", "valid-admin-key", "invalid"],
)
def test_every_answer_is_documented(
    api_schema: BaseSchema, mode: GenerationMode, key: str | None
) -> None:
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 19  # every route of the app, so none is left out unnoticed
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and operation.label in NOTHING_TO_MAKE_INVALID:
            continue
        try:
            _fuzz(operation, mode, key)
        except (AssertionError, BaseExceptionGroup) as failed:  # a schemathesis FailureGroup
            failures.append(f"{operation.label}: {failed}")
    assert not failures, "\n\n".join(failures)
