"""A cap on request bodies, enforced while they stream in: a JSON request (a search, a delete, a
decision) may not be larger than MAX_BODY_BYTES; file uploads (registry files, needs lists,
records) have their own, larger limits (api/uploads.py)."""

from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
            await _too_large(send)
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
            await _too_large(send)


class _TooLarge(HTTPException):
    """Raised while the body streams in. An HTTPException, so that when FastAPI itself is reading
    the body (a JSON search) it passes this on as a 413 instead of a body it could not parse."""

    def __init__(self) -> None:
        super().__init__(413)


async def _too_large(send: Send) -> None:
    body = (
        b'{"code":"too_large","message":"The request body is too large; see the limits in /docs."}'
    )
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
