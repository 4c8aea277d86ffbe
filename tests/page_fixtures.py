"""The dashboard over real databases: people signed in through the sign-in form, as a browser does."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from connectors.store import ProcessStore
from tests.api_fixtures import PASSWORD, ApiWorld, api_world

_HIDDEN_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: httpx.Response) -> str:
    """The CSRF token a page's forms carry."""
    found = _HIDDEN_CSRF.search(page.text)
    assert found is not None, f"no CSRF token on {page.url}"
    return found.group(1)


def create_person(world: ApiWorld, username: str, role: str, *, vendor_id: str | None = None) -> None:
    store = ProcessStore.from_url(world.settings.process_db_url)
    try:
        store.accounts.create_user(username, PASSWORD, role, vendor_id=vendor_id)  # type: ignore[arg-type]
    finally:
        store.close()


def signed_in(world: ApiWorld, username: str, role: str, *, vendor_id: str | None = None) -> TestClient:
    """A browser-like client of the app (cookies, no Authorization header) signed in as a new person
    (a vendor's user of `vendor_id`)."""
    create_person(world, username, role, vendor_id=vendor_id)
    client = world.anonymous_client()
    form = client.get("/login")
    answer = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(form), "next": "/queue"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return client


@contextmanager
def page_world(tmp_path: Path, **setting_values: Any) -> Iterator[ApiWorld]:
    with api_world(tmp_path, **setting_values) as world:
        yield world
