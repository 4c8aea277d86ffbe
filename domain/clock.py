"""The clock every store, connector and service is given: a function returning the time, timezone-aware UTC.

Code below api/ and flows/ never reads the wall clock itself; it is handed `system_clock` in
production and a `FakeClock`-like callable in tests, so backoffs and staleness are tested
without sleeping.
"""

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)
