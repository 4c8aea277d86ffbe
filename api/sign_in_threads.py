"""Threads of their own for sign-ins, so that a flood of them never takes the threads that serve
every other request (FastAPI runs sync routes and dependencies in AnyIO's default pool of 40).

A password check is argon2id: 64 MiB of memory and a few tenths of a second of CPU. At most
`checks_at_once` run at a time in this process; a sign-in waits at most `wait_seconds` for its
turn, then gets 503 `sign_ins_busy` with Retry-After. The throttle's look-up before the check (is
this username or address locked out?) runs in a few threads of its own, so refusing a locked-out
client never waits behind password checks.
"""

import math
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread

from api.errors import ApiError

T = TypeVar("T")

# Threads for the throttle's look-ups: a quick indexed read each.
_LOOKUP_THREADS = 4


class SignInThreads:
    """Create it inside the event loop (the app's lifespan): AnyIO's primitives belong to one loop."""

    def __init__(self, *, checks_at_once: int, wait_seconds: float) -> None:
        self._turns = anyio.Semaphore(checks_at_once)
        self._check_threads = anyio.CapacityLimiter(checks_at_once)
        self._lookup_threads = anyio.CapacityLimiter(_LOOKUP_THREADS)
        self._wait_seconds = wait_seconds

    async def look_up(self, function: Callable[[], T]) -> T:
        return await anyio.to_thread.run_sync(function, limiter=self._lookup_threads)

    async def check_password(self, function: Callable[[], T]) -> T:
        """`function` (which checks a password) in a thread of the password checks, once one of
        their turns is free; 503 when none frees up in time."""
        waited_out = True
        with anyio.move_on_after(self._wait_seconds):
            await self._turns.acquire()
            waited_out = False
        if waited_out:
            raise ApiError(
                503,
                "sign_ins_busy",
                "Too many sign-ins are being checked right now; try again shortly.",
                headers={"Retry-After": str(math.ceil(self._wait_seconds))},
            )
        try:
            # Outside the timeout: a check that started runs to its end and its answer is sent.
            return await anyio.to_thread.run_sync(function, limiter=self._check_threads)
        finally:
            self._turns.release()
