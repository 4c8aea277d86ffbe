"""The Flow runs overview and GET /api/v1/flow-runs, POST /api/v1/flow-runs/poll, against a real
`prefect server start` holding our four deployments as flows.serve registers them.

A poll run is started through the API and run by Prefect's engine in a process of its own, as
flows.serve's runner runs it, over seeded SQLite databases (the real flow: it publishes its table
artifact); other runs are made and moved through
their states with Prefect's own client, which the expectations are read with too.
"""

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast
from uuid import UUID

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from playwright.sync_api import expect
from prefect import get_client
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterDeploymentId
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.states import Cancelled, Completed, Crashed, Failed, Running, Scheduled

from api.main import create_app
from connectors.prefect_api import PrefectSchedule
from connectors.store import InboxCounts, ProcessStore
from connectors.store.migrate import upgrade
from demo import seed_demo
from demo.factories import make_invoice, make_payload, make_verdict
from domain import EntryStatus
from flows.serve import SCHEDULED_FLOWS, new_runner, register
from services.flow_runs import (
    DEPLOYMENTS,
    DeploymentRuns,
    FlowRunsOverview,
    FlowRunView,
    PollCounts,
    describe_schedule,
)
from services.poll_report import PollReport
from settings import REPO_ROOT, Settings
from tests.api_fixtures import PASSWORD, credentials_for, served
from tests.browsing import browser_tab, document, sign_in

pytestmark = pytest.mark.xdist_group("prefect")
URL = "/api/v1/flow-runs"
INVOICES = 60


# ---------------------------------------------------------------------- without a server


def test_the_deployments_are_those_flows_serve_registers_poll_first() -> None:
    assert tuple(scheduled.name for scheduled in SCHEDULED_FLOWS) == DEPLOYMENTS
    assert [scheduled.flow.name for scheduled in SCHEDULED_FLOWS] == list(DEPLOYMENTS)
    assert DEPLOYMENTS[0] == "poll-marketplace"


def test_a_poll_report_reads_back_exactly_from_its_artifact_and_nothing_else_does() -> None:
    report = PollReport(
        pulled=120,
        unreadable=3,
        statuses={EntryStatus.READY_TO_PROCESS: 70, EntryStatus.BAD_INVOICE: 9},
        waiting_on_lock=11,
        waiting=12,
        failed=1,
        batches=4,
        seconds=2.345,
    )

    assert PollReport.from_artifact(json.dumps(report.table())) == report
    assert report.table()[0] == {"what": "pulled into the inbox", "count": 120, "key": "pulled"}
    # what runs published before the table, and data that is no report
    assert PollReport.from_artifact("# poll-marketplace\n\n| | count |\n|---|---:|\n| pulled | 3 |\n") is None
    assert PollReport.from_artifact(json.dumps([{"key": "pulled", "count": "many"}])) is None
    assert PollReport.from_artifact(json.dumps([1, 2])) is None
    assert PollReport.from_artifact(json.dumps({"pulled": 1})) is None
    assert PollReport.from_artifact(None) is None


@pytest.mark.parametrize(
    ("schedule", "text"),
    [
        (PrefectSchedule(active=True, cron="*/10 * * * *"), "every 10 min"),
        (PrefectSchedule(active=True, cron="* * * * *"), "every minute"),
        (PrefectSchedule(active=True, cron="0 * * * *"), "hourly at :00"),
        (PrefectSchedule(active=True, cron="5-59/10 * * * *"), "every 10 min from :05"),
        (
            PrefectSchedule(active=True, cron="0 6 * * 1-5", timezone="Europe/Berlin"),
            "at 06:00 on Monday through Friday (Europe/Berlin)",
        ),
        (PrefectSchedule(active=True, cron="0 6 * * 1-5", timezone="UTC"), "at 06:00 on Monday through Friday"),
        (PrefectSchedule(active=True, cron="61 * * * *"), "cron 61 * * * *"),
        (PrefectSchedule(active=True, interval=timedelta(minutes=15)), "every 15 min"),
        (PrefectSchedule(active=True, interval=timedelta(hours=2)), "every 2 h"),
        (PrefectSchedule(active=True, interval=timedelta(days=2)), "every 2 days"),
        (PrefectSchedule(active=True, interval=timedelta(seconds=90)), "every 90 s"),
        (PrefectSchedule(active=True, rrule="FREQ=DAILY"), "RRule FREQ=DAILY"),
    ],
)
def test_a_schedule_in_a_few_words(schedule: PrefectSchedule, text: str) -> None:
    assert describe_schedule(schedule) == text


# ---------------------------------------------------------------------- against a Prefect server


@dataclass
class Stage:
    """The Prefect server, the app reading it (clerk credentials), the databases the poll runs over."""

    server: str
    prefect: SyncPrefectClient
    app: TestClient
    settings: Settings
    admin: dict[str, str]
    pullable: int  # the seeded invoices a poll can read (the garbled ones are unreadable)

    def overview(self, **params: Any) -> FlowRunsOverview:
        response: httpx.Response = self.app.get(URL, params=params)
        assert response.status_code == 200, response.text
        return FlowRunsOverview.model_validate(response.json())

    def poll_now(self) -> httpx.Response:
        response: httpx.Response = self.app.post(f"{URL}/poll", headers=self.admin)
        return response

    def flow_env(self) -> dict[str, str]:
        """The environment a flow run over the stage's databases and Prefect server needs."""
        return {
            **os.environ,
            "PYTHONPATH": str(REPO_ROOT),
            "PREFECT_API_URL": self.server,
            "MARKETPLACE_DB_URL": self.settings.marketplace_db_url,
            "ERP_DB_URL": self.settings.erp_db_url,
            "PROCESS_DB_URL": self.settings.process_db_url,
        }

    def inbox_counts(self) -> InboxCounts:
        store = ProcessStore.from_url(self.settings.process_db_url)
        try:
            return store.inbox.counts()
        finally:
            store.close()

    def entries_of(self, flow_run_id: UUID) -> dict[EntryStatus, int]:
        engine = sa.create_engine(self.settings.process_db_url)
        try:
            with engine.connect() as connection:
                rows = connection.execute(
                    sa.text("SELECT status, count(*) FROM process_scheduler WHERE flow_run_id = :id GROUP BY status"),
                    {"id": str(flow_run_id)},
                ).all()
        finally:
            engine.dispose()
        return {EntryStatus(status): count for status, count in rows}


@pytest.fixture(scope="module")
def stage(prefect_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    folder = tmp_path_factory.mktemp("flow-runs")
    urls = {name: f"sqlite:///{folder / name}.db" for name in ("marketplace", "erp", "process")}
    # The flow judges by the real clock, so the demo's "today" is the real one too.
    seeded = seed_demo(urls["marketplace"], urls["erp"], invoices=INVOICES, today=date.today())
    garbled = sum(1 for problem in seeded.problems.values() if problem.startswith("garbled."))
    upgrade(urls["process"])
    settings = Settings(
        _env_file=None,
        marketplace_db_url=urls["marketplace"],
        erp_db_url=urls["erp"],
        process_db_url=urls["process"],
        prefect_api_url=prefect_server,
        # A loaded machine's Prefect server can take seconds to answer; the 3 s default is for a page.
        prefect_api_timeout_seconds=15,
    )
    with (
        temporary_settings(updates={PREFECT_API_URL: prefect_server}),
        get_client(sync_client=True) as prefect,
        TestClient(create_app(settings)) as app,
    ):
        app.headers.update(credentials_for(settings, "clerk"))
        yield Stage(prefect_server, prefect, app, settings, credentials_for(settings, "admin"), INVOICES - garbled)


# Runs first (file order): the server holds no deployment yet.
def test_before_anything_is_deployed_the_overview_says_so_and_poll_now_is_404(stage: Stage) -> None:
    overview = stage.overview()

    assert (overview.prefect_available, overview.message) == (True, None)
    assert overview.prefect_ui_url == stage.server.removesuffix("/api")
    assert overview.deployments == [
        DeploymentRuns(
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
        for name in DEPLOYMENTS
    ]
    response = stage.poll_now()
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "deployment_not_found"
    assert "poll-marketplace/poll-marketplace" in response.json()["error"]["message"]


@dataclass
class Deployed:
    ids: dict[str, UUID]
    poll_run: UUID  # started through the API, run by the flow engine: Completed, with its artifact
    failed_poll_run: UUID  # recorded two entries, then failed: no artifact
    crashed: UUID
    late: UUID
    cancelled: UUID
    completed_housekeeping: UUID


def moved_through(prefect: SyncPrefectClient, deployment_id: UUID, *states: Any, pause: float = 0.2) -> UUID:
    """A run of the deployment forced through these states (a little time apart)."""
    flow_run = prefect.create_flow_run_from_deployment(deployment_id)
    for state in states:
        prefect.set_flow_run_state(flow_run.id, state, force=True)
        time.sleep(pause)  # durations come from the server's clock
    return flow_run.id


@pytest.fixture(scope="module")
def deployed(stage: Stage) -> Deployed:
    prefect = stage.prefect
    # As `python -m flows.serve` registers them (without its runner starting): deliver-webhooks and
    # mail-ready-payloads have nothing configured here, so they come without a schedule.
    ids = register(new_runner(), stage.settings)

    started = stage.poll_now()
    assert started.status_code == 202, started.text
    poll_run = UUID(started.json()["id"])
    assert started.json() == {
        "id": str(poll_run),
        "name": prefect.read_flow_run(poll_run).name,
        "url": f"{stage.server.removesuffix('/api')}/runs/flow-run/{poll_run}",
    }
    # run as flows.serve's runner runs it: Prefect's engine in a process of its own (where the flow's
    # Prefect workers live and die with it), over the stage's databases
    subprocess.run(
        [sys.executable, "-m", "prefect.engine", str(poll_run)],
        cwd=REPO_ROOT,
        env=stage.flow_env(),
        check=True,
        timeout=300,
        capture_output=True,
    )
    assert prefect.read_flow_run(poll_run).state_type is StateType.COMPLETED

    failed_poll_run = moved_through(prefect, ids["poll-marketplace"], Running())
    store = ProcessStore.from_url(stage.settings.process_db_url)
    try:
        for number, status in enumerate((EntryStatus.READY_TO_PROCESS, EntryStatus.MANUAL_REVIEW), 1):
            invoice = make_invoice(source_invoice_id=f"failed-{number}", po_number=f"PO-F{number}")
            store.verdicts.record_one(
                invoice, make_verdict(status), make_payload(invoice), actor="test", flow_run_id=str(failed_poll_run)
            )
    finally:
        store.close()
    prefect.set_flow_run_state(failed_poll_run, Failed(message="The ERP went away."), force=True)
    # the poll's next ten runs, now rather than at the scheduler's next loop
    httpx.post(f"{stage.server}/deployments/{ids['poll-marketplace']}/schedule", json={}).raise_for_status()

    webhooks = ids["deliver-webhooks"]
    crashed = moved_through(prefect, webhooks, Running(), Crashed(message="No heartbeat for 90 s."))
    late = prefect.create_flow_run_from_deployment(
        webhooks, state=Scheduled(scheduled_time=datetime.now(UTC) - timedelta(minutes=5))
    ).id
    cancelled = moved_through(prefect, ids["mail-ready-payloads"], Cancelled())
    housekeeping = ids["release-stale-dispatches"]
    completed_housekeeping = moved_through(prefect, housekeeping, Running(), Completed(), pause=1.1)
    prefect.pause_deployment(housekeeping)
    return Deployed(ids, poll_run, failed_poll_run, crashed, late, cancelled, completed_housekeeping)


def expected_runs(
    stage: Stage, deployment_id: UUID, checked_at: datetime, limit: int, counts: dict[UUID, PollCounts] | None
) -> list[FlowRunView]:
    """The deployment's runs as Prefect's own client reads them: started (or due) by `checked_at`,
    latest first."""
    every_run = stage.prefect.read_flow_runs(
        flow_run_filter=FlowRunFilter(deployment_id=FlowRunFilterDeploymentId(any_=[deployment_id]))
    )

    def started(run: FlowRun) -> datetime:
        return cast(datetime, run.start_time or run.expected_start_time)

    latest = sorted((run for run in every_run if started(run) <= checked_at), key=started, reverse=True)[:limit]
    return [view_of(stage, run, checked_at, None if counts is None else counts[run.id]) for run in latest]


def view_of(stage: Stage, run: FlowRun, checked_at: datetime, counts: PollCounts | None) -> FlowRunView:
    assert run.state is not None and run.state_type is not None
    late = run.state_type is StateType.SCHEDULED and checked_at - cast(datetime, run.expected_start_time) > timedelta(
        minutes=1
    )
    return FlowRunView(
        id=run.id,
        name=run.name,
        state_type=run.state_type.value,
        state_name=run.state_name,
        state_message=run.state.message,
        expected_start_time=run.expected_start_time,
        start_time=run.start_time,
        end_time=run.end_time,
        duration_seconds=None
        if run.start_time is None or run.end_time is None
        else (run.end_time - run.start_time).total_seconds(),
        stands_out=run.state_type in {StateType.FAILED, StateType.CRASHED, StateType.CANCELLED}
        or run.state_name == "Late"
        or late,
        poll_counts=counts,
        url=f"{stage.server.removesuffix('/api')}/runs/flow-run/{run.id}",
    )


def next_scheduled(stage: Stage, deployment_id: UUID, after: datetime) -> datetime | None:
    due = [
        run.expected_start_time
        for run in stage.prefect.read_flow_runs(
            flow_run_filter=FlowRunFilter(deployment_id=FlowRunFilterDeploymentId(any_=[deployment_id]))
        )
        if run.state_type is StateType.SCHEDULED and run.expected_start_time and run.expected_start_time >= after
    ]
    return min(due, default=None)


def test_the_overview_shows_each_deployment_its_schedule_and_latest_runs(stage: Stage, deployed: Deployed) -> None:
    overview = stage.overview()

    assert (overview.prefect_available, overview.message) == (True, None)
    now = overview.checked_at
    ui = stage.server.removesuffix("/api")
    # the real poll's numbers, from its artifact, as the databases have them
    poll_entries = stage.entries_of(deployed.poll_run)
    inbox = stage.inbox_counts()
    poll_counts = PollCounts(
        source="artifact",
        pulled=stage.pullable,
        judged=sum(poll_entries.values()),
        ready=poll_entries.get(EntryStatus.READY_TO_PROCESS, 0),
        review=poll_entries.get(EntryStatus.MANUAL_REVIEW, 0),
        bad=poll_entries.get(EntryStatus.BAD_INVOICE, 0),
        waiting_on_lock=inbox.waiting_on_lock,
        errors=0,
    )
    assert poll_counts.judged + inbox.waiting == stage.pullable
    assert poll_counts.judged > 0 and poll_counts.waiting_on_lock
    # the failed one's, from its entries
    failed_counts = PollCounts(
        source="entries", pulled=None, judged=2, ready=1, review=1, bad=0, waiting_on_lock=None, errors=None
    )
    counts = {deployed.poll_run: poll_counts, deployed.failed_poll_run: failed_counts}
    poll_id = deployed.ids["poll-marketplace"]
    # scheduled poll runs due before now (the test crossed a :x0 minute) are listed too, with no entries
    counts |= {
        run.id: PollCounts.from_entries({})
        for run in expected_runs(stage, poll_id, now, 10, None)
        if run.id not in counts
    }

    def deployment(name: str, schedule: str | None, *, paused: bool = False) -> DeploymentRuns:
        deployment_id = deployed.ids[name]
        return DeploymentRuns(
            name=name,
            flow_name=name,
            deployed=True,
            status="NOT_READY",  # nothing serves it
            schedule=schedule,
            paused=paused,
            schedule_active=schedule is not None and not paused,
            next_run_time=next_scheduled(stage, deployment_id, now),
            url=f"{ui}/deployments/deployment/{deployment_id}",
            runs=expected_runs(stage, deployment_id, now, 10, counts if name == "poll-marketplace" else None),
        )

    assert overview.deployments == [
        deployment("poll-marketplace", "every 10 min"),
        deployment("extract-documents", "every minute"),
        deployment("release-stale-dispatches", "hourly at :00", paused=True),
        deployment("deliver-webhooks", None),
        deployment("mail-ready-payloads", None),
    ]
    # pausing deleted the housekeeping's scheduled runs; the other two have no schedule
    assert [deployment.next_run_time is not None for deployment in overview.deployments] == [
        True,
        True,
        False,
        False,
        False,
    ]
    # and what that means for the runs made here
    runs = {run.id: run for deployment in overview.deployments for run in deployment.runs}
    shown = [
        (runs[run_id].state_type, runs[run_id].stands_out, runs[run_id].poll_counts)
        for run_id in (deployed.poll_run, deployed.failed_poll_run, deployed.crashed, deployed.cancelled)
    ]
    assert shown == [
        ("COMPLETED", False, poll_counts),
        ("FAILED", True, failed_counts),
        ("CRASHED", True, None),
        ("CANCELLED", True, None),
    ]
    assert (runs[deployed.late].state_type, runs[deployed.late].stands_out) == ("SCHEDULED", True)
    assert runs[deployed.failed_poll_run].state_message == "The ERP went away."
    housekeeping = runs[deployed.completed_housekeeping]
    assert (housekeeping.stands_out, housekeeping.duration_seconds is not None) == (False, True)
    assert 1.1 <= cast(float, housekeeping.duration_seconds) < 5


def test_one_deployment_and_fewer_runs_on_request(stage: Stage, deployed: Deployed) -> None:
    overview = stage.overview(deployment="poll-marketplace", limit=1)

    [poll] = overview.deployments
    [latest] = poll.runs
    assert poll.name == "poll-marketplace"
    assert latest.poll_counts is not None
    assert poll.runs == expected_runs(
        stage, deployed.ids["poll-marketplace"], overview.checked_at, 1, {latest.id: latest.poll_counts}
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "query.limit"), ({"limit": 101}, "query.limit"), ({"deployment": "nope"}, "query.deployment")],
)
def test_a_bad_query_is_a_422_naming_the_field(stage: Stage, params: dict[str, Any], field: str) -> None:
    response = stage.app.get(URL, params=params)

    assert response.status_code == 422
    assert [problem["field"] for problem in response.json()["error"]["details"]] == [field]


def test_poll_now_creates_a_run_the_serving_process_picks_up(stage: Stage, deployed: Deployed) -> None:
    response = stage.poll_now()

    assert response.status_code == 202
    flow_run = stage.prefect.read_flow_run(UUID(response.json()["id"]))
    assert (flow_run.deployment_id, flow_run.state_type) == (deployed.ids["poll-marketplace"], StateType.SCHEDULED)
    assert flow_run.parameters == {"parameters": SCHEDULED_FLOWS[0].parameters.model_dump(mode="json")}
    assert stage.app.post(f"{URL}/poll").status_code == 403  # a clerk may look, not start


@pytest.mark.browser
def test_the_flow_runs_page_shows_each_poll_and_what_it_did(stage: Stage, deployed: Deployed) -> None:
    ProcessStore.from_url(stage.settings.process_db_url).accounts.create_user("ada", PASSWORD, "admin")
    with served(create_app(stage.settings), stage.settings) as base_url, browser_tab("flow-runs page") as page:
        sign_in(page, base_url, "ada", PASSWORD)
        page.goto(f"{base_url}/flow-runs")
        poll = page.locator("section.deployment").first
        expect(poll.get_by_role("heading")).to_contain_text("poll-marketplace")
        row = poll.locator("tr", has=page.get_by_role("link", name=stage.prefect.read_flow_run(deployed.poll_run).name))
        expect(row.locator(".status")).to_have_text("Completed")
        document(page, "flow-runs")
        expect(poll.locator("tr.standout")).not_to_have_count(0)  # the failed poll stands out
        page.get_by_role("button", name="Poll now").click()
        expect(page.get_by_role("status")).to_contain_text("Started poll run")
