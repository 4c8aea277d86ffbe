"""OPTIONS on any path of the API answers 204 with every method the path allows (`Allow`), from
the app's own route table: Starlette's 405 names only the first route that matches the path."""

from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

# Asked of every route by trying each: a route's own `matches` is its public face (FastAPI nests routers).
_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


class AllowedMethods:
    """ASGI middleware; needs no credentials, as OPTIONS says nothing about any resource's content."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "OPTIONS":
            await self.app(scope, receive, send)
            return
        routes = scope["app"].router.routes
        methods = {
            method
            for method in _METHODS
            if any(route.matches({**scope, "method": method})[0] is Match.FULL for route in routes)
        }
        if not methods:
            await self.app(scope, receive, send)  # an unknown path: the app's own 404
            return
        allow = ", ".join(sorted(methods | {"OPTIONS"}))
        await send({"type": "http.response.start", "status": 204, "headers": [(b"allow", allow.encode())]})
        await send({"type": "http.response.body", "body": b""})
