"""The Prefect side of the service: our deployments, their latest runs and each poll's numbers
(the dashboard's Flow runs page reads the same overview), and "poll now".

Prefect not answering is no error of this API: the overview says so (`prefect_available` false,
and why), so the dashboard keeps working; only starting a poll needs it (503)."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from api.deps import PrefectDep, ServicesDep
from api.errors import error_responses
from api.security import AdminDep, PersonDep
from services import flow_runs
from services.flow_runs import DeploymentName, FlowRunsOverview, StartedRun

router = APIRouter(prefix="/flow-runs", tags=["flow runs"])

MAX_RUNS = 100


@router.get(
    "",
    response_model=FlowRunsOverview,
    summary="Our Prefect deployments, their schedules and latest runs, with each poll run's numbers",
)
def list_flow_runs(
    _person: PersonDep,
    prefect: PrefectDep,
    services: ServicesDep,
    deployment: Annotated[DeploymentName | None, Query(description="Only this deployment.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_RUNS, description="Latest runs per deployment.")] = 10,
) -> FlowRunsOverview:
    return flow_runs.overview(prefect, services.store, deployment=deployment, limit=limit, now=services.clock())


@router.post(
    "/poll",
    response_model=StartedRun,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Start a poll-marketplace run now",
    description="Creates a run of the poll-marketplace deployment, due now; whatever serves the deployment "
    "(python -m flows.serve, a worker) runs it. Its id and its page in the Prefect UI are returned at once.",
    responses=error_responses(
        {
            404: "The Prefect server has no poll-marketplace deployment (deployment_not_found).",
            503: "The Prefect API does not answer (prefect_unavailable); the message names its URL.",
        }
    ),
)
def start_poll(_admin: AdminDep, prefect: PrefectDep) -> StartedRun:
    return flow_runs.start_poll(prefect)
