"""Errors as JSON `{code, message}`: stable codes, messages in English or French (`lang` query
parameter or Accept-Language), 4xx for bad input."""

import logging
import re
import tempfile
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ngen_connect import (
    AuthError,
    ConflictError,
    ForbiddenError,
    IndexLockedError,
    IndexMismatchError,
    IndexNotFoundError,
    InputFileError,
    NgenConnectError,
    QueryError,
    RecordNotFoundError,
    StorageError,
    TooLargeError,
)
from ngen_connect.api.worker import WorkerStoppedError

_STATUS: list[tuple[type[NgenConnectError], int, str]] = [
    (AuthError, 401, "unauthorized"),
    (ForbiddenError, 403, "forbidden"),
    (IndexLockedError, 409, "busy"),
    (ConflictError, 409, "conflict"),
    (StorageError, 507, "insufficient_storage"),
    (TooLargeError, 413, "too_large"),
    (QueryError, 400, "bad_query"),
    (InputFileError, 400, "bad_file"),
    (RecordNotFoundError, 404, "not_found"),
    (IndexNotFoundError, 503, "no_index"),
    (IndexMismatchError, 503, "index_mismatch"),
    (WorkerStoppedError, 503, "worker_stopped"),
]
MESSAGES = {
    "invalid_request": {
        "en": "The request is not valid: {fields}.",
        "fr": "La requête n'est pas valide : {fields}.",
    },
    "not_found": {"en": "Nothing here.", "fr": "Rien ici."},
    "method_not_allowed": {
        "en": "This address does not take that method; see /docs.",
        "fr": "Cette adresse n'accepte pas cette méthode; voir /docs.",
    },
    "bad_request": {
        "en": "The request could not be read (malformed body or encoding).",
        "fr": "La requête est illisible (corps ou encodage malformé).",
    },
    "too_large": {
        "en": "The request body is too large; see the limits in /docs.",
        "fr": "Le corps de la requête est trop grand; voir les limites dans /docs.",
    },
    "http_error": {
        "en": "The request could not be served (HTTP {status}).",
        "fr": "La requête n'a pu être servie (HTTP {status}).",
    },
    "internal_error": {
        "en": "Something went wrong on our side; the error was logged.",
        "fr": "Une erreur s'est produite de notre côté; elle a été consignée.",
    },
}


_HTTP_CODES = {400: "bad_request", 405: "method_not_allowed", 413: "too_large"}
_log = logging.getLogger(__name__)


class BadRequest(Exception):
    """A request the HTTP front refuses before any call into the core (an `X-API-Key` header sent
    twice): 400 `bad_request`, with the message in both languages."""

    def __init__(self, message_en: str, message_fr: str) -> None:
        super().__init__(message_en)
        self.messages = {"en": message_en, "fr": message_fr}


def request_language(request: Request) -> str:
    """ "fr" when asked for by `?lang=fr` or an Accept-Language that prefers French, else "en"."""
    explicit = request.query_params.get("lang", "").lower()
    if explicit in {"en", "fr"}:
        return explicit
    weights: dict[str, float] = {}
    for part in request.headers.get("accept-language", "").split(","):
        tag, _, params = part.partition(";")
        language = tag.strip().lower()[:2]
        quality = params.strip().removeprefix("q=") if params.strip().startswith("q=") else "1"
        try:
            weight = float(quality)
        except ValueError:
            weight = 0.0
        if language in {"en", "fr"} and weight > weights.get(language, -1.0):
            weights[language] = weight
    return max(weights, key=lambda code: (weights[code], code == "en")) if weights else "en"


#: a path under the server's temporary folder (where uploads are kept while they are read)
_TEMPORARY_PATH = re.compile(re.escape(tempfile.gettempdir()) + r"/[^\s'\",;]+")


def _without_server_paths(message: str) -> str:
    """An uploaded file is named as the caller sent it, never by the server's temporary path."""
    return _TEMPORARY_PATH.sub(lambda m: m.group(0).rsplit("/", 1)[-1], message)


def problem(
    status: int,
    code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    # a message quoting a caller's value holds no lone surrogate (JSON as UTF-8 cannot)
    said = _without_server_paths(message).encode("utf-8", "replace").decode("utf-8")
    body: dict[str, Any] = {"code": code, "message": said}
    if details:
        body["details"] = details
    return JSONResponse(body, status_code=status, headers=headers)


class Unexpected:
    """An unexpected exception becomes a 500 `internal_error` answer, its traceback logged, and
    goes no further.

    Starlette's outermost middleware would send the same answer and then raise the exception
    again, for the server to log; uvicorn then closes the connection without having said
    `Connection: close`, and a client's next request on that kept-alive connection fails with a
    reset. Handled here, the connection stays usable. An exception raised after the answer has
    started is raised again: that answer is broken, and only closing the connection says so."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            full = StorageError.of(exc)  # a write that ran out of disk outside the core's checks
            if full is None:
                _log.exception("Unexpected error answering %s %s", scope["method"], scope["path"])
            if started:
                raise
            language = request_language(Request(scope))
            answer = (
                problem(500, "internal_error", MESSAGES["internal_error"][language])
                if full is None
                else problem(507, "insufficient_storage", full.message(language))
            )
            await answer(scope, receive, send)


def _allowed_methods(request: Request, exc: StarletteHTTPException) -> str:
    """Every method the request's path takes: Starlette's Allow header names those of the one
    route it tried, and some paths are two routes (GET and POST /search), so the methods the
    OpenAPI document gives the path are added."""
    methods = {m.strip() for m in (exc.headers or {}).get("Allow", "").split(",") if m.strip()}
    for path, operations in request.app.openapi()["paths"].items():
        if compile_path(path)[0].match(request.url.path):
            methods |= {method.upper() for method in operations}
    return ", ".join(sorted(methods))


def install(app: FastAPI) -> None:
    @app.exception_handler(NgenConnectError)
    async def core_error(request: Request, exc: NgenConnectError) -> JSONResponse:
        status, code = 500, "internal_error"
        for kind, kind_status, kind_code in _STATUS:
            if isinstance(exc, kind):
                status, code = kind_status, kind_code
                break
        return problem(status, code, exc.message(request_language(request)))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        language = request_language(request)
        details = [
            {
                "field": ".".join(str(p) for p in error.get("loc", ())[1:]) or "body",
                "problem": error.get("msg", ""),
            }
            for error in exc.errors()
        ]
        fields = ", ".join(f"{d['field']} ({d['problem']})" for d in details)
        return problem(
            422,
            "invalid_request",
            MESSAGES["invalid_request"][language].format(fields=fields),
            details,
        )

    @app.exception_handler(BadRequest)
    async def bad_request(request: Request, exc: BadRequest) -> JSONResponse:
        return problem(400, "bad_request", exc.messages[request_language(request)])

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        language = request_language(request)
        if exc.status_code == 404:
            return problem(404, "not_found", MESSAGES["not_found"][language], headers=exc.headers)
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = MESSAGES.get(code, MESSAGES["http_error"])[language].format(
            status=exc.status_code
        )
        headers = exc.headers
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": _allowed_methods(request, exc)}
        return problem(exc.status_code, code, message, headers=headers)

    app.add_middleware(Unexpected)  # added last, so outside every other middleware
