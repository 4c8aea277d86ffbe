"""The OpenAPI schema states what the API refuses, so that a client keeping to the schema (or
schemathesis generating from it) never gets a 422 for the form of its request: every value below
is refused by the API and must be refused by the schema, next to a value both accept."""

import base64
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # types-jsonschema is not a dependency

from api.deps import MAX_ID
from api.main import create_app
from connectors.store.search_cursor import CURSOR_PATTERN, decode_cursor, encode_cursor
from tests.api_fixtures import dry_run_invoice

MOMENT = datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC)

OPENAPI = create_app().openapi()
NUL = "a\x00b"


def allows(schema: dict[str, Any], value: object) -> bool:
    # The components sit beside the schema, so that its "#/components/..." references resolve.
    valid: bool = Draft202012Validator({**schema, "components": OPENAPI["components"]}).is_valid(value)
    return valid


def body(method: str, path: str) -> dict[str, Any]:
    schema: dict[str, Any] = OPENAPI["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
    return schema


def parameter(method: str, path: str, name: str) -> dict[str, Any]:
    return next(p["schema"] for p in OPENAPI["paths"][path][method]["parameters"] if p["name"] == name)


def line(**fields: str) -> dict[str, Any]:
    return {
        "line_no": 1,
        "part_number": "HX-001",
        "quantity": "2",
        "unit_price": "10.00",
        "line_total": "20.00",
    } | fields


FAILURE, LOGIN, ENTRIES = "/api/v1/rpa/{entry_id}/failure", "/api/v1/auth/login", "/api/v1/entries"
APPROVE, DRY_RUN = "/api/v1/entries/{entry_id}/approve", "/api/v1/validate"
# (schema, refused, accepted)
CASES = {
    "NUL in a callback's reason": (body("post", FAILURE), {"reason": NUL}, {"reason": "keyed twice"}),
    "NUL in a username": (
        body("post", LOGIN),
        {"username": NUL, "password": "p"},
        {"username": "ann", "password": "p"},
    ),
    "NUL in a query": (parameter("get", ENTRIES, "po_number"), NUL, "PO-1"),
    "an empty cursor": (parameter("get", ENTRIES, "cursor"), "", encode_cursor(12345, MOMENT)),
    "a cursor the API never issued": (parameter("get", ENTRIES, "cursor"), "bm90LW91cnM", encode_cursor(7, MOMENT)),
    "an unknown rule acknowledged": (
        body("post", APPROVE),
        {"reason": "ok", "acknowledge": ["no.such_rule"]},
        {"reason": "ok", "acknowledge": ["qty.over_open"]},
    ),
    "an empty decimal string": (
        body("post", DRY_RUN),
        dry_run_invoice(lines=[line(quantity="")]),
        dry_run_invoice(lines=[line(quantity="2.5", line_total="25.00")]),
    ),
    "a fraction past 4 places": (body("post", DRY_RUN), dry_run_invoice(total="20.00001"), dry_run_invoice()),
    "NUL in free text": (body("post", DRY_RUN), dry_run_invoice(vendor_name=NUL), dry_run_invoice(vendor_name="Acme")),
    "a blank code": (
        body("post", DRY_RUN),
        dry_run_invoice(lines=[line(part_number="   ")]),
        dry_run_invoice(lines=[line(part_number=" HX-001 ")]),
    ),
    "a currency that is no ISO code": (body("post", DRY_RUN), dry_run_invoice(currency="US"), dry_run_invoice()),
}


@pytest.mark.parametrize(("schema", "refused", "accepted"), CASES.values(), ids=CASES.keys())
def test_the_schema_refuses_what_the_api_refuses(schema: dict[str, Any], refused: object, accepted: object) -> None:
    assert not allows(schema, refused)
    assert allows(schema, accepted)


def test_every_cursor_the_api_issues_is_one_the_schema_allows() -> None:
    ids = [*range(2000), *range(2000, 2 * 10**9, 999_983), 2 * 10**9 - 1]
    moments = [datetime(1970, 1, 1, tzinfo=UTC), MOMENT, datetime(5138, 1, 1, tzinfo=UTC)]
    for entry_id in ids:
        for moment in moments:
            assert re.match(CURSOR_PATTERN, encode_cursor(entry_id, moment)), (entry_id, moment)
            assert decode_cursor(encode_cursor(entry_id, moment)) == (entry_id, moment)


def test_the_cursors_of_the_first_list_api_still_match() -> None:
    """Its cursors were "before:<id>" in base64, without padding; they continue before that id."""
    for entry_id in [*range(2000), *range(2000, 10**9, 999_983), 10**9 - 1]:
        legacy = base64.urlsafe_b64encode(f"before:{entry_id}".encode()).decode().rstrip("=")
        assert re.match(CURSOR_PATTERN, legacy), entry_id
        assert decode_cursor(legacy) == (entry_id, None)


@given(st.from_regex(CURSOR_PATTERN, fullmatch=True))
def test_every_cursor_the_schema_allows_is_one_the_api_reads(cursor: str) -> None:
    entry_id, updated_at = decode_cursor(cursor)
    assert 0 <= entry_id <= MAX_ID
    assert updated_at is None or updated_at - datetime(1970, 1, 1, tzinfo=UTC) < timedelta(days=366 * 3200)
