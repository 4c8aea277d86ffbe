"""A request the app has not started answering within the deadline gets 503 database_unavailable.

A frozen database (a stopped server process, a network that drops packets) enforces no timeout of
its own and keeps its TCP connections open: a query sent to it waits with no end. Its worker thread
cannot be interrupted, so it is left behind, to the statement and socket timeouts of its engine
(connectors/db.py), and the client is answered now; a transaction of it that reaches its commit
later is rolled back, so the 503 is true: nothing was changed. Pool checkouts then time out quickly for the
requests after it (503 too), and routes needing no database (async, no thread) never wait.
"""

import asyncio
import contextvars
import logging
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import database_unavailable_response
from connectors.db import abandonable

logger = logging.getLogger(__name__)


class RequestDeadline:
    """ASGI middleware; `seconds` is asked per request, so settings a test overrides apply."""

    def __init__(self, app: ASGIApp, seconds: Callable[[], float]) -> None:
        self.app = app
        self.seconds = seconds
        self._left_behind: set[asyncio.Task[None]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = self.seconds()
        started = given_up = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            if given_up:
                return  # the client has had its 503
            started = started or message["type"] == "http.response.start"
            await send(message)

        # Its own context, where a commit of the request's work is refused once it is given up on.
        context = contextvars.copy_context()
        abandon = context.run(abandonable)
        handling = asyncio.get_running_loop().create_task(self._handle(scope, receive, watched_send), context=context)
        done, _ = await asyncio.wait({handling}, timeout=deadline)
        if done or started:  # answered, or answering (a body still streaming)
            await handling
            return
        given_up = True
        abandon.set()
        logger.warning(
            "No answer to %s %s within %s s: a database does not answer; the request is left to its timeouts",
            scope["method"],
            scope["path"],
            deadline,
        )
        # Not cancelled (it would wait for its thread all the same): kept referenced until it ends,
        # its outcome logged.
        self._left_behind.add(handling)
        handling.add_done_callback(self._finished_late)
        response = database_unavailable_response(
            f"A database the service needs did not answer within {deadline:g} s; try again shortly."
        )
        await response(scope, receive, send)

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def _finished_late(self, handling: "asyncio.Task[None]") -> None:
        self._left_behind.discard(handling)
        outcome = "cancelled" if handling.cancelled() else repr(handling.exception() or "answered")
        logger.warning("A request given up on ended later: %s", outcome)
