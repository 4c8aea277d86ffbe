"""A frozen process database (its PostgreSQL stopped with SIGSTOP: connections stay open, nothing
answers) makes the API answer 503 database_unavailable within its deadline, never hang; /health
answers within 2 s naming the database; what needs no database is served as usual; and after
SIGCONT everything works again with nothing lost. The API is the real server (`python -m api`)."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from api.routes.health import PROBE_SECONDS
from settings import Settings
from tests.api_fixtures import PASSWORD, credentials_for, prepare_databases, settings_in
from tests.mailroom import free_port
from tests.private_postgres import PrivatePostgres, private_postgres

DEADLINE_SECONDS = 2.0
# Above the deadline: what a busy machine adds to sending and answering a request.
LEEWAY_SECONDS = 1.5
# More requests at once than the server has threads for routes (anyio's 40).
CONCURRENT_REQUESTS = 48


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    with private_postgres() as server:
        yield server


@pytest.fixture
def settings(tmp_path: Path, postgres: PrivatePostgres) -> Settings:
    settings = settings_in(
        tmp_path,
        postgres.url,
        request_deadline_seconds=DEADLINE_SECONDS,
        database_connect_timeout_seconds=2,
        database_pool_timeout_seconds=1,
    )
    prepare_databases(settings)
    return settings


@pytest.fixture
def api(settings: Settings) -> Iterator[httpx.Client]:
    """The API served by `python -m api` over these settings, and a client of it."""
    port = free_port()
    env = os.environ | {
        name.upper(): str(getattr(settings, name))
        for name in (
            "marketplace_db_url",
            "erp_db_url",
            "process_db_url",
            "request_deadline_seconds",
            "database_connect_timeout_seconds",
            "database_pool_timeout_seconds",
        )
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "api", "--port", str(port), "--log-level", "error", "--no-access-log"],
        env=env,
        cwd=Path(__file__).parents[1],
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            _wait_until(lambda: _answers(client, "/health") == 200, seconds=60)
            yield client
    finally:
        server.terminate()
        server.wait(timeout=30)


def _answers(client: httpx.Client, path: str) -> int | None:
    try:
        return client.get(path).status_code
    except httpx.TransportError:
        return None


def _wait_until(condition: object, *, seconds: float) -> None:
    assert callable(condition)
    give_up = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < give_up, "the API did not come up"
        time.sleep(0.2)


def _timed(client: httpx.Client, method: str, path: str, **request: object) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = client.request(method, path, **request)  # type: ignore[arg-type]
    return response, time.monotonic() - started


def test_a_frozen_database_is_a_prompt_503_and_nothing_else_waits_for_it(
    api: httpx.Client, settings: Settings, postgres: PrivatePostgres
) -> None:
    admin = credentials_for(settings, "admin")
    created = api.post(
        "/api/v1/users", json={"username": "before-freeze", "password": PASSWORD, "role": "clerk"}, headers=admin
    )
    assert created.status_code == 201, created.text

    postgres.freeze()
    try:
        with ThreadPoolExecutor(CONCURRENT_REQUESTS) as senders:
            frozen = list(
                senders.map(lambda _: _timed(api, "GET", "/api/v1/users", headers=admin), range(CONCURRENT_REQUESTS))
            )
        health, health_took = _timed(api, "GET", "/health")
        schema, schema_took = _timed(api, "GET", "/api/v1/schemas/rpa-payload")
        options, _ = _timed(api, "OPTIONS", "/api/v1/users")
        write, write_took = _timed(
            api,
            "POST",
            "/api/v1/users",
            json={"username": "during-freeze", "password": PASSWORD, "role": "clerk"},
            headers=admin,
        )
    finally:
        postgres.thaw()

    for response, took in [*frozen, (write, write_took)]:
        assert response.status_code == 503, ([(r.status_code, round(t, 2)) for r, t in frozen], write_took)
        assert response.json()["error"]["code"] == "database_unavailable"
        assert response.headers["retry-after"] == "30"
        assert took < DEADLINE_SECONDS + LEEWAY_SECONDS
    assert health.status_code == 503 and health_took < 2
    assert health.json()["checks"] == {
        "marketplace": "ok",
        "erp": "ok",
        "process": f"unavailable (no answer within {PROBE_SECONDS:g} s)",
    }
    assert schema.status_code == 200 and schema_took < 1
    assert options.status_code == 204

    _wait_until(lambda: _answers(api, "/health") == 200, seconds=30)
    after = api.post(
        "/api/v1/users", json={"username": "after-thaw", "password": PASSWORD, "role": "clerk"}, headers=admin
    )
    assert after.status_code == 201, after.text
    users = {user["username"] for user in api.get("/api/v1/users", headers=admin).json()}
    assert {"before-freeze", "after-thaw"} <= users
