"""The app itself: settings, health, the published schema, OpenAPI, and the error shape everywhere."""

import logging
import socket
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.deps import ServicesDep, SettingsDep, StoreDep
from api.main import create_app
from domain.payload_schema import RPA_PAYLOAD_SCHEMA
from settings import get_settings
from tests.api_fixtures import api_world, settings_in

SWAGGER_JS = "/static/swagger-ui/swagger-ui-bundle.js"
SWAGGER_CSS = "/static/swagger-ui/swagger-ui.css"


def test_health_is_ok_when_the_three_databases_answer(tmp_path: Path) -> None:
    with api_world(tmp_path) as world:
        response = world.client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"marketplace": "ok", "erp": "ok", "process": "ok"}}


def test_health_is_503_naming_the_database_that_does_not_answer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_in(tmp_path).model_copy(
        update={"erp_db_url": "postgresql+psycopg://nobody:secret@127.0.0.1:1/erp"}
    )

    with TestClient(create_app(settings)) as client:
        response = client.get("/health")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"marketplace": "ok", "erp": "unavailable (OperationalError)", "process": "ok"},
    }
    assert "secret" not in response.text
    assert "Health check of the erp database failed" in caplog.text


def test_overridden_settings_reach_startup_and_the_dependencies(tmp_path: Path) -> None:
    app = create_app()
    settings = settings_in(tmp_path)
    app.dependency_overrides[get_settings] = lambda: settings

    @app.get("/test/deps")
    def dependencies_in_use(current: SettingsDep, services: ServicesDep, store: StoreDep) -> dict[str, object]:
        return {"process_db_url": current.process_db_url, "one_store": services.store is store}

    with api_world(tmp_path, app=app) as world:
        assert world.client.get("/health").status_code == 200
        assert world.client.get("/test/deps").json() == {"process_db_url": settings.process_db_url, "one_store": True}


def test_the_rpa_payload_schema_is_published(tmp_path: Path) -> None:
    client = TestClient(create_app(settings_in(tmp_path)))

    response = client.get("/api/v1/schemas/rpa-payload")

    assert response.status_code == 200
    assert response.json() == RPA_PAYLOAD_SCHEMA


def test_openapi_documents_every_route_and_the_error_shape(tmp_path: Path) -> None:
    client = TestClient(create_app(settings_in(tmp_path)))

    spec = client.get("/openapi.json").json()

    assert spec["info"]["title"] == "Invoice Automation"
    assert set(spec["paths"]) == {
        "/api/v1/invoices/{source_id}/validate",
        "/api/v1/validate",
        "/api/v1/entries",
        "/api/v1/entries/export.csv",
        "/api/v1/entries/{entry_id}",
        "/api/v1/entries/{entry_id}/approve",
        "/api/v1/entries/{entry_id}/reject",
        "/api/v1/entries/{entry_id}/requeue",
        "/api/v1/entries/{entry_id}/mail",
        "/api/v1/documents",
        "/api/v1/documents/{document_id}",
        "/api/v1/documents/{document_id}/file",
        "/api/v1/documents/{document_id}/pages/{page}",
        "/api/v1/documents/{document_id}/reextract",
        "/api/v1/documents/{document_id}/fields",
        "/api/v1/documents/{document_id}/submit",
        "/api/v1/extraction/usage",
        "/api/v1/vendor/invoices",
        "/api/v1/vendor/invoices/{entry_id}",
        "/api/v1/kpis",
        "/api/v1/rpa/claim",
        "/api/v1/rpa/{entry_id}/success",
        "/api/v1/rpa/{entry_id}/failure",
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/auth/me",
        "/api/v1/users",
        "/api/v1/users/{username}/deactivate",
        "/api/v1/api-keys",
        "/api/v1/api-keys/{name}/revoke",
        "/api/v1/webhook-deliveries",
        "/api/v1/flow-runs",
        "/api/v1/flow-runs/poll",
        "/api/v1/schemas/rpa-payload",
        "/health",
        "/metrics",
    }
    validate = spec["paths"]["/api/v1/invoices/{source_id}/validate"]["post"]
    assert {"400", "404", "409", "422", "500"} <= set(validate["responses"])
    assert validate["responses"]["409"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorResponse"
    }
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_swagger_ui_is_served_from_the_app_not_a_cdn(tmp_path: Path) -> None:
    client = TestClient(create_app(settings_in(tmp_path)))

    page = client.get("/docs")
    script, style = client.get(SWAGGER_JS), client.get(SWAGGER_CSS)

    assert page.status_code == 200
    assert f'src="{SWAGGER_JS}"' in page.text and f'href="{SWAGGER_CSS}"' in page.text
    assert "http" not in page.text.replace("/openapi.json", "")  # nothing from another host
    assert (script.status_code, script.headers["content-type"]) == (200, "text/javascript; charset=utf-8")
    assert "SwaggerUIBundle" in script.text
    assert (style.status_code, style.headers["content-type"]) == (200, "text/css; charset=utf-8")
    assert client.get("/redoc").status_code == 404


def test_unknown_routes_and_methods_get_the_error_shape(tmp_path: Path) -> None:
    client = TestClient(create_app(settings_in(tmp_path)))

    not_found = client.get("/api/v1/nothing-here")
    wrong_method = client.delete("/api/v1/entries")

    assert not_found.status_code == 404
    assert not_found.json() == {
        "error": {"code": "not_found", "message": "Not Found: GET /api/v1/nothing-here", "details": []}
    }
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"
    assert wrong_method.headers["allow"] == "GET"


def test_an_unexpected_error_is_500_without_its_traceback(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(settings_in(tmp_path))

    def explode() -> None:
        raise RuntimeError("disk full at /srv/secret-path")

    app.get("/test/explode")(explode)
    client = TestClient(app, raise_server_exceptions=False)

    with caplog.at_level(logging.ERROR, logger="api.errors"):
        response = client.get("/test/explode")

    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "internal_error"
    assert error["details"] == []
    for leak in ("Traceback", "RuntimeError", "secret-path", "explode"):
        assert leak not in response.text
    reference = error["message"].rsplit(" ", 1)[-1].rstrip(".")
    [logged] = [record for record in caplog.records if reference in record.getMessage()]
    assert logged.exc_info is not None and "secret-path" in str(logged.exc_info[1])


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/api/v1/users", "GET, OPTIONS, POST"),
        ("/api/v1/entries/5/approve", "OPTIONS, POST"),
        ("/health", "GET, OPTIONS"),
    ],
)
def test_options_lists_every_method_the_path_allows(tmp_path: Path, path: str, allow: str) -> None:
    client = TestClient(create_app(settings_in(tmp_path)))

    response = client.options(path)

    assert (response.status_code, response.headers["allow"]) == (204, allow)
    assert client.options("/api/v1/no-such-thing").status_code == 404


def test_a_stopped_database_is_a_503_to_retry_not_a_500(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The process database refuses connections (nothing listens on its port): every route needing it
    answers 503 database_unavailable with Retry-After, and no traceback is logged."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    stopped = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port}/test"
    with TestClient(create_app(settings_in(tmp_path, process_db_url=stopped))) as client:
        response = client.get("/api/v1/entries", headers={"Authorization": "Bearer ias_not-checked-yet"})
        schema = client.get("/api/v1/schemas/rpa-payload")

    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "30"
    assert response.json()["error"]["code"] == "database_unavailable"
    assert schema.status_code == 200  # what needs no database is served
    assert "Traceback" not in caplog.text and "internal_error" not in response.text
