"""The domain models: exact money, field-level errors, identity rules, the status table."""

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain import (
    LEGAL_TRANSITIONS,
    PO_LOCKING_STATUSES,
    SUPERSEDABLE_STATUSES,
    EntryStatus,
    Finding,
    Invoice,
    InvoiceLine,
    Severity,
    Verdict,
    load_json_exact,
    normalise_invoice_number,
    normalise_part_number,
)


def invoice_fields(**overrides: object) -> dict[str, object]:
    fields = {
        "source": "mp",
        "source_invoice_id": "1",
        "vendor_id": "V1",
        "invoice_number": "INV-1",
        "invoice_date": "2026-11-02",
        "currency": "usd",
        "po_number": "PO-1",
        "lines": [{"line_no": 1, "part_number": "HX-1", "quantity": "2", "unit_price": "0.10", "line_total": "0.20"}],
        "subtotal": "0.20",
        "total": "0.20",
    }
    return fields | overrides


def error_fields(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[str, str]]:
    return [(".".join(map(str, e["loc"])), e["msg"]) for e in exc.value.errors()]


def test_amounts_parse_exactly_from_strings_and_json_numbers() -> None:
    invoice = Invoice.model_validate(
        load_json_exact(
            '{"source": "mp", "source_invoice_id": "1", "vendor_id": "V1", "invoice_number": "INV-1",'
            ' "invoice_date": "2026-11-02", "currency": "usd", "po_number": "PO-1", "subtotal": 0.3, "total": "0.30",'
            ' "lines": [{"line_no": 1, "part_number": "HX-1", "quantity": 3, "unit_price": 0.1, "line_total": 0.3}]}'
        )
    )

    assert invoice.subtotal == invoice.lines[0].quantity * invoice.lines[0].unit_price == Decimal("0.3")
    assert invoice.currency == "USD"
    assert invoice.model_dump(mode="json")["lines"][0]["unit_price"] == "0.1"  # a string: no client float


def test_a_float_is_refused_with_the_field_named() -> None:
    with pytest.raises(ValidationError) as exc:
        Invoice.model_validate(invoice_fields(total=0.1 + 0.2))

    assert error_fields(exc) == [
        ("total", 'Value error, must be an exact decimal (send it as a string such as "12.50"), not a binary float')
    ]


def test_garbage_is_refused_field_by_field() -> None:
    with pytest.raises(ValidationError) as exc:
        Invoice.model_validate(
            invoice_fields(
                currency="dollars",
                po_number="  ",
                lines=[
                    {
                        "line_no": 1,
                        "part_number": "HX-1",
                        "quantity": "two",
                        "unit_price": "-1",
                        "line_total": "12345678901234567.123",
                    }
                ],
            )
        )

    assert error_fields(exc) == [
        ("currency", "Value error, must be a three-letter ISO 4217 currency code such as USD"),
        ("po_number", "String should have at least 1 character"),
        ("lines.0.quantity", "Input should be a valid decimal"),
        ("lines.0.unit_price", "Input should be greater than or equal to 0"),
        ("lines.0.line_total", "Decimal input should have no more than 18 digits in total"),
        ("lines", "Tuple should have at least 1 item after validation, not 0"),
    ]


def test_shape_rules_across_fields() -> None:
    line = {"line_no": 1, "part_number": "HX-1", "quantity": "1", "unit_price": "1", "line_total": "1"}
    with pytest.raises(ValidationError, match="line numbers must be unique"):
        Invoice.model_validate(invoice_fields(lines=[line, line]))
    with pytest.raises(ValidationError, match="due_date must not be before invoice_date"):
        Invoice.model_validate(invoice_fields(due_date="2026-11-01"))
    with pytest.raises(ValidationError, match="quantity must not be zero"):
        InvoiceLine.model_validate(line | {"quantity": "0"})
    with pytest.raises(ValidationError, match="at least 1 item"):
        Invoice.model_validate(invoice_fields(lines=[]))


def test_a_credit_note_is_an_invoice_with_a_negative_total() -> None:
    credit = Invoice.model_validate(
        invoice_fields(
            lines=[
                {"line_no": 1, "part_number": "HX-1", "quantity": "-2", "unit_price": "0.10", "line_total": "-0.20"}
            ],
            subtotal="-0.20",
            total="-0.20",
        )
    )

    assert credit.is_credit_note
    assert not Invoice.model_validate(invoice_fields()).is_credit_note


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("INV-000123", "INV123"),
        ("inv 123", "INV123"),
        ("Inv_0123", "INV123"),
        ("A-01-002", "A12"),
        ("000", "0"),
        ("2026/0042", "202642"),
        ("INV\u2013000123", "INV123"),  # en dash
        ("INV\u00a0123", "INV123"),  # no-break space
        ("\uff29\uff2e\uff36\uff0d\uff11\uff12\uff13", "INV123"),  # full-width, as some Asian systems write it
    ],
)
def test_invoice_numbers_are_compared_without_case_spaces_dashes_or_leading_zeros(
    written: str, normalised: str
) -> None:
    assert normalise_invoice_number(written) == normalised


def test_part_numbers_ignore_case_spaces_and_dashes_but_keep_zeros() -> None:
    assert normalise_part_number("hx-4410 b") == normalise_part_number("HX4410B") == "HX4410B"
    assert normalise_part_number("HX-0441") != normalise_part_number("HX-441")


@pytest.mark.parametrize(
    "written",
    [
        "HX\u20134410\u00a0B",  # en dash, no-break space
        "HX\u22124410\u2009B",  # minus sign, thin space
        "HX\u20114410\u202fB",  # non-breaking hyphen, narrow no-break space
        "\uff28\uff38\uff0d\uff14\uff14\uff11\uff10\u3000\uff42",  # full-width letters, digits, dash and space
    ],
)
def test_part_numbers_ignore_every_unicode_dash_and_space(written: str) -> None:
    assert normalise_part_number(written) == "HX4410B"


def test_the_status_table_matches_the_design() -> None:
    assert {EntryStatus.READY_TO_PROCESS, EntryStatus.DISPATCHED, EntryStatus.RPA_FAILED} == PO_LOCKING_STATUSES
    assert {s for s in EntryStatus if s.is_final} == {
        EntryStatus.ENTERED,
        EntryStatus.BAD_INVOICE,
        EntryStatus.REJECTED,
        EntryStatus.SUPERSEDED,
    }
    assert set(LEGAL_TRANSITIONS) == set(EntryStatus)
    assert EntryStatus.ENTERED not in LEGAL_TRANSITIONS[EntryStatus.MANUAL_REVIEW]
    # a newer version replaces a live one at once, except one with the bot: that one is waited for
    assert {s for s in EntryStatus if EntryStatus.SUPERSEDED in LEGAL_TRANSITIONS[s]} == SUPERSEDABLE_STATUSES
    assert EntryStatus.DISPATCHED not in SUPERSEDABLE_STATUSES
    assert {s for s in EntryStatus if s.holds_version} == PO_LOCKING_STATUSES | {
        EntryStatus.MANUAL_REVIEW,
        EntryStatus.ENTERED,
    }


def test_a_verdict_must_follow_its_findings() -> None:
    soft = Finding(
        rule_id="price.unit_mismatch",
        severity=Severity.SOFT,
        message="Unit price differs from the PO.",
        invoice_line_no=1,
        po_line_no=1,
        expected="10.00",
        actual="10.01",
    )

    assert (
        Verdict(status=EntryStatus.MANUAL_REVIEW, findings=(soft,), rule_set_version="2026.1").status == "manual_review"
    )
    with pytest.raises(ValidationError, match="contradicts the findings"):
        Verdict(status=EntryStatus.READY_TO_PROCESS, findings=(soft,), rule_set_version="2026.1")
    with pytest.raises(ValidationError, match="rule_id"):
        Finding(rule_id="Price Mismatch", severity=Severity.SOFT, message="x")


def test_models_are_frozen() -> None:
    invoice = Invoice.model_validate(invoice_fields())
    with pytest.raises(ValidationError):
        invoice.total = Decimal("1")  # type: ignore[misc]
    assert invoice.key.version == 1 and str(invoice.key) == "mp:1#v1"
    assert invoice.invoice_date == date(2026, 11, 2)
