"""A poll whose machine dies (kill -9 of the serving process and its run) is Crashed by the Prefect
server's heartbeat automation, which frees the deployment's one concurrency slot: the next run is
not cancelled. Without it the dead run holds the slot (Prefect takes the lease back after 300 s).

Against a real `prefect server start`, with Prefect's shortest heartbeat (30 s) and 35 s of silence
allowed instead of 90, so the run also shows that a live run sending heartbeats is left alone."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from prefect import get_client
from prefect.client.orchestration import SyncPrefectClient
from prefect.client.schemas import OrchestrationResult
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.events.filters import EventFilter, EventNameFilter, EventResourceFilter
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.states import Pending

from flows.unresponsive_runs import AUTOMATION_NAME, ensure_crash_automation
from settings import REPO_ROOT

# With the other Prefect tests, on one xdist worker: two Prefect servers starting at once on a busy
# 2-core machine can miss the test harness's 30 s startup limit.
pytestmark = pytest.mark.xdist_group("prefect")
SILENT_AFTER = timedelta(seconds=35)

# `python -m flows.serve` in small: the same runner (heartbeats on) serving tests.slow_flow.SLOW_POLL,
# a stand-in for poll-marketplace deployed as it is, that sleeps.
SERVING_PROCESS = """
import asyncio
from flows.serve import new_runner
from tests.slow_flow import SLOW_POLL

runner = new_runner()
print(runner.add_deployment(SLOW_POLL.to_deployment()), flush=True)
asyncio.run(runner.start())
"""


@pytest.fixture
def client(prefect_server: str) -> Iterator[SyncPrefectClient]:
    with temporary_settings(updates={PREFECT_API_URL: prefect_server}), get_client(sync_client=True) as client:
        yield client


def wait_for_state(client: SyncPrefectClient, flow_run_id: UUID, wanted: StateType, seconds: float) -> FlowRun:
    deadline = time.monotonic() + seconds
    while (flow_run := client.read_flow_run(flow_run_id)).state_type != wanted and time.monotonic() < deadline:
        time.sleep(1)
    return flow_run


def heartbeats_of(client: SyncPrefectClient, flow_run_id: UUID) -> int:
    page = client.read_events(
        EventFilter(
            event=EventNameFilter(name=["prefect.flow-run.heartbeat"]),
            resource=EventResourceFilter(id=[f"prefect.flow-run.{flow_run_id}"]),
        ),
        limit=50,  # the server's maximum (the client's default, 100, is refused)
    )
    return len(page.events)


def answer_to_a_new_run(client: SyncPrefectClient, deployment_id: UUID) -> StateType | None:
    """The state the server gives a new run of the deployment that asks for its slot (Pending)."""
    flow_run = client.create_flow_run_from_deployment(deployment_id)
    answer: OrchestrationResult[Any] = client.set_flow_run_state(flow_run.id, Pending())
    return answer.state.type if answer.state else None


def test_a_killed_run_is_crashed_after_its_heartbeats_stop_and_its_slot_frees(
    prefect_server: str, client: SyncPrefectClient
) -> None:
    created = ensure_crash_automation(SILENT_AFTER)
    assert ensure_crash_automation(SILENT_AFTER) == created  # brought up to date, not doubled
    assert [automation.id for automation in client.read_automations_by_name(AUTOMATION_NAME)] == [created]
    serving = subprocess.Popen(
        [sys.executable, "-c", SERVING_PROCESS],
        cwd=REPO_ROOT,
        env={
            **os.environ,
            "PYTHONPATH": str(REPO_ROOT),
            "PREFECT_API_URL": prefect_server,
            "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        },
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # the serving process and the run's process: a machine to kill
    )
    try:
        assert serving.stdout is not None
        deployment_id = UUID(serving.stdout.readline().strip())
        flow_run_id = client.create_flow_run_from_deployment(deployment_id).id
        assert wait_for_state(client, flow_run_id, StateType.RUNNING, 60).state_type == StateType.RUNNING

        # Alive: past SILENT_AFTER since its first heartbeat, the second one keeps it Running.
        time.sleep(SILENT_AFTER.total_seconds() + 5)
        assert heartbeats_of(client, flow_run_id) >= 2
        assert client.read_flow_run(flow_run_id).state_type == StateType.RUNNING

        os.killpg(serving.pid, signal.SIGKILL)
        serving.wait()
        killed = time.monotonic()
    finally:
        serving.kill()
        serving.wait()
    # The dead run still holds the slot: the next poll would be cancelled.
    assert answer_to_a_new_run(client, deployment_id) == StateType.CANCELLED

    crashed = wait_for_state(client, flow_run_id, StateType.CRASHED, 120)
    assert crashed.state_type == StateType.CRASHED
    # At most SILENT_AFTER after the last heartbeat, plus the server's 5 s evaluation tick and slack.
    assert time.monotonic() - killed < SILENT_AFTER.total_seconds() + 20
    assert answer_to_a_new_run(client, deployment_id) == StateType.PENDING
