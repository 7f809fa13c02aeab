"""Answers that depend on who asks (private registries, the admin's reports) are never kept by a
shared cache: an API answer says `Cache-Control: no-store` and that it varies with the key and the
language, unless the route chose its own caching (the page's static files, the charts' script)."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_NO_STORE = [(b"cache-control", b"no-store"), (b"vary", b"X-API-Key, Accept-Language")]


class PrivateAnswers:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                if not any(name.lower() == b"cache-control" for name, _ in headers):
                    message["headers"] = headers + _NO_STORE
            await send(message)

        await self.app(scope, receive, marked)
