"""Who may see and do what, on every HTTP route and every command, each found in the app's route
table and the command line's command tree: a new route or command is walked without a change
here, and one whose parameters this file has no value for fails, asking for one.

A private registry A holds a record (and a listing on a member) carrying a word found nowhere
else; the word must never reach a caller other than A's key and the admin, whatever it asks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any

import pytest
import typer
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from ngen_connect import OPERATOR, Kind, Service
from ngen_connect.cli import app as cli_app
from tests.conftest import (
    ADMIN_KEY,
    DATA,
    copy_index,
    demo_engine,
    in_process,
    invoke_cli,
)

#: in registry A's record and listing only; the queries ask for the record by other words
SECRET = "zorblaxquine"
QUERY = "quuxite flanges"
A, B = "vault-a", "open-b"
KEY_A = "vault-a-key-0123456789abcdef"
WRONG_KEY = "wrong-key-0123456789abcdefgh"
CALLERS = {
    "anonymous": {},
    "wrong key": {"X-API-Key": WRONG_KEY},
    "key of A": {"X-API-Key": KEY_A},
    "admin": {"X-API-Key": ADMIN_KEY},
}
#: callers who may read registry A
READERS_OF_A = {"key of A", "admin"}
#: routes that take a body and write nothing
READS_WITH_A_BODY = {("POST", "/search"), ("POST", "/shortlist/export")}
#: a file under each mounted folder, by the mount's name
MOUNTED = {"static": "index.html"}
RECORDS_CSV = "id,name,description\nwalk-1,Walk Test Works,Welded test frames.\n"


@dataclass(frozen=True)
class Seeded:
    data_dir: Path
    files: dict[str, Path]
    private_id: str  # registry A's own record
    member_id: str  # a member that registry A lists
    other_ids: dict[str, str]  # a record of each other kind, by kind

    def registry_file(self, name: str) -> bytes:
        return self.files[name].read_bytes()


def _seed(data_dir: Path, folder: Path) -> Seeded:
    """The demo's data, with a private registry A (a new record and a listing on a member, both
    carrying SECRET) and a public registry B."""
    engine = demo_engine(data_dir)
    service = Service(engine)
    member = next(
        r
        for r in engine.records().values()
        if r.kind is Kind.ORGANIZATION
        and not r.attributes.get("registry")
        and r.attributes.get("city")
        and "," not in r.name
    )
    files = {
        A: folder / "vault-a.csv",
        B: folder / "open-b.csv",
    }
    files[A].write_text(
        "id,name,description,city\n"
        f"vault-row-1,{SECRET.title()} Flange Works,{SECRET.title()} quuxite flanges and seals.,Regina\n"
        f"{SECRET}-2,{member.name},,{member.attributes['city']}\n",
        encoding="utf-8",
    )
    files[B].write_text(
        "name,description\nOpen Bee Works,Quuxite-free hive frames.\n", encoding="utf-8"
    )
    uploaded = service.upload(OPERATOR, A, files[A])
    assert [r.match.status.value for r in uploaded.report.rows] == ["new", "matched"]
    service.make_private(OPERATOR, A, KEY_A)
    service.upload(OPERATOR, B, files[B])
    [private_id] = [r.id for r in engine.records().values() if r.attributes.get("registry") == A]
    others = {}
    for record in engine.records().values():
        others.setdefault(record.kind.value, record.id)
    engine.close()
    return Seeded(data_dir, files, private_id, member.id, others)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, sample_index: Path) -> Seeded:
    folder = tmp_path_factory.mktemp("access-everywhere")
    return _seed(copy_index(sample_index, folder / "data"), folder)


@pytest.fixture(scope="module")
def client(seeded: Seeded) -> Iterator[TestClient]:
    with in_process(demo_engine(seeded.data_dir)) as client:
        yield client


# -- the HTTP routes ------------------------------------------------------------------------------


def _path_values(seeded: Seeded, template: str) -> dict[str, list[str]]:
    """Values for every path parameter, by its name (each value is walked); a record's id by the
    kind the path's first part names."""
    ids = {
        "organizations": [seeded.private_id, seeded.member_id],
        "clusters": [seeded.other_ids["cluster"]],
        "ip-assets": [seeded.other_ids["ip_asset"]],
    }
    values = {
        "kind": ["organization"],
        "name": [A, B],
        "upload": ["latest"],
        "row": ["2"],  # the file's first row under its header
        "alert_id": [NO_ALERT],
    }
    resource = template.split("/")[1]
    if resource in ids:
        values["record_id"] = ids[resource]
    return values


#: values for query parameters, by name: every required one must be here; an optional one
#: listed here is walked with each value (None: not sent)
QUERY_VALUES: dict[str, list[str | None]] = {
    "q": [QUERY],
    "filename": ["walk.csv"],
    "registry": [None, A],
    "token": ["walk-wrong-token-0123456789"],
}
#: JSON bodies, by the name of their schema
JSON_BODIES: dict[str, Any] = {
    "SearchRequest": {"query": QUERY, "limit": 100},
    "DecisionRequest": {"status": "new"},
    "DeleteRequest": {"ids": ["walk-1"]},
    "AlertRequest": {"query": QUERY},
    "ShortlistRequest": {"records": [{"kind": "organization", "id": "walk-1"}]},
}
#: an alert of nobody's: a key's own alerts are the only ones it reaches (tests/test_alerts.py)
NO_ALERT = "walk-no-such-alert"


@dataclass(frozen=True)
class Call:
    method: str
    template: str
    path: str
    params: dict[str, str]
    registry: str | None  # the registry the path names
    body: bytes | None
    json_body: Any
    documented: dict[str, Any]  # the operation in the OpenAPI document ({} when undocumented)

    @property
    def label(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.method} {self.path}{'?' + query if query else ''}"


def _calls(app_routes: list[Any], openapi: dict[str, Any], seeded: Seeded) -> list[Call]:
    calls: list[Call] = []
    for context in iter_route_contexts(app_routes):
        route = context.original_route
        if isinstance(route, Mount):
            if route.name not in MOUNTED:
                pytest.fail(f"mount {route.path} ({route.name}): add a file to fetch to MOUNTED")
            path = f"{route.path}/{MOUNTED[route.name]}"
            calls.append(Call("GET", path, path, {}, None, None, None, {}))
            continue
        if not isinstance(route, Route | APIRoute):
            pytest.fail(f"a route of a kind this walk does not know: {route!r}")
        assert context.path == route.path, "a prefixed router: walk its full path"
        for method in sorted((route.methods or set()) - {"HEAD"}):
            calls.extend(_route_calls(route, method, openapi, seeded))
    return calls


def _route_calls(
    route: Route | APIRoute, method: str, openapi: dict[str, Any], seeded: Seeded
) -> list[Call]:
    documented = openapi["paths"].get(route.path, {}).get(method.lower(), {})
    path_names = list(route.param_convertors)
    values = _path_values(seeded, route.path)
    missing = [name for name in path_names if name not in values]
    if missing:
        pytest.fail(f"{method} {route.path}: add values for {missing} to _path_values")
    query_names = []
    if isinstance(route, APIRoute):
        for param in route.dependant.query_params:
            if param.alias in QUERY_VALUES:
                query_names.append(param.alias)
            elif param.field_info.is_required():
                pytest.fail(
                    f"{method} {route.path}: add values for '{param.alias}' to QUERY_VALUES"
                )
    # dependencies' query parameters (the filters) are optional; QUERY_VALUES names the walked ones
    if isinstance(route, APIRoute):
        for dependency in route.dependant.dependencies:
            query_names += [p.alias for p in dependency.query_params if p.alias in QUERY_VALUES]
    calls = []
    for path_choice in product(*(values[name] for name in path_names)):
        chosen = dict(zip(path_names, path_choice, strict=True))
        path = route.path.format(**chosen)
        for query_choice in product(*(QUERY_VALUES[name] for name in query_names)):
            params = {n: v for n, v in zip(query_names, query_choice, strict=True) if v is not None}
            body, json_body = _body(method, route.path, documented, chosen, seeded)
            calls.append(
                Call(
                    method,
                    route.path,
                    path,
                    params,
                    chosen.get("name"),
                    body,
                    json_body,
                    documented,
                )
            )
    return calls


def _body(
    method: str, template: str, documented: dict[str, Any], chosen: dict[str, str], seeded: Seeded
) -> tuple[bytes | None, Any]:
    """A file for a route whose body is one (the registry's own file, else records), a JSON body
    by its schema's name."""
    content = documented.get("requestBody", {}).get("content", {})
    if not content:
        if method not in {"GET", "HEAD", "DELETE"}:
            pytest.fail(f"{method} {template} documents no request body: give it one")
        return None, None
    if "application/octet-stream" in content:
        name = chosen.get("name")
        return (seeded.registry_file(name) if name else RECORDS_CSV.encode()), None
    schema = content["application/json"]["schema"]
    title = schema.get("title") or schema.get("$ref", "").rsplit("/", 1)[-1]
    if title not in JSON_BODIES:
        pytest.fail(f"{method} {template}: add a body for schema '{title}' to JSON_BODIES")
    return None, JSON_BODIES[title]


def _needs_key(call: Call) -> bool:
    """What the route documents: 401 for a request without a key."""
    keyed = "401" in call.documented.get("responses", {})
    if not keyed and (call.method, call.template) not in READS_WITH_A_BODY:
        assert call.method == "GET", f"{call.label} writes with no key needed? document 401"
    return keyed


def _admin_only(call: Call) -> bool:
    forbidden = call.documented.get("responses", {}).get("403", {}).get("description", "")
    return "admin" in forbidden


def _expected(call: Call, caller: str, seeded: Seeded) -> int | None:
    """The status the rules give (None: any success)."""
    if call.template.endswith(".atom"):  # the key is the token, here one that opens nothing
        return 403
    if "{alert_id}" in call.template and caller in {"key of A", "admin"}:
        return 404  # an alert of nobody's is not found, whoever asks
    if _needs_key(call):
        if caller == "anonymous":
            return 401
        if caller == "admin":
            return None
        if caller == "wrong key" or _admin_only(call):
            return 403
        return None if call.registry in (None, A) else 403
    hidden_record = seeded.private_id in call.path and caller not in READERS_OF_A
    return 404 if hidden_record else None


def _send(client: TestClient, call: Call, headers: dict[str, str]) -> Any:
    return client.request(
        call.method,
        call.path,
        params=call.params,
        headers=headers,
        content=call.body,
        json=call.json_body,
    )


@pytest.mark.parametrize("caller", list(CALLERS))
def test_every_route_applies_the_rules_to_every_caller(
    client: TestClient, seeded: Seeded, caller: str
) -> None:
    app = client.app
    assert hasattr(app, "routes") and hasattr(app, "openapi")
    calls = _calls(list(app.routes), app.openapi(), seeded)
    assert len({c.template for c in calls}) >= 20  # the walk found the app's routes
    problems = []
    showed_secret = set()
    for call in calls:
        response = _send(client, call, CALLERS[caller])
        expected = _expected(call, caller, seeded)
        if expected is None and not response.is_success:
            problems.append(
                f"{call.label}: {response.status_code}, not a success: {response.text[:200]}"
            )
        elif expected is not None and response.status_code != expected:
            problems.append(f"{call.label}: {response.status_code}, not {expected}")
        if SECRET.encode() in response.content.lower():
            showed_secret.add((call.method, call.template))
            if caller not in READERS_OF_A:
                problems.append(f"{call.label}: registry A's record reached {caller}")
    assert not problems, f"{caller}:\n" + "\n".join(problems)
    if caller in READERS_OF_A:  # the word can be found: its absence above means something
        assert {
            ("GET", "/search"),
            ("POST", "/search"),
            ("GET", "/search/export"),
            ("GET", "/organizations/{record_id}"),
            ("GET", "/registries/{name}/uploads/{upload}"),
        } <= showed_secret


def test_health_counts_only_what_each_caller_may_read(client: TestClient) -> None:
    counts = {
        caller: client.get("/health", headers=headers).json()["counts"]["organization"]
        for caller, headers in CALLERS.items()
    }
    assert counts["admin"] == counts["key of A"] == counts["anonymous"] + 1
    assert counts["wrong key"] == counts["anonymous"]


def test_a_listing_of_a_private_registry_stays_with_its_readers(
    client: TestClient, seeded: Seeded
) -> None:
    path = f"/organizations/{seeded.member_id}"
    for caller, headers in CALLERS.items():
        listed = client.get(path, headers=headers).json()["attributes"].get("listed_in", {})
        assert (A in listed) is (caller in READERS_OF_A), caller


def test_an_unknown_path_parameter_asks_for_a_value(seeded: Seeded) -> None:
    route = APIRoute("/widgets/{widget_id}", lambda: None, methods=["GET"])
    with pytest.raises(pytest.fail.Exception, match="add values for \\['widget_id'\\]"):
        _route_calls(route, "GET", {"paths": {}}, seeded)


# -- the command line -----------------------------------------------------------------------------

#: commands that serve the HTTP app: walked above, route by route
SERVES_HTTP = {("serve",), ("demo",)}


def _command_values(seeded: Seeded, folder: Path) -> dict[str, list[str]]:
    """Values for every required argument or option of a command, by the parameter's name."""
    queries = folder / "queries.csv"
    queries.write_text(f"query_id,query\nq1,{QUERY}\n", encoding="utf-8")
    judgments = folder / "judgments.csv"
    judgments.write_text(f"query_id,record_id,grade\nq1,{seeded.private_id},2\n", encoding="utf-8")
    records = folder / "records.csv"
    records.write_text(RECORDS_CSV.replace("walk-1", "walk-cli"), encoding="utf-8")
    engine = demo_engine(seeded.data_dir)
    service = Service(engine)
    alert = service.create_alert(OPERATOR, QUERY)  # for `alerts delete`
    service.create_token(OPERATOR, "walker")  # for `tokens revoke`
    [(token_id, _)] = service.tokens(OPERATOR)
    engine.close()
    return {
        "alert_id": [alert.id],
        "token_id": [token_id],
        "what": ["ingredient"],
        "value": ["hydrocortisone"],
        "files": [str(records)],
        "query": [QUERY],
        "record_id": [seeded.private_id],
        "queries": [str(queries)],
        "judgments": [str(judgments)],
        "file": [str(seeded.files[A])],
        "ids": ["walk-cli"],
        "out": [str(folder / "sample")],
        "paths": [str(DATA / "dpd_v1")],
        "old": [str(DATA / "dpd_v1")],
        "new": [str(DATA / "dpd_v2")],
        "name": [A],
        "key": ["another-vault-a-key-0123456789"],
    }


def _commands() -> list[tuple[tuple[str, ...], Any]]:
    """Every command of the command tree, with its path of names, in the order of the tree."""
    root = typer.main.get_command(cli_app)
    context = root.make_context("ngen-connect", ["info"], resilient_parsing=True)
    found: list[tuple[tuple[str, ...], Any]] = []

    def walk(command: Any, names: tuple[str, ...]) -> None:
        if hasattr(command, "list_commands"):
            for name in command.list_commands(context):
                walk(command.get_command(context, name), (*names, name))
        else:
            found.append((names, command))

    walk(root, ())
    return found


def _arguments(
    command: Any, names: tuple[str, ...], values: dict[str, list[str]], data_dir: Path
) -> list[str]:
    args = list(names)
    for param in command.params:
        flag = param.opts[0] if param.param_type_name == "option" else None
        if param.name == "data_dir":
            args += [flag, str(data_dir)]
        elif param.name == "model":
            args += [flag, "fake"]
        elif param.required:
            if param.name not in values:
                pytest.fail(f"{' '.join(names)}: add a value for '{param.name}' to _command_values")
            args += ([flag] if flag else []) + values[param.name]
    return args


#: words of the core's messages for a caller who may not do something
REFUSALS = ("X-API-Key", "Cette opération exige", "Cette clé d'API")


def test_every_command_runs_with_the_rights_of_whoever_runs_it(
    tmp_path: Path, sample_index: Path
) -> None:
    seeded = _seed(copy_index(sample_index, tmp_path / "data"), tmp_path)
    values = _command_values(seeded, tmp_path)
    commands = _commands()
    assert len(commands) >= 15
    problems = []
    outputs = {}
    for names, command in commands:
        if names in SERVES_HTTP:
            continue
        result = invoke_cli(*_arguments(command, names, values, seeded.data_dir))
        outputs[names] = result.output
        if result.exit_code not in (0, 3) or any(word in result.output for word in REFUSALS):
            problems.append(f"{' '.join(names)}: exit {result.exit_code}\n{result.output[-500:]}")
    assert not problems, "\n".join(problems)
    # the operator reads private registries, as the admin does
    assert SECRET in outputs[("search",)].lower()
    served = {names for names, _ in commands} & SERVES_HTTP
    assert served == SERVES_HTTP, "a command SERVES_HTTP names is gone: update SERVES_HTTP"


def test_a_new_command_parameter_asks_for_a_value(tmp_path: Path) -> None:
    [(names, command)] = [(n, c) for n, c in _commands() if n == ("search",)]
    with pytest.raises(pytest.fail.Exception, match="add a value for 'query'"):
        _arguments(command, names, {}, tmp_path)
