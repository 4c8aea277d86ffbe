"""Stand-ins the tests hand to the code instead of the world: a clock that moves only when told."""

from datetime import UTC, datetime, timedelta


class FakeClock:
    """A `domain.clock.Clock` for tests: backoffs and staleness without sleeping."""

    def __init__(self, now: datetime = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by
