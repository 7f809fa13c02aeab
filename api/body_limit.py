"""A cap on request bodies, enforced while they stream in: a JSON request (a search, a delete, a
decision) may not be larger than MAX_BODY_BYTES; file uploads (registry files, needs lists,
records) have their own, larger limits (api/uploads.py)."""

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ngen_connect.api.errors import MESSAGES, problem, request_language
from ngen_connect.limits import MAX_BODY_BYTES


def _streams_a_file(path: str) -> bool:
    parts = path.strip("/").split("/")
    upload = len(parts) == 3 and parts[0] == "registries" and parts[2] in {"uploads", "needs"}
    records = len(parts) == 2 and parts[0] == "records"
    return upload or records


class BodyLimit:
    """Answer 413 as soon as a body passes the limit (by its Content-Length, or as it streams)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _streams_a_file(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > self.limit:
            await _too_large(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await _too_large(scope, receive, send)


class _TooLarge(HTTPException):
    """Raised while the body streams in. An HTTPException, so that when FastAPI itself is reading
    the body (a JSON search) it passes this on as a 413 instead of a body it could not parse."""

    def __init__(self) -> None:
        super().__init__(413)


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    language = request_language(Request(scope))
    await problem(413, "too_large", MESSAGES["too_large"][language])(scope, receive, send)
