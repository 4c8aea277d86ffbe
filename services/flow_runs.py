"""The dashboard's Flow runs page: our Prefect deployments, their schedules and latest runs, the
numbers of each poll run, and "poll now".

Read from the Prefect server (connectors.prefect_api) at each call; when it does not answer, the
overview says so (`prefect_available` False and why) instead of failing the page. A poll run's
numbers come from the table artifact it publishes (services.poll_report); a run without one (still
running, failed, or older than that artifact) is counted from the entries it recorded.
"""

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal, get_args
from uuid import UUID

from cronsim import CronSim, CronSimError
from pydantic import BaseModel, Field

from connectors.prefect_api import (
    CANCELLED,
    CRASHED,
    FAILED,
    SCHEDULED,
    PrefectApi,
    PrefectDeployment,
    PrefectFlowRun,
    PrefectSchedule,
    PrefectUnavailableError,
)
from connectors.store import ProcessStore
from domain import EntryStatus
from services.poll_report import POLL_SUMMARY_KEY, PollReport

# The deployments flows/serve.py and prefect.yaml define (tests/test_flow_runs.py checks that they
# agree), the poll first. Each is `name/name`: its flow has the deployment's name.
DeploymentName = Literal[
    "poll-marketplace", "extract-documents", "release-stale-dispatches", "deliver-webhooks", "mail-ready-payloads"
]
DEPLOYMENTS: tuple[DeploymentName, ...] = get_args(DeploymentName)
POLL_DEPLOYMENT: DeploymentName = "poll-marketplace"
EXTRACT_DEPLOYMENT: DeploymentName = "extract-documents"

# A Scheduled run this long past its time stands out as late (Prefect names it Late after 15 s).
LATE_AFTER = timedelta(minutes=1)
_FAILED_TYPES = frozenset({FAILED, CRASHED, CANCELLED})
_UNFINISHED_TYPES = frozenset({"RUNNING", "CANCELLING"})


class PollCounts(BaseModel):
    """A poll run's numbers. From its artifact (`source` "artifact"): as the run reported them. Counted
    from the entries it recorded (`source` "entries", a run with no artifact): their statuses now (an
    entry since dispatched or entered counts in `judged` only), and what only the run knew is None."""

    source: Literal["artifact", "entries"]
    pulled: int | None = Field(description="New invoice versions pulled into the inbox.")
    judged: int = Field(description="Entries recorded.")
    ready: int = Field(description="Recorded ready_to_process (for the RPA bot).")
    review: int = Field(description="Recorded manual_review.")
    bad: int = Field(description="Recorded bad_invoice.")
    waiting_on_lock: int | None = Field(description="Left in the inbox: their PO is locked by an earlier entry.")
    errors: int | None = Field(description="Could not be judged (inbox 'failed', with the reason).")

    @classmethod
    def from_report(cls, report: PollReport) -> "PollCounts":
        return cls(
            source="artifact",
            pulled=report.pulled,
            judged=report.recorded,
            ready=report.statuses.get(EntryStatus.READY_TO_PROCESS, 0),
            review=report.statuses.get(EntryStatus.MANUAL_REVIEW, 0),
            bad=report.statuses.get(EntryStatus.BAD_INVOICE, 0),
            waiting_on_lock=report.waiting_on_lock,
            errors=report.failed,
        )

    @classmethod
    def from_entries(cls, statuses: dict[EntryStatus, int]) -> "PollCounts":
        return cls(
            source="entries",
            pulled=None,
            judged=sum(statuses.values()),
            ready=statuses.get(EntryStatus.READY_TO_PROCESS, 0),
            review=statuses.get(EntryStatus.MANUAL_REVIEW, 0),
            bad=statuses.get(EntryStatus.BAD_INVOICE, 0),
            waiting_on_lock=None,
            errors=None,
        )


class FlowRunView(BaseModel):
    id: UUID
    name: str
    state_type: str | None = Field(description="Prefect's state type: SCHEDULED, PENDING, RUNNING, COMPLETED, ...")
    state_name: str | None = Field(description='Prefect\'s state name, e.g. "Late" for a SCHEDULED run past its time.')
    state_message: str | None
    expected_start_time: datetime | None
    start_time: datetime | None
    end_time: datetime | None
    duration_seconds: float | None = Field(description="From start to end, or to now while it runs.")
    stands_out: bool = Field(description="Failed, crashed, cancelled, or late.")
    poll_counts: PollCounts | None = Field(description="A poll-marketplace run's numbers; None for other flows.")
    url: str = Field(description="The run in the Prefect UI.")


class DeploymentRuns(BaseModel):
    name: DeploymentName
    flow_name: str
    deployed: bool = Field(description="False: not on the Prefect server (nothing has served or deployed it).")
    status: str | None = Field(description="Prefect's READY (something serves it) or NOT_READY.")
    schedule: str | None = Field(description='e.g. "every 10 min"; None: runs by hand only.')
    paused: bool
    schedule_active: bool = Field(description="Runs on its schedule: not paused, and a schedule is active.")
    next_run_time: datetime | None = Field(description="When its next Scheduled run is due.")
    url: str | None = Field(description="The deployment in the Prefect UI.")
    runs: list[FlowRunView] = Field(description="Latest first.")


class FlowRunsOverview(BaseModel):
    prefect_available: bool
    message: str | None = Field(description="Why Prefect could not be read, when it could not.")
    prefect_ui_url: str
    checked_at: datetime
    deployments: list[DeploymentRuns]


class StartedRun(BaseModel):
    id: UUID
    name: str
    url: str


class DeploymentNotFoundError(Exception):
    def __init__(self, full_name: str, api_url: str) -> None:
        super().__init__(
            f"The Prefect server at {api_url} has no deployment {full_name}: start `python -m flows.serve` "
            "(or deploy prefect.yaml) against it."
        )


def overview(
    client: PrefectApi,
    store: ProcessStore,
    *,
    deployment: DeploymentName | None = None,
    limit: int = 10,
    now: datetime,
) -> FlowRunsOverview:
    """Our deployments (or the one named), each with its `limit` latest runs; when Prefect does not
    answer, an overview saying so, with no deployments."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    names = DEPLOYMENTS if deployment is None else (deployment,)
    try:
        # ours: the flow has the deployment's name
        found = {each.name: each for each in client.deployments(names) if each.flow_name == each.name}
        deployments = [_deployment_runs(client, store, name, found.get(name), limit, now) for name in names]
    except PrefectUnavailableError as error:
        return FlowRunsOverview(
            prefect_available=False, message=str(error), prefect_ui_url=client.ui_url, checked_at=now, deployments=[]
        )
    return FlowRunsOverview(
        prefect_available=True, message=None, prefect_ui_url=client.ui_url, checked_at=now, deployments=deployments
    )


def start_poll(client: PrefectApi) -> StartedRun:
    """A new poll-marketplace run, due now; whatever serves the deployment runs it. Raises
    DeploymentNotFoundError without that deployment, PrefectUnavailableError without an answer."""
    return start_run(client, POLL_DEPLOYMENT)


def start_run(client: PrefectApi, name: DeploymentName) -> StartedRun:
    """A new run of one of our deployments, due now (the errors of `start_poll`)."""
    deployment = client.deployment(name, name)
    if deployment is None:
        raise DeploymentNotFoundError(f"{name}/{name}", client.api_url)
    run = client.create_flow_run(deployment.id)
    return StartedRun(id=run.id, name=run.name, url=client.flow_run_url(run.id))


def _deployment_runs(
    client: PrefectApi,
    store: ProcessStore,
    name: DeploymentName,
    deployment: PrefectDeployment | None,
    limit: int,
    now: datetime,
) -> DeploymentRuns:
    if deployment is None:
        return DeploymentRuns(
            name=name,
            flow_name=name,
            deployed=False,
            status=None,
            schedule=None,
            paused=False,
            schedule_active=False,
            next_run_time=None,
            url=None,
            runs=[],
        )
    runs = client.flow_runs(deployment.id, started_before=now, limit=limit)
    counts = _poll_counts(client, store, runs) if name == POLL_DEPLOYMENT else {}
    next_run = client.next_scheduled_run(deployment.id, after=now)
    return DeploymentRuns(
        name=name,
        flow_name=deployment.flow_name,
        deployed=True,
        status=deployment.status,
        schedule="; ".join(describe_schedule(schedule) for schedule in deployment.schedules) or None,
        paused=deployment.paused,
        schedule_active=not deployment.paused and any(schedule.active for schedule in deployment.schedules),
        next_run_time=None if next_run is None else next_run.expected_start_time,
        url=client.deployment_url(deployment.id),
        runs=[_run_view(client, run, counts.get(run.id), now) for run in runs],
    )


def _poll_counts(client: PrefectApi, store: ProcessStore, runs: Sequence[PrefectFlowRun]) -> dict[UUID, PollCounts]:
    """Each run's numbers: from its newest readable artifact, else from its entries."""
    counts: dict[UUID, PollCounts] = {}
    for artifact in client.artifacts([run.id for run in runs], POLL_SUMMARY_KEY):  # newest first
        if artifact.flow_run_id is None or artifact.flow_run_id in counts:
            continue
        report = PollReport.from_artifact(artifact.data)
        if report is not None:
            counts[artifact.flow_run_id] = PollCounts.from_report(report)
    uncounted = [run.id for run in runs if run.id not in counts]
    by_run = store.entries.entries_by_run(str(run_id) for run_id in uncounted)
    for run_id in uncounted:
        counts[run_id] = PollCounts.from_entries(by_run.get(str(run_id), {}))
    return counts


def _run_view(client: PrefectApi, run: PrefectFlowRun, counts: PollCounts | None, now: datetime) -> FlowRunView:
    return FlowRunView(
        id=run.id,
        name=run.name,
        state_type=run.state_type,
        state_name=run.state_name,
        state_message=run.state_message,
        expected_start_time=run.expected_start_time,
        start_time=run.start_time,
        end_time=run.end_time,
        duration_seconds=_duration(run, now),
        stands_out=stands_out(run, now),
        poll_counts=counts,
        url=client.flow_run_url(run.id),
    )


def stands_out(run: PrefectFlowRun, now: datetime) -> bool:
    """Failed, crashed or cancelled; or late: named Late by Prefect, or Scheduled and more than
    LATE_AFTER past its time."""
    if run.state_type in _FAILED_TYPES or run.state_name == "Late":
        return True
    due = run.expected_start_time
    return run.state_type == SCHEDULED and due is not None and now - due > LATE_AFTER


def _duration(run: PrefectFlowRun, now: datetime) -> float | None:
    if run.start_time is None:
        return None
    end = run.end_time or (now if run.state_type in _UNFINISHED_TYPES else None)
    return None if end is None else max(0.0, (end - run.start_time).total_seconds())


_MINUTE = r"([0-5]?[0-9])"
_EVERY_N_MINUTES = re.compile(rf"^\*/{_MINUTE} \* \* \* \*$")
_EVERY_N_MINUTES_FROM = re.compile(rf"^{_MINUTE}-59/{_MINUTE} \* \* \* \*$")
_HOURLY = re.compile(rf"^{_MINUTE} \* \* \* \*$")


def describe_schedule(schedule: PrefectSchedule) -> str:
    """A schedule in a few words: "every 10 min", "hourly at :00", "every 10 min from :05"..."""
    zone = f" ({schedule.timezone})" if schedule.timezone not in (None, "UTC") else ""
    if schedule.cron is not None:
        return _describe_cron(schedule.cron.strip()) + zone
    if schedule.interval is not None:
        return f"every {_describe_interval(schedule.interval)}" + zone
    return f"RRule {schedule.rrule}{zone}"


def _describe_cron(cron: str) -> str:
    if cron == "* * * * *":
        return "every minute"
    if match := _EVERY_N_MINUTES.match(cron):
        return f"every {match[1]} min"
    if match := _EVERY_N_MINUTES_FROM.match(cron):
        return f"every {match[2]} min from :{int(match[1]):02d}"
    if match := _HOURLY.match(cron):
        return f"hourly at :{int(match[1]):02d}"
    try:
        explained = CronSim(cron, datetime(2000, 1, 1)).explain()
    except (CronSimError, ValueError):
        return f"cron {cron}"
    return explained[:1].lower() + explained[1:]


def _describe_interval(interval: timedelta) -> str:
    seconds = interval.total_seconds()
    for unit, size in (("day", 86_400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if unit == 'day' and count > 1 else ''}"
    return f"{seconds:g} s"
