"""`release-stale-dispatches`, hourly: entries handed to the bot with no callback for longer than
allowed go back to ready_to_process (audited), so nothing waits forever on a bot that died."""

from prefect import flow
from pydantic import BaseModel, Field

from flows.retries import connector_task
from services.rpa import release_stale_dispatches as release_stale
from services.runtime import services_for
from settings import get_settings

ACTOR = "flow:release-stale-dispatches"


class ReleaseParameters(BaseModel):
    stale_after_minutes: int = Field(
        default=120, ge=1, description="Minutes a dispatched entry may wait for the bot's callback."
    )


class ReleaseReport(BaseModel):
    released_entry_ids: list[int]


@connector_task()
def release_dispatched_longer_than(stale_after_minutes: int) -> list[int]:
    services = services_for(get_settings())
    return release_stale(services.store, services.clock, stale_after_minutes=stale_after_minutes, actor=ACTOR)


@flow(name="release-stale-dispatches")
def release_stale_dispatches(parameters: ReleaseParameters = ReleaseParameters()) -> ReleaseReport:
    return ReleaseReport(released_entry_ids=release_dispatched_longer_than(parameters.stale_after_minutes))
