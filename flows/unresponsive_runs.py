"""Runs whose process died without a word (kill -9, a worker machine lost) are marked Crashed by the
Prefect server within SILENT_AFTER of their last heartbeat, so their deployment's one concurrency
slot frees and the next scheduled run is not cancelled.

Why: such a run stays Running on the server for good, and the slot it holds is a lease the run's
process renews for 300 s at a time; the server takes it back only when the lease lapses, up to five
minutes later (the next polls of those minutes are cancelled). A run that leaves Running releases
its lease at once. Every run sends a `prefect.flow-run.heartbeat` event each HEARTBEAT_SECONDS; the
automation below (Prefect's documented zombie-run automation, limited to our deployments by their
tag) sets a run Crashed when a heartbeat is followed by neither another heartbeat nor an end state
within SILENT_AFTER. The server evaluates it, so it works while the machine running the flows is gone.

`python -m flows.unresponsive_runs` creates or updates the automation (`python -m flows.serve` does
it at start); run it once against a server whose deployments come from prefect.yaml.
"""

from datetime import timedelta
from uuid import UUID

from prefect import get_client
from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture
from prefect.events.schemas.events import ResourceSpecification

# Every deployment of ours carries this tag, and so do its runs and their events.
DEPLOYMENT_TAG = "invoice-automation"
# Prefect's shortest interval; a heartbeat costs one small event.
HEARTBEAT_SECONDS = 30
# Three heartbeats missed. A dead run is Crashed 60-90 s after it died (plus the server's 5 s
# evaluation tick): its slot is free well within 2 minutes.
SILENT_AFTER = timedelta(seconds=90)
AUTOMATION_NAME = "invoice-automation: crash runs with no heartbeat"
END_EVENTS = {f"prefect.flow-run.{state}" for state in ("Completed", "Failed", "Cancelled", "Crashed")}


def crash_silent_runs(silent_after: timedelta = SILENT_AFTER) -> AutomationCore:
    return AutomationCore(
        name=AUTOMATION_NAME,
        description=(
            f"Marks a run of a deployment tagged '{DEPLOYMENT_TAG}' Crashed when it has sent no heartbeat "
            f"for {silent_after.total_seconds():.0f} s (its process died), which frees its concurrency slot."
        ),
        trigger=EventTrigger(
            match=ResourceSpecification({"prefect.resource.id": "prefect.flow-run.*"}),
            match_related=[ResourceSpecification({"prefect.resource.id": f"prefect.tag.{DEPLOYMENT_TAG}"})],
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.heartbeat", *END_EVENTS},
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=silent_after,
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                message=f"No heartbeat for {silent_after.total_seconds():.0f} s: the process running it is gone.",
            )
        ],
    )


def ensure_crash_automation(silent_after: timedelta = SILENT_AFTER) -> UUID:
    """Create the automation, or bring the one of that name up to date: safe to run at every start."""
    automation = crash_silent_runs(silent_after)
    with get_client(sync_client=True) as client:
        existing = client.read_automations_by_name(AUTOMATION_NAME)
        if not existing:
            return client.create_automation(automation)
        first, *duplicates = existing
        client.update_automation(first.id, automation)
        for duplicate in duplicates:
            client.delete_automation(duplicate.id)
        return first.id


def main() -> None:
    automation_id = ensure_crash_automation()
    print(f"Automation '{AUTOMATION_NAME}' ({automation_id}) is in place.", flush=True)


if __name__ == "__main__":
    main()
