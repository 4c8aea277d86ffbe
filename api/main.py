"""The FastAPI application: `create_app(settings)` for tests and embedding, `app` for `uvicorn api.main:app`."""

import tomllib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from api.deadline import RequestDeadline
from api.errors import install_error_handlers
from api.limits import BodySizeLimit
from api.metrics import ApiMetrics, MetricsExporter, RequestMetrics
from api.options import AllowedMethods
from api.pages import pages_router
from api.pages.web import install_page_handlers
from api.routes import api_router
from api.routes.docs import router as docs_router
from api.routes.health import DatabaseProbes
from api.routes.health import router as health_router
from api.routes.metrics import router as metrics_router
from api.sign_in_threads import SignInThreads
from connectors.prefect_api import PrefectApi
from domain.clock import Clock, system_clock
from services.runtime import Services
from settings import REPO_ROOT, Settings, get_settings

UPLOAD_PATHS = ("/api/v1/documents", "/documents/upload")  # the API's, and the dashboard's one file a request
UPLOAD_FRAMING_BYTES = 1_000_000  # multipart boundaries and headers, and the form fields

DESCRIPTION = """
Checks marketplace vendor invoices against their purchase orders in the ERP and queues the clean
ones for the RPA bot that keys them in.

* **invoices**: validate one marketplace invoice now and record the verdict.
* **validation**: dry run on an invoice posted as JSON; nothing is recorded.
* **entries**: what was judged, its findings, the bot's payload and the audit trail; the work queue.
* **kpis**: the dashboard's figures for a period, each with the queue's query listing its entries.
* **schemas**: the JSON Schema of the payload the RPA bot receives.
* **flow runs**: the Prefect deployments, their latest runs and each poll's numbers; start a poll now.

Money and quantities are exact decimals, sent as JSON strings such as `"24.60"`. Every error has
the shape `{"error": {"code": "...", "message": "...", "details": [...]}}`.
"""

TAGS = [
    {"name": "invoices", "description": "Validate marketplace invoices and record the verdicts."},
    {"name": "validation", "description": "Dry runs of the rules on posted invoices."},
    {"name": "entries", "description": "Process entries (process_scheduler) and their history."},
    {"name": "kpis", "description": "The ops dashboard's figures for a period, each linked to its entries."},
    {"name": "schemas", "description": "Published JSON Schemas."},
    {"name": "flow runs", "description": "The Prefect deployments and their runs, read from the Prefect server."},
    {"name": "health", "description": "Liveness of the service and its databases."},
    {"name": "metrics", "description": "Prometheus metrics for the ops dashboard."},
]


def _project_version() -> str:
    with (REPO_ROOT / "pyproject.toml").open("rb") as pyproject:
        version: str = tomllib.load(pyproject)["project"]["version"]
    return version


def _operation_id(route: APIRoute) -> str:
    # "entries-list_entries" rather than FastAPI's path-derived ids: readable generated clients.
    return "-".join([*map(str, route.tags[:1]), route.name])


def _configured_settings(app: FastAPI) -> Settings:
    """The settings requests see: an override of get_settings when there is one, else the environment's."""
    settings: Settings = app.dependency_overrides.get(get_settings, get_settings)()
    return settings


def _lifespan(clock: Clock) -> Callable[[FastAPI], AbstractAsyncContextManager[dict[str, object]]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, object]]:
        settings = _configured_settings(app)
        services = Services.from_settings(settings, clock=clock)
        sign_in_threads = SignInThreads(
            checks_at_once=settings.password_checks_at_once, wait_seconds=settings.password_check_wait_seconds
        )
        metrics_exporter = MetricsExporter.from_settings(app.state.api_metrics, services.store, settings)
        prefect = PrefectApi.from_settings(settings)
        try:
            yield {
                "services": services,
                "database_probes": DatabaseProbes(services.health_checks()),
                "sign_in_threads": sign_in_threads,
                "metrics_exporter": metrics_exporter,
                "prefect": prefect,
            }
        finally:
            prefect.close()
            metrics_exporter.close()
            services.close()

    return lifespan


STATIC_DIR = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None, *, clock: Clock = system_clock) -> FastAPI:
    """The API; with `settings`, they replace the environment's (for requests and for startup);
    `clock` is the time its services see (tests pass a FakeClock)."""
    app = FastAPI(
        title="Invoice Automation",
        summary="Vendor invoices checked against their purchase orders, clean ones queued for the RPA bot.",
        description=DESCRIPTION,
        version=_project_version(),
        openapi_tags=TAGS,
        generate_unique_id_function=_operation_id,
        lifespan=_lifespan(clock),
        # Swagger UI is served from vendored files (api/routes/docs.py); ReDoc would need a CDN.
        docs_url=None,
        redoc_url=None,
    )
    if settings is not None:
        app.dependency_overrides[get_settings] = lambda: settings
    install_error_handlers(app)
    install_page_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=lambda scope: _body_limit(_configured_settings(app), scope))
    app.add_middleware(AllowedMethods)
    app.add_middleware(RequestDeadline, seconds=lambda: _configured_settings(app).request_deadline_seconds)
    # The app's own metrics registry; outermost, the latencies include the answers of the middlewares above.
    app.state.api_metrics = ApiMetrics()
    app.add_middleware(RequestMetrics, metrics=app.state.api_metrics)
    app.include_router(api_router)
    app.include_router(health_router)
    app.include_router(metrics_router)
    app.include_router(docs_router)
    app.include_router(pages_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


app = create_app()


def _body_limit(settings: Settings, scope: Scope) -> int:
    """Uploads may carry DOCUMENTS_MAX_FILES files of DOCUMENTS_MAX_BYTES (and their multipart framing)."""
    if scope["path"] in UPLOAD_PATHS and scope["method"] == "POST":
        return settings.documents_max_files * settings.documents_max_bytes + UPLOAD_FRAMING_BYTES
    return settings.max_request_body_bytes
