"""A vendor's words for every finding and status: complete, useful, and without AP's internals."""

from datetime import UTC, datetime, timedelta

import pytest

from domain import EntryStatus, Finding, Severity
from rules.catalogue import REGISTRY
from rules.engine import ENGINE_RULE_ID
from services.document_submission import NO_PO_RULE
from services.vendor_words import (
    WORDINGS,
    Stage,
    StatusChange,
    status_words,
    vendor_finding,
    vendor_history,
)

EVERY_RULE = [*REGISTRY.ids(), ENGINE_RULE_ID, NO_PO_RULE]


@pytest.mark.parametrize("rule_id", EVERY_RULE)
def test_every_rule_has_a_vendor_wording(rule_id: str) -> None:
    assert rule_id in WORDINGS, f"{rule_id} has no wording for vendors in services/vendor_words.py"
    worded = vendor_finding(
        Finding(rule_id=rule_id, severity=Severity.SOFT, message="m", invoice_line_no=2, expected="E", actual="A"),
        "PO-1",
    )
    assert worded.problem[:1].isupper() and worded.action
    for internal in ("ERP", "rule set", "{", "}"):
        assert internal not in worded.sentence


def test_no_wording_is_left_for_a_rule_that_is_gone() -> None:
    assert set(WORDINGS) == set(EVERY_RULE)


def test_a_price_mismatch_says_what_was_billed_what_was_agreed_and_what_to_do() -> None:
    finding = Finding(
        rule_id="price.unit_mismatch",
        severity=Severity.SOFT,
        message="Line 2 (HX-001): unit price 10.50 USD differs from the PO price 10.00 (PO line 3).",
        invoice_line_no=2,
        po_line_no=3,
        expected="10.00",
        actual="10.50",
    )

    worded = vendor_finding(finding, "PO-1")

    assert worded.sentence == (
        "Line 2: you billed 10.50 per unit; our purchase order PO-1 line 3 agreed 10.00. "
        "Please send a corrected invoice at the agreed price, or ask your buyer to change the order."
    )
    assert (worded.expected, worded.actual, worded.refuses) == ("10.00", "10.50", False)


def test_another_vendors_id_is_never_shown() -> None:
    finding = Finding(
        rule_id="vendor.mismatch",
        severity=Severity.HARD,
        message="PO PO-1 was issued to vendor V2, but the invoice comes from vendor V1.",
        expected="V2",
        actual="V1",
    )

    worded = vendor_finding(finding, "PO-1")

    assert "V2" not in worded.sentence and worded.expected is None and worded.actual is None
    assert worded.refuses


def test_a_missing_field_is_named() -> None:
    finding = Finding(
        rule_id="invoice.required_fields",
        severity=Severity.HARD,
        message="The invoice has no due date, which AP requires.",
        expected="a value",
        actual="empty",
    )

    assert vendor_finding(finding, "PO-1").problem == "The invoice is missing its due date."


def test_statuses_in_vendor_words() -> None:
    assert status_words(EntryStatus.RPA_FAILED) == status_words(EntryStatus.READY_TO_PROCESS)
    assert status_words(EntryStatus.DISPATCHED) == "Accepted, being entered for payment"
    assert status_words(EntryStatus.BAD_INVOICE) == "Refused: please send a corrected invoice"
    assert status_words(EntryStatus.SUPERSEDED) == "Replaced by a newer version"
    assert {status for stage in Stage for status in stage.statuses} == set(EntryStatus)


def test_the_history_leaves_out_the_bots_comings_and_goings() -> None:
    start = datetime(2026, 12, 1, tzinfo=UTC)
    moves = [
        (None, EntryStatus.MANUAL_REVIEW),
        (EntryStatus.MANUAL_REVIEW, EntryStatus.READY_TO_PROCESS),
        (EntryStatus.READY_TO_PROCESS, EntryStatus.DISPATCHED),
        (EntryStatus.DISPATCHED, EntryStatus.RPA_FAILED),
        (EntryStatus.RPA_FAILED, EntryStatus.READY_TO_PROCESS),
        (EntryStatus.READY_TO_PROCESS, EntryStatus.DISPATCHED),
        (EntryStatus.DISPATCHED, EntryStatus.ENTERED),
    ]
    changes = [StatusChange(to, before, start + timedelta(hours=n)) for n, (before, to) in enumerate(moves)]

    assert [event.words for event in vendor_history(changes)] == [
        "Received and checked: Being checked by accounts payable",
        "Accepted, being entered for payment",
        "Entered for payment",
    ]
