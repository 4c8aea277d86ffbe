"""Who may call what: 401 without valid credentials and 403 for a wrong role on every route of the
API (walked from the OpenAPI route table, so a new route cannot slip through unprotected), and
sign-in, sign-out, expiry, deactivation and key revocation."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.security import SESSION_COOKIE
from tests.api_fixtures import PASSWORD, ApiWorld, api_world, credentials_for

ROLES = {"admin", "clerk", "vendor", "bot"}
EVERYONE = {"admin", "clerk", "bot"}  # the work queue's readers: a vendor sees its own documents only
PEOPLE = {"admin", "clerk"}
ANY_PERSON = {"admin", "clerk", "vendor"}
# Who may call each operation. A route missing here fails test_every_route_is_in_the_table.
ALLOWED: dict[tuple[str, str], set[str]] = {
    ("POST", "/api/v1/invoices/{source_id}/validate"): EVERYONE,
    ("POST", "/api/v1/validate"): EVERYONE,
    ("GET", "/api/v1/entries"): EVERYONE,
    ("GET", "/api/v1/entries/export.csv"): EVERYONE,
    ("GET", "/api/v1/kpis"): EVERYONE,
    ("GET", "/api/v1/entries/{entry_id}"): EVERYONE,
    ("POST", "/api/v1/entries/{entry_id}/approve"): PEOPLE,
    ("POST", "/api/v1/entries/{entry_id}/reject"): PEOPLE,
    ("POST", "/api/v1/entries/{entry_id}/requeue"): PEOPLE,
    ("POST", "/api/v1/entries/{entry_id}/mail"): PEOPLE,
    ("POST", "/api/v1/rpa/claim"): {"bot"},
    ("POST", "/api/v1/rpa/{entry_id}/success"): {"bot"},
    ("POST", "/api/v1/rpa/{entry_id}/failure"): {"bot"},
    ("POST", "/api/v1/auth/logout"): ANY_PERSON,
    ("GET", "/api/v1/auth/me"): ROLES,
    ("POST", "/api/v1/documents"): ANY_PERSON,
    ("GET", "/api/v1/documents"): ANY_PERSON,
    ("GET", "/api/v1/documents/{document_id}"): ANY_PERSON,
    ("GET", "/api/v1/documents/{document_id}/file"): ANY_PERSON,
    ("GET", "/api/v1/documents/{document_id}/pages/{page}"): ANY_PERSON,
    ("POST", "/api/v1/documents/{document_id}/reextract"): PEOPLE,
    ("PUT", "/api/v1/documents/{document_id}/fields"): PEOPLE,
    ("POST", "/api/v1/documents/{document_id}/submit"): PEOPLE,
    ("GET", "/api/v1/extraction/usage"): PEOPLE,
    ("GET", "/api/v1/vendor/invoices"): {"vendor"},
    ("GET", "/api/v1/vendor/invoices/{entry_id}"): {"vendor"},
    ("GET", "/api/v1/users"): {"admin"},
    ("POST", "/api/v1/users"): {"admin"},
    ("POST", "/api/v1/users/{username}/deactivate"): {"admin"},
    ("GET", "/api/v1/api-keys"): {"admin"},
    ("POST", "/api/v1/api-keys"): {"admin"},
    ("POST", "/api/v1/api-keys/{name}/revoke"): {"admin"},
    ("GET", "/api/v1/webhook-deliveries"): {"admin"},
    ("GET", "/metrics"): EVERYONE,  # unless METRICS_PUBLIC=true (tests/test_metrics.py)
    ("GET", "/api/v1/flow-runs"): PEOPLE,
    ("POST", "/api/v1/flow-runs/poll"): {"admin"},
}
PUBLIC = {("POST", "/api/v1/auth/login"), ("GET", "/api/v1/schemas/rpa-payload"), ("GET", "/health")}
PATH_VALUES = {
    "source_id": "424242",
    "entry_id": "424242",
    "document_id": "424242",
    "page": "1",
    "username": "nobody",
    "name": "nobody",
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiWorld]:
    with api_world(tmp_path_factory.mktemp("auth")) as world:
        yield world


@pytest.fixture(scope="module")
def anonymous(world: ApiWorld) -> TestClient:
    return world.anonymous_client()


def operations(client: TestClient) -> set[tuple[str, str]]:
    spec = client.get("/openapi.json").json()
    return {(method.upper(), path) for path, methods in spec["paths"].items() for method in methods}


def call(client: TestClient, operation: tuple[str, str], headers: dict[str, str]) -> int:
    method, path = operation
    url = path.format(**PATH_VALUES)
    body: dict[str, str] | None = {} if method in ("POST", "PUT") else None
    # TestClient's methods are Any to mypy (see ApiWorld.validate)
    response: httpx.Response = client.request(method, url, json=body, headers=headers)
    return response.status_code


def test_every_route_is_in_the_table(world: ApiWorld) -> None:
    assert operations(world.client) == set(ALLOWED) | PUBLIC


@pytest.mark.parametrize("operation", sorted(ALLOWED), ids=lambda op: f"{op[0]} {op[1]}")
def test_each_route_wants_credentials_and_the_right_role(
    world: ApiWorld, anonymous: TestClient, operation: tuple[str, str]
) -> None:
    assert call(anonymous, operation, {}) == 401
    assert call(anonymous, operation, {"Authorization": "Bearer ias_not-a-session"}) == 401
    assert call(anonymous, operation, {"Authorization": "Bearer iak_deadbeef_not-a-key"}) == 401
    for role in sorted(ROLES):
        # Sign-out ends the session it is called with: give it one of its own.
        headers = (
            credentials_for(
                world.settings,
                role,
                f"{role}-{len(operation[1])}-{operation[0]}",
                vendor_id="V1" if role == "vendor" else None,
            )
            if operation[1].endswith("/logout")
            else world.headers(role)
        )
        status = call(anonymous, operation, headers)
        if role in ALLOWED[operation]:
            assert status not in (401, 403), f"{role} should be let through"
        else:
            assert status == 403, f"{role} should be refused"


def test_public_routes_need_no_credentials(anonymous: TestClient) -> None:
    assert anonymous.get("/health").status_code == 200
    assert anonymous.get("/api/v1/schemas/rpa-payload").status_code == 200


def test_401_says_how_to_authenticate_in_the_error_shape(anonymous: TestClient) -> None:
    response = anonymous.get("/api/v1/entries")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.fixture
def own_world(tmp_path: Path) -> Iterator[ApiWorld]:
    with api_world(tmp_path) as world:
        yield world


def test_login_gives_a_cookie_and_a_bearer_token_until_logout(own_world: ApiWorld) -> None:
    store = own_world.store()
    store.accounts.create_user("dana", PASSWORD, "clerk")
    store.close()
    browser, script = own_world.anonymous_client(), own_world.anonymous_client()

    login = browser.post("/api/v1/auth/login", json={"username": "dana", "password": PASSWORD})

    assert login.status_code == 200
    assert login.json()["user"]["role"] == "clerk"
    assert "httponly" in login.headers["set-cookie"].lower()
    assert browser.cookies.get(SESSION_COOKIE) == login.json()["token"]
    assert browser.get("/api/v1/auth/me").json() == {  # by cookie
        "kind": "user",
        "name": "dana",
        "role": "clerk",
        "vendor_id": None,
    }
    bearer = {"Authorization": f"Bearer {login.json()['token']}"}
    assert script.get("/api/v1/entries", headers=bearer).status_code == 200

    assert browser.post("/api/v1/auth/logout").status_code == 204

    assert script.get("/api/v1/entries", headers=bearer).status_code == 401


def test_wrong_password_unknown_user_and_deactivated_user_get_the_same_401(own_world: ApiWorld) -> None:
    store = own_world.store()
    store.accounts.create_user("erin", PASSWORD, "clerk")
    store.accounts.create_user("frank", PASSWORD, "clerk")
    store.accounts.deactivate_user("frank")
    store.close()
    client = own_world.anonymous_client()

    answers = [
        client.post("/api/v1/auth/login", json={"username": username, "password": password})
        for username, password in (("erin", "wrong password!"), ("nobody", PASSWORD), ("frank", PASSWORD))
    ]

    assert {(a.status_code, a.json()["error"]["code"]) for a in answers} == {(401, "invalid_credentials")}


def test_an_expired_session_and_a_deactivated_users_session_are_refused(own_world: ApiWorld) -> None:
    store = own_world.store()
    store.accounts.create_user("gina", PASSWORD, "clerk")
    expired = store.accounts.sign_in("gina", PASSWORD, lifetime=timedelta(seconds=-1))
    live = store.accounts.sign_in("gina", PASSWORD, lifetime=timedelta(hours=1))
    assert expired is not None and live is not None
    client = own_world.anonymous_client()

    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {expired.token}"}).status_code == 401
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {live.token}"}).status_code == 200
    store.accounts.deactivate_user("gina")
    store.close()
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {live.token}"}).status_code == 401


def test_an_admin_creates_a_user_and_a_key_shown_once_then_revokes_it(own_world: ApiWorld) -> None:
    admin = own_world.headers("admin")
    client = own_world.anonymous_client()

    created = client.post(
        "/api/v1/users", json={"username": "hal", "password": PASSWORD, "role": "clerk"}, headers=admin
    )
    weak = client.post("/api/v1/users", json={"username": "ida", "password": "short", "role": "clerk"}, headers=admin)
    again = client.post("/api/v1/users", json={"username": "hal", "password": PASSWORD, "role": "clerk"}, headers=admin)
    key = client.post("/api/v1/api-keys", json={"name": "uipath-01"}, headers=admin)

    assert created.status_code == 201 and "password" not in created.json()
    assert weak.status_code == 422
    assert weak.json()["error"]["details"] == [
        {"field": "body.password", "message": "String should have at least 12 characters", "value": None}
    ]  # a rejected password is never repeated back
    assert again.status_code == 409
    assert key.status_code == 201
    secret = key.json()["secret"]
    assert secret.startswith(f"iak_{key.json()['prefix']}_")
    listed = client.get("/api/v1/api-keys", headers=admin).json()
    assert [k["name"] for k in listed] == ["uipath-01"]
    assert all("secret" not in k for k in listed)
    bot = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/auth/me", headers=bot).json() == {
        "kind": "bot",
        "name": "uipath-01",
        "role": "bot",
        "vendor_id": None,
    }

    assert client.post("/api/v1/api-keys/uipath-01/revoke", headers=admin).status_code == 200

    assert client.get("/api/v1/auth/me", headers=bot).status_code == 401
    assert (
        client.post("/api/v1/api-keys", json={"name": "uipath-01"}, headers=admin).status_code == 409
    )  # name stays taken


def test_secrets_are_stored_only_as_hashes(own_world: ApiWorld) -> None:
    key_header = own_world.headers("bot")["Authorization"].removeprefix("Bearer ")
    with own_world.process.connect() as connection:
        stored = " ".join(
            str(row)
            for table in ("users", "user_tokens", "api_keys")
            for row in connection.exec_driver_sql(f"SELECT * FROM {table}")
        )

    assert key_header not in stored
    assert PASSWORD not in stored
    assert "$argon2id$" in stored
