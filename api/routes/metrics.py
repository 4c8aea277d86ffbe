"""GET /metrics: the service's Prometheus metrics (api/metrics.py), to any signed-in user or bot,
or to anyone with METRICS_PUBLIC=true."""

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from api.deps import StoreDep
from api.errors import ApiError, error_responses
from api.metrics import DatabaseSilentError, MetricsExporter
from api.security import TokenDep, principal_for, require_token

router = APIRouter(tags=["metrics"])


async def get_exporter(request: Request) -> MetricsExporter:
    exporter: MetricsExporter = request.state.metrics_exporter
    return exporter


# Async, its database reads on threads of the exporter's own: a scrape never waits for the app's
# threads, which a frozen database may hold, nor for the database longer than the exporter's wait.
@router.get(
    "/metrics",
    summary="Prometheus metrics: entries, verdicts, callbacks, inbox, webhooks, the last poll, API latency",
    response_class=Response,
    responses={
        200: {
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "description": "Prometheus' text format. When the process database does not answer in time: "
            "`invoice_automation_database_up 0` instead of its counts.",
        },
        **error_responses(
            {
                401: "No credentials, or unknown ones (not_authenticated); not with METRICS_PUBLIC=true.",
                403: "A vendor's user (forbidden); not with METRICS_PUBLIC=true.",
            }
        ),
    },
)
async def scrape(
    exporter: Annotated[MetricsExporter, Depends(get_exporter)], store: StoreDep, token: TokenDep
) -> Response:
    """Any signed-in AP user or bot (Prometheus scrapes with a bot's API key as its bearer token), or
    anyone when the service runs with METRICS_PUBLIC=true."""
    if not exporter.public:
        presented = require_token(token)
        try:
            caller = await exporter.read(partial(principal_for, store, presented))
        except DatabaseSilentError:
            # The credentials cannot be checked: only that the database does not answer, as /health tells anyone.
            return Response(exporter.database_down(), media_type=CONTENT_TYPE_LATEST)
        if caller.vendor_id is not None:  # the service's figures are AP's, not a vendor's
            raise ApiError(403, "forbidden", f"The metrics are for AP and its monitoring; {caller.actor} is a vendor.")
    return Response(await exporter.exposition(), media_type=CONTENT_TYPE_LATEST)
