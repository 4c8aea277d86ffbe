"""A frozen process database (its PostgreSQL stopped with SIGSTOP: connections stay open, nothing
answers) makes the API answer 503 database_unavailable within its deadline, never hang; /health
answers within 2 s naming the database; what needs no database is served as usual; and after
SIGCONT everything works again with nothing lost. The API is the real server (`python -m api`)."""

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from api.routes.health import PROBE_SECONDS
from chaos.private_postgres import PrivatePostgres
from settings import Settings
from tests.api_fixtures import PASSWORD, ApiWorld, api_world, credentials_for, prepare_databases, settings_in
from tests.databases import scratch_database
from tests.mailroom import free_port

DEADLINE_SECONDS = 2.0
# Above the deadline: what a busy machine adds to sending and answering a request.
LEEWAY_SECONDS = 1.5
# More requests at once than the server has threads for routes (anyio's 40).
CONCURRENT_REQUESTS = 48


@pytest.fixture
def settings(tmp_path: Path, own_postgres: PrivatePostgres) -> Settings:
    settings = settings_in(
        tmp_path,
        own_postgres.url,
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


def _wait_until(condition: Callable[[], bool], *, seconds: float) -> None:
    give_up = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < give_up, f"still not so after {seconds} s"
        time.sleep(0.2)


def _timed(client: httpx.Client, method: str, path: str, **request: object) -> tuple[httpx.Response, float]:
    return _timed_call(lambda: client.request(method, path, **request))  # type: ignore[arg-type]


def _timed_call(send: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = send()
    return response, time.monotonic() - started


def test_a_frozen_database_is_a_prompt_503_and_nothing_else_waits_for_it(
    api: httpx.Client, settings: Settings, own_postgres: PrivatePostgres
) -> None:
    admin = credentials_for(settings, "admin")
    created = api.post(
        "/api/v1/users", json={"username": "before-freeze", "password": PASSWORD, "role": "clerk"}, headers=admin
    )
    assert created.status_code == 201, created.text

    own_postgres.freeze()
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
        own_postgres.thaw()

    for response, took in [*frozen, (write, write_took)]:
        assert_database_unavailable(response, took, within=DEADLINE_SECONDS)
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
    assert "during-freeze" not in users  # it got a 503: its work, if any was left waiting, was rolled back


SERVER_KINDS = ["postgresql", "mariadb"]


@pytest.fixture(params=SERVER_KINDS)
def server_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with scratch_database(request.param, tmp_path_factory) as url:
        yield url


def deactivate_while_locked(world: ApiWorld) -> tuple[httpx.Response, float]:
    """Deactivate user "held" through the API while another transaction keeps the user's row locked."""
    admin = world.headers("admin")
    credentials_for(world.settings, "clerk", "held")
    with world.process.begin() as holder:
        holder.execute(sa.text("SELECT id FROM users WHERE username = 'held' FOR UPDATE"))
        return _timed_call(lambda: world.client.post("/api/v1/users/held/deactivate", headers=admin))


def assert_database_unavailable(response: httpx.Response, took: float, within: float) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "database_unavailable"
    assert response.headers["retry-after"] == "30"
    assert took < within + LEEWAY_SECONDS


def test_a_statement_held_up_past_the_statement_timeout_is_a_503(tmp_path: Path, server_url: str) -> None:
    """A row another transaction keeps locked holds the API's statement up: the database cancels it
    at the statement timeout (PostgreSQL's statement_timeout, MariaDB's max_statement_time), and
    the route answers 503 database_unavailable, not a 500."""
    with api_world(tmp_path, process_db_url=server_url, database_statement_timeout_seconds=1) as world:
        response, took = deactivate_while_locked(world)

    assert_database_unavailable(response, took, within=1)


def test_work_given_up_on_at_the_deadline_is_rolled_back_not_made_later(
    tmp_path: Path, server_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The client got 503 at the deadline while its statement waited for a lock; when the lock goes,
    the statement runs on, but its transaction is rolled back at the commit: the 503 stays true."""
    with api_world(tmp_path, process_db_url=server_url, request_deadline_seconds=1) as world:
        response, took = deactivate_while_locked(world)
        _wait_until(lambda: "given up on ended later" in caplog.text, seconds=30)  # the request's thread is done
        users = {
            user["username"]: user for user in world.client.get("/api/v1/users", headers=world.headers("admin")).json()
        }

    assert_database_unavailable(response, took, within=1)
    assert users["held"]["is_active"]
    assert "WorkAbandonedError" in caplog.text
