"""A stand-in for a long poll: deployed like poll-marketplace (one run at a time, overlaps cancelled,
our tag) but it only sleeps, so a test can kill it mid-run. tests/test_unresponsive_runs.py serves it."""

import time

from prefect import flow
from pydantic import BaseModel

from flows.serve import POLL, ScheduledFlow


class SleepParameters(BaseModel):
    seconds: int = 600


@flow(name="slow-poll")
def sleep_like_a_long_poll(parameters: SleepParameters = SleepParameters()) -> None:
    time.sleep(parameters.seconds)


SLOW_POLL = ScheduledFlow(
    flow=sleep_like_a_long_poll,
    name=POLL.name,
    cron="0 0 1 1 *",  # never during a test: its runs are the ones the test starts
    parameters=SleepParameters(),
    concurrency_limit=POLL.concurrency_limit,
)
