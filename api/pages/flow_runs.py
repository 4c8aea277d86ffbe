"""The flow runs page: each deployment's latest runs as the Prefect server reports them, what each
poll did, the next scheduled run, and an admin's "Poll now". When Prefect does not answer, the page
says so in a banner and the rest of the dashboard is unaffected."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import PrefectDep, ServicesDep
from api.pages.web import AdminFormDep, PageUser, PageUserDep, is_htmx, render
from connectors.prefect_api import PrefectApi, PrefectUnavailableError
from services import flow_runs
from services.runtime import Services

router = APIRouter(prefix="/flow-runs")

RUNS_SHOWN = 10


def _page(
    request: Request,
    user: PageUser,
    services: Services,
    prefect: PrefectApi,
    *,
    notice: str | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    overview = flow_runs.overview(prefect, services.store, limit=RUNS_SHOWN, now=services.clock())
    context = {"overview": overview, "notice": notice, "problem": problem}
    template = "flow_runs_live.html" if is_htmx(request) else "flow_runs.html"
    return render(request, template, user, context, status_code=status_code)


@router.get("", response_class=HTMLResponse)
def flow_runs_page(
    request: Request,
    user: PageUserDep,
    services: ServicesDep,
    prefect: PrefectDep,
    started: Annotated[str | None, Query(max_length=100, pattern="^[A-Za-z0-9-]+$")] = None,
) -> HTMLResponse:
    notice = f"Started poll run {started}: it shows here once a worker takes it." if started else None
    return _page(request, user, services, prefect, notice=notice)


@router.post("/poll", response_class=HTMLResponse)
def poll_now(request: Request, user: AdminFormDep, services: ServicesDep, prefect: PrefectDep) -> Response:
    try:
        run = flow_runs.start_poll(prefect)
    except (PrefectUnavailableError, flow_runs.DeploymentNotFoundError) as error:
        return _page(request, user, services, prefect, problem=f"No poll was started: {error}", status_code=503)
    return RedirectResponse(f"/flow-runs?started={run.name}", status_code=303)
