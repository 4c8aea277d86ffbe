"""`python -m flows.serve`: run the flows on their schedules from this one process, with no work
pool and no worker, and start a first poll at once so nobody waits up to ten minutes for it.

Its runs send heartbeats, and it creates the server's automation that marks a run Crashed when
they stop (flows/unresponsive_runs.py), so a run whose process died does not hold the poll's slot.

The deployments (names, crons, concurrency, default parameters) are defined here once;
prefect.yaml declares the same ones for a process worker and tests/test_deployments.py checks that
the two agree. Needs PREFECT_API_URL pointing at a Prefect server (`python -m demo.supervisor` starts one),
and must be the only thing running these deployments there: one serving process, no workers.
"""

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast
from uuid import UUID

from prefect import Flow, get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterDeploymentId,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy, FlowRun, StateType
from prefect.deployments import run_deployment
from prefect.deployments.runner import RunnerDeployment
from prefect.runner import Runner
from prefect.states import Crashed
from pydantic import BaseModel

from flows.extract import ExtractParameters, extract_documents
from flows.housekeeping import ReleaseParameters, release_stale_dispatches
from flows.mail_dispatch import MailDispatchParameters, mail_ready_payloads
from flows.poll import PollParameters, poll_marketplace
from flows.unresponsive_runs import DEPLOYMENT_TAG, HEARTBEAT_SECONDS, ensure_crash_automation
from flows.webhooks import DeliveryParameters, deliver_webhooks
from settings import Settings, get_settings


@dataclass(frozen=True)
class ScheduledFlow:
    """A flow, the deployment it runs as and when. Each flow takes one pydantic `parameters`."""

    flow: Flow[..., Any]
    name: str
    cron: str
    parameters: BaseModel
    concurrency_limit: ConcurrencyLimitConfig | None = None
    # Why, with these settings, the flow has nothing to do (None: it has): it is then deployed without
    # a schedule, so that the run list does not fill with runs that did nothing.
    idle_with: Callable[[Settings], str | None] = field(default=lambda _settings: None)

    @property
    def full_name(self) -> str:
        return f"{self.flow.name}/{self.name}"

    def deployment_parameters(self) -> dict[str, Any]:
        return {"parameters": self.parameters.model_dump(mode="json")}

    def to_deployment(self, *, scheduled: bool = True) -> RunnerDeployment:
        """The deployment, on its schedule unless `scheduled` is False (it can still be run by hand)."""
        deployment = self.flow.to_deployment(
            name=self.name,
            cron=self.cron if scheduled else None,
            concurrency_limit=self.concurrency_limit,
            parameters=self.deployment_parameters(),
            tags=[DEPLOYMENT_TAG],
        )
        # Called from sync code, Prefect's async_dispatch functions return their result, not a coroutine.
        return cast(RunnerDeployment, deployment)


# One poll at a time; an overlapping one is cancelled rather than queued, because the next run
# drains whatever is waiting anyway (prefect.yaml says why at more length).
POLL = ScheduledFlow(
    flow=poll_marketplace,
    name="poll-marketplace",
    cron="*/10 * * * *",
    parameters=PollParameters(judging_processes=2),
    concurrency_limit=ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW),
)
# A sweep every minute; an upload starts a run at once too. One at a time: the run drains what
# waits, so an overlapping one is cancelled (overlap would be safe: the database decides who
# extracts what; it would only share the same cores).
EXTRACT = ScheduledFlow(
    flow=extract_documents,
    name="extract-documents",
    cron="* * * * *",
    parameters=ExtractParameters(),
    concurrency_limit=ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW),
)
RELEASE = ScheduledFlow(
    flow=release_stale_dispatches,
    name="release-stale-dispatches",
    cron="0 * * * *",
    parameters=ReleaseParameters(),
)
# One run at a time: two would pick the same due deliveries and send each twice. An overlapping
# run is cancelled; the next minute's run takes whatever is still due.
WEBHOOKS = ScheduledFlow(
    flow=deliver_webhooks,
    name="deliver-webhooks",
    cron="* * * * *",
    parameters=DeliveryParameters(),
    concurrency_limit=ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW),
    idle_with=lambda settings: None if settings.webhook_urls else "no WEBHOOK_URLS are set",
)
# Five minutes after each poll, so what it judged ready goes out in the same cycle. Does nothing
# unless MAIL_DISPATCH_AUTO is true. Overlap would be safe (each entry is locked while mailed);
# one run at a time only avoids the wait.
MAIL = ScheduledFlow(
    flow=mail_ready_payloads,
    name="mail-ready-payloads",
    cron="5-59/10 * * * *",
    parameters=MailDispatchParameters(),
    concurrency_limit=ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW),
    idle_with=lambda settings: None if settings.mail_dispatch_auto else "MAIL_DISPATCH_AUTO is false",
)
SCHEDULED_FLOWS = (POLL, EXTRACT, RELEASE, WEBHOOKS, MAIL)


def register(runner: Runner, settings: Settings) -> dict[str, UUID]:
    """Create or update the deployments on the server; the runner then executes their runs. A flow
    with nothing to do under `settings` is deployed without its schedule."""
    deployments = {}
    for scheduled in SCHEDULED_FLOWS:
        idle = scheduled.idle_with(settings)
        # Called from sync code, Prefect's async_dispatch functions return their result, not a coroutine.
        deployments[scheduled.name] = cast(UUID, runner.add_deployment(scheduled.to_deployment(scheduled=not idle)))
        if idle:
            print(f"Deployed {scheduled.full_name} without its schedule: {idle} (it can be run by hand)", flush=True)
        else:
            print(f"Serving {scheduled.full_name} on cron '{scheduled.cron}'", flush=True)
    return deployments


def crash_orphaned_runs(deployment_ids: Iterable[UUID]) -> None:
    """A serving process stopped mid-run (Ctrl-C, a crash) leaves its run Pending or Running, and
    so holding the poll's one concurrency slot: every later poll would be cancelled. Only this
    process runs these deployments, so such runs are over; Crashed frees their slot."""
    in_flight = FlowRunFilter(
        deployment_id=FlowRunFilterDeploymentId(any_=list(deployment_ids)),
        state=FlowRunFilterState(
            type=FlowRunFilterStateType(any_=[StateType.PENDING, StateType.RUNNING, StateType.CANCELLING])
        ),
    )
    with get_client(sync_client=True) as client:
        for orphan in client.read_flow_runs(flow_run_filter=in_flight):
            client.set_flow_run_state(orphan.id, Crashed(message="The process serving it stopped."), force=True)
            print(f"Marked {orphan.name} Crashed: the process serving it stopped mid-run.", flush=True)


def start_first_poll(deployment_id: UUID) -> None:
    # timeout=0: only create the run (scheduled for now); the runner picks it up like any other.
    flow_run = cast(FlowRun, run_deployment(deployment_id, timeout=0))  # sync code: the run, not a coroutine
    print(f"First {POLL.full_name} run requested: {flow_run.name}", flush=True)


def new_runner() -> Runner:
    # Its runs send a heartbeat every HEARTBEAT_SECONDS; the automation Crashes the silent ones.
    return Runner(name="invoice-automation", heartbeat_seconds=HEARTBEAT_SECONDS)


def main() -> None:
    runner = new_runner()
    deployment_ids = register(runner, get_settings())
    crash_orphaned_runs(deployment_ids.values())
    ensure_crash_automation()
    start_first_poll(deployment_ids[POLL.name])
    try:
        asyncio.run(runner.start())
    except KeyboardInterrupt:
        print("flows.serve stopped; the deployments' schedules are paused until it serves again.", flush=True)


if __name__ == "__main__":
    main()
