"""`release-stale-dispatches`, hourly: entries handed to the bot with no callback for longer than
allowed go back to ready_to_process (audited), so nothing waits forever on a bot that died."""

from datetime import UTC, datetime, timedelta

from prefect import flow, task
from pydantic import BaseModel, Field

from connectors.settings import get_settings
from flows.judging import judging_service
from flows.poll import CONNECTOR_RETRIES

ACTOR = "flow:release-stale-dispatches"


class ReleaseParameters(BaseModel):
    stale_after_minutes: int = Field(
        default=120, ge=1, description="Minutes a dispatched entry may wait for the bot's callback."
    )


class ReleaseReport(BaseModel):
    released_entry_ids: list[int]


@task(**CONNECTOR_RETRIES)
def release_dispatched_before(cutoff: datetime, stale_after_minutes: int) -> list[int]:
    reason = f"no callback from the RPA bot within {stale_after_minutes} minutes of dispatch"
    return judging_service(get_settings()).store.release_stale_dispatches(cutoff, actor=ACTOR, reason=reason)


@flow(name="release-stale-dispatches")
def release_stale_dispatches(parameters: ReleaseParameters = ReleaseParameters()) -> ReleaseReport:
    cutoff = datetime.now(UTC) - timedelta(minutes=parameters.stale_after_minutes)
    return ReleaseReport(released_entry_ids=release_dispatched_before(cutoff, parameters.stale_after_minutes))
