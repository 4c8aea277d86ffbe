"""What the API refuses to read: bodies past the size limit (413, unread), invoices past the line
limit (422), and errors that would list more than 100 field problems (the rest are counted)."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api_fixtures import ApiWorld, api_world, dry_run_invoice


@pytest.fixture
def world(tmp_path: Path) -> Iterator[ApiWorld]:
    with api_world(tmp_path, max_request_body_bytes=10_000, max_invoice_lines=50) as world:
        yield world


def post(world: ApiWorld, path: str, **request: Any) -> httpx.Response:
    response: httpx.Response = world.client.post(path, **request)
    return response


def test_a_body_declared_larger_than_the_limit_is_refused_unread(world: ApiWorld) -> None:
    response = post(world, "/api/v1/auth/login", content=b"x" * 10_001, headers={"content-type": "application/json"})

    assert response.status_code == 413
    assert response.json() == {
        "error": {
            "code": "request_too_large",
            "message": "The request body is larger than the 10000 bytes this API accepts.",
            "details": [],
        }
    }


def test_a_streamed_body_is_refused_once_it_passes_the_limit(world: ApiWorld) -> None:
    chunks = (b"x" * 4_000 for _ in range(5))  # no Content-Length: sent chunked

    response = post(world, "/api/v1/validate", content=chunks, headers={"content-type": "application/json"})

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_a_body_within_the_limit_is_served(world: ApiWorld) -> None:
    assert post(world, "/api/v1/validate", json=dry_run_invoice()).status_code == 200


def test_an_invoice_past_the_line_limit_is_refused_naming_the_field(world: ApiWorld) -> None:
    line = {"line_no": 1, "part_number": "HX-001", "quantity": "1", "unit_price": "10.00", "line_total": "10.00"}
    too_many = dry_run_invoice(lines=[{**line, "line_no": n} for n in range(1, 52)])

    response = post(world, "/api/v1/validate", json=too_many)

    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {"field": "lines", "message": "has 51 lines; at most 50 are accepted", "value": None}
    ]


def test_an_error_lists_100_field_problems_and_counts_the_rest(tmp_path: Path) -> None:
    bad_line = {"line_no": 1, "part_number": "HX-001", "quantity": "x", "unit_price": "y", "line_total": "10.00"}
    with api_world(tmp_path) as world:  # the default limits: 2 MB, 5,000 lines
        response = post(world, "/api/v1/validate", json=dry_run_invoice(lines=[bad_line] * 75))

    assert response.status_code == 422
    error = response.json()["error"]
    assert len(error["details"]) == 100
    # two bad fields on each of 75 lines, and the lines' own check: 100 listed, the rest counted
    rest = re.search(r", and (\d+) more\.$", error["message"])
    assert rest is not None and int(rest.group(1)) >= 50
