"""`release-stale-dispatches`, hourly: entries handed to the bot with no callback for longer than
allowed are looked up in the ERP (entered there: entered here with that document) and otherwise go
back to ready_to_process (audited), so nothing waits forever on a bot that died and nothing is keyed twice."""

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
    entered_entry_ids: list[int]  # found in the ERP: the bot had entered them
    released_entry_ids: list[int]  # back to the queue


@connector_task()
def release_dispatched_longer_than(stale_after_minutes: int) -> ReleaseReport:
    services = services_for(get_settings())
    outcome = release_stale(
        services.store, services.erp, services.clock, stale_after_minutes=stale_after_minutes, actor=ACTOR
    )
    return ReleaseReport(entered_entry_ids=list(outcome.entered), released_entry_ids=list(outcome.released))


@flow(name="release-stale-dispatches")
def release_stale_dispatches(parameters: ReleaseParameters = ReleaseParameters()) -> ReleaseReport:
    return release_dispatched_longer_than(parameters.stale_after_minutes)
