"""prefect.yaml (deployments for a worker) and flows/serve.py (the same deployments served by one
process) must describe the same deployments, and both must be valid for Prefect. No server needed."""

import importlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect.client.schemas.schedules import CronSchedule
from prefect.flows import load_flow_from_entrypoint

from flows.serve import EXTRACT, MAIL, POLL, RELEASE, SCHEDULED_FLOWS, WEBHOOKS, ScheduledFlow
from flows.unresponsive_runs import DEPLOYMENT_TAG, HEARTBEAT_SECONDS
from settings import REPO_ROOT
from tests.api_fixtures import settings_in

PREFECT_YAML = yaml.safe_load((REPO_ROOT / "prefect.yaml").read_text())
DECLARED: dict[str, dict[str, Any]] = {deployment["name"]: deployment for deployment in PREFECT_YAML["deployments"]}
WORK_POOL = "invoice-automation"


def declared(scheduled: ScheduledFlow) -> dict[str, Any]:
    return DECLARED[scheduled.name]


each_flow = pytest.mark.parametrize("scheduled", SCHEDULED_FLOWS, ids=lambda scheduled: scheduled.name)


def test_prefect_yaml_declares_exactly_the_served_deployments() -> None:
    assert sorted(DECLARED) == sorted(scheduled.name for scheduled in SCHEDULED_FLOWS)


@each_flow
def test_entrypoint_resolves_to_the_flow(scheduled: ScheduledFlow) -> None:
    path, function = declared(scheduled)["entrypoint"].split(":")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    assert getattr(module, function) is scheduled.flow
    # What `prefect deploy` itself does with the entrypoint.
    assert load_flow_from_entrypoint(str(REPO_ROOT / path) + f":{function}").name == scheduled.flow.name


@each_flow
def test_cron_parses_and_matches_serve(scheduled: ScheduledFlow) -> None:
    [schedule] = declared(scheduled)["schedules"]
    assert CronSchedule(cron=schedule["cron"]).cron == scheduled.cron


@each_flow
def test_parameters_validate_against_the_flow_and_match_serve(scheduled: ScheduledFlow) -> None:
    parameters = declared(scheduled)["parameters"]
    validated = scheduled.flow.validate_parameters(parameters)
    assert validated["parameters"] == scheduled.parameters
    assert parameters == scheduled.deployment_parameters()


# Two polls would waste work; two webhook runs would send the same deliveries twice.
@pytest.mark.parametrize("scheduled", [POLL, WEBHOOKS], ids=lambda scheduled: scheduled.name)
def test_one_run_at_a_time_and_overlaps_cancelled(scheduled: ScheduledFlow) -> None:
    assert declared(scheduled)["concurrency_limit"] == {"limit": 1, "collision_strategy": "CANCEL_NEW"}
    served = scheduled.to_deployment()
    assert served.concurrency_options is not None
    assert (served.concurrency_limit, served.concurrency_options.collision_strategy.value) == (1, "CANCEL_NEW")


@each_flow
def test_limits_are_declared_as_served(scheduled: ScheduledFlow) -> None:
    served = scheduled.concurrency_limit
    as_declared = served and {"limit": served.limit, "collision_strategy": served.collision_strategy.value}
    assert declared(scheduled).get("concurrency_limit") == as_declared


# The automation that Crashes silent runs finds our runs by this tag, and waits for their heartbeats.
@each_flow
def test_runs_are_tagged_and_send_heartbeats_under_a_worker_as_served(scheduled: ScheduledFlow) -> None:
    assert declared(scheduled)["tags"] == [DEPLOYMENT_TAG] == scheduled.to_deployment().tags
    env = declared(scheduled)["work_pool"]["job_variables"]["env"]
    assert env["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"] == str(HEARTBEAT_SECONDS)


@each_flow
def test_runs_on_the_process_work_pool(scheduled: ScheduledFlow) -> None:
    assert declared(scheduled)["work_pool"]["name"] == WORK_POOL


def test_workers_run_the_code_from_the_checkout_deployed() -> None:
    [build] = PREFECT_YAML["build"]
    [pull] = PREFECT_YAML["pull"]
    checkout = build["prefect.deployments.steps.run_shell_script"]
    assert checkout["script"] == "pwd"
    assert pull["prefect.deployments.steps.set_working_directory"]["directory"] == f"{{{{ {checkout['id']}.stdout }}}}"


@each_flow
def test_served_deployment_carries_schedule_and_parameters(scheduled: ScheduledFlow) -> None:
    deployment = scheduled.to_deployment()
    assert deployment.schedules is not None
    [schedule] = deployment.schedules
    assert isinstance(schedule.schedule, CronSchedule)
    assert schedule.schedule.cron == scheduled.cron
    assert deployment.parameters == scheduled.deployment_parameters()


def test_a_flow_with_nothing_configured_is_served_without_its_schedule(tmp_path: Path) -> None:
    unconfigured = settings_in(tmp_path)
    configured = settings_in(
        tmp_path,
        webhook_urls=("https://ap.example/hooks",),
        webhook_secret="s3cret-for-the-test",
        mail_dispatch_auto=True,
        smtp_host="127.0.0.1",
        rpa_mailbox="rpa-bot@example.com",
    )

    assert {flow.name: flow.idle_with(unconfigured) for flow in SCHEDULED_FLOWS} == {
        POLL.name: None,
        EXTRACT.name: None,
        RELEASE.name: None,
        WEBHOOKS.name: "no WEBHOOK_URLS are set",
        MAIL.name: "MAIL_DISPATCH_AUTO is false",
    }
    assert all(flow.idle_with(configured) is None for flow in SCHEDULED_FLOWS)
    assert WEBHOOKS.to_deployment(scheduled=False).schedules in (None, [])
