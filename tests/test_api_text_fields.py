"""Text a database cannot hold is a field error (422 naming the field), on every database, before anything is written.

PostgreSQL's text and JSONB refuse NUL characters; without the check, a reason or a username with "\\u0000"
reached the database and came back as a 500.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api_fixtures import ApiWorld, api_world, dry_run_invoice

NUL = "a\x00b"


@pytest.fixture
def world(tmp_path: Path, db_url: str) -> Iterator[ApiWorld]:
    with api_world(tmp_path, process_db_url=db_url) as world:
        yield world


def test_nul_in_any_text_field_is_a_422_naming_it_and_writes_nothing(world: ApiWorld) -> None:
    clerk, bot, admin = world.headers("clerk"), world.headers("bot"), world.headers("admin")
    before = world.process_row_counts()
    requests = {
        "body.username": ("/api/v1/auth/login", {"username": NUL, "password": "whatever it is"}, {}),
        "body.reason": ("/api/v1/entries/1/reject", {"reason": NUL}, clerk),
        "body.erp_document_id": ("/api/v1/rpa/1/success", {"erp_document_id": NUL}, bot),
        "vendor_name": ("/api/v1/validate", dry_run_invoice(vendor_name=NUL), clerk),
        "lines[0].part_number": (
            "/api/v1/validate",
            dry_run_invoice(
                lines=[
                    {"line_no": 1, "part_number": NUL, "quantity": "2", "unit_price": "10.00", "line_total": "20.00"}
                ]
            ),
            clerk,
        ),
        "path.username": ("/api/v1/users/a%00b/deactivate", None, admin),
        "path.name": ("/api/v1/api-keys/a%00b/revoke", None, admin),
    }

    for field, (url, body, headers) in requests.items():
        response = world.client.post(url, json=body, headers=headers)

        assert response.status_code == 422, (field, response.text)
        assert field in [problem["field"] for problem in response.json()["error"]["details"]]
    listed = world.client.get("/api/v1/entries", params={"po_number": NUL, "vendor_id": NUL})
    assert listed.status_code == 422
    assert {problem["field"] for problem in listed.json()["error"]["details"]} == {"query.po_number", "query.vendor_id"}
    assert world.process_row_counts() == before


def test_the_failure_reason_refuses_nul_with_a_message_that_says_so(world: ApiWorld) -> None:
    response = world.client.post("/api/v1/rpa/1/failure", json={"reason": NUL}, headers=world.headers("bot"))

    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {"field": "body.reason", "message": "must not contain NUL characters (\\u0000)", "value": NUL}
    ]
