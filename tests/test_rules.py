"""One test per rule, passing and failing, comparing whole findings."""

from datetime import date
from decimal import Decimal

import pytest

from demo.factories import make_invoice, make_line, make_purchase_order
from domain import Charge, ChargeKind, EntryStatus, Finding, Invoice, POStatus, PurchaseOrder, Severity, Vendor
from rules.catalogue import REGISTRY
from rules.config import (
    ChargePolicy,
    ChargeRule,
    DuplicatePolicy,
    DuplicateScope,
    PriceTolerance,
    QuantityPolicy,
    RuleConfig,
    UomConversion,
    VendorOverride,
)
from rules.fields import FIELDS_CONCERNED
from tests.rule_contexts import BASE_CONFIG, findings, make_context, make_entered, make_live_entry


def test_every_rule_is_tested_here() -> None:
    tested = {
        name.removeprefix("test_").split("__")[0] for name in globals() if "__" in name and name.startswith("test_")
    }
    untested = sorted(rule_id for rule_id in REGISTRY.ids() if rule_id.replace(".", "_") not in tested)
    assert untested == [], "each rule needs a test named test_<rule id with _ for .>__<case>"


def test_a_clean_invoice_passes_every_rule() -> None:
    ctx = make_context()
    assert {rule.id: rule.findings(ctx) for rule in REGISTRY} == {rule_id: [] for rule_id in REGISTRY.ids()}


# ---------------------------------------------------------------- po


def test_po_not_found__when_the_erp_has_no_such_po() -> None:
    assert findings("po.not_found", make_context(po=None)) == [
        Finding(
            rule_id="po.not_found",
            severity=Severity.HARD,
            message="PO PO-1001 does not exist in the ERP; the vendor must quote a valid PO number.",
            expected="a PO number known to the ERP",
            actual="PO-1001",
        )
    ]
    assert (
        findings("po.not_found", make_context(po=None, po_unreadable="ERP purchase order PO-1001 is unreadable: x"))
        == []
    )


def test_po_unreadable__reports_the_erp_problem() -> None:
    ctx = make_context(po=None, po_unreadable="ERP purchase order PO-1001 is unreadable: line 1 ordered_qty: bad")
    assert findings("po.unreadable", ctx) == [
        Finding(
            rule_id="po.unreadable",
            severity=Severity.SOFT,
            message="ERP purchase order PO-1001 is unreadable: line 1 ordered_qty: bad. "
            "Check the PO in the ERP, then judge the invoice by hand.",
        )
    ]
    assert findings("po.unreadable", make_context()) == []


@pytest.mark.parametrize("status", [POStatus.CLOSED, POStatus.CANCELLED])
def test_po_not_open__closed_or_cancelled(status: POStatus) -> None:
    ctx = make_context(po=make_purchase_order(status=status))
    assert findings("po.not_open", ctx) == [
        Finding(
            rule_id="po.not_open",
            severity=Severity.HARD,
            message=f"PO PO-1001 is {status.value}; nothing more can be billed against it.",
            expected="open",
            actual=status.value,
        )
    ]
    assert findings("po.not_open", make_context(po=make_purchase_order(status=POStatus.ON_HOLD))) == []


def test_po_on_hold__needs_purchasing() -> None:
    assert findings("po.on_hold", make_context(po=make_purchase_order(status=POStatus.ON_HOLD))) == [
        Finding(
            rule_id="po.on_hold",
            severity=Severity.SOFT,
            message="PO PO-1001 is on hold in the ERP; purchasing must release it first.",
            expected="open",
            actual="on_hold",
        )
    ]
    assert findings("po.on_hold", make_context()) == []


def test_vendor_mismatch__invoice_from_another_vendor() -> None:
    ctx = make_context(po=make_purchase_order(vendor_id="V777"))
    assert findings("vendor.mismatch", ctx) == [
        Finding(
            rule_id="vendor.mismatch",
            severity=Severity.HARD,
            message="PO PO-1001 was issued to vendor V777, but the invoice comes from vendor V001.",
            expected="V777",
            actual="V001",
        )
    ]
    assert findings("vendor.mismatch", make_context()) == []


def test_vendor_unknown__not_in_the_vendor_master() -> None:
    assert findings("vendor.unknown", make_context(vendor=None)) == [
        Finding(
            rule_id="vendor.unknown",
            severity=Severity.HARD,
            message="Vendor V001 is not in the ERP's vendor master.",
            expected="a vendor id known to the ERP",
            actual="V001",
        )
    ]
    assert findings("vendor.unknown", make_context()) == []


def test_vendor_inactive__blocked_for_payment() -> None:
    ctx = make_context(vendor=Vendor(vendor_id="V001", name="Acme", active=False))
    assert findings("vendor.inactive", ctx) == [
        Finding(
            rule_id="vendor.inactive",
            severity=Severity.SOFT,
            message="Vendor V001 (Acme) is inactive in the vendor master.",
            expected="active",
            actual="inactive",
        )
    ]
    assert findings("vendor.inactive", make_context()) == []


def test_currency_mismatch__invoice_in_another_currency() -> None:
    ctx = make_context(po=make_purchase_order(currency="EUR"))
    assert findings("currency.mismatch", ctx) == [
        Finding(
            rule_id="currency.mismatch",
            severity=Severity.HARD,
            message="The invoice is in USD but PO PO-1001 is in EUR.",
            expected="EUR",
            actual="USD",
        )
    ]
    assert findings("currency.mismatch", make_context()) == []


def test_invoice_required_fields__empty_field_ap_requires() -> None:
    config = BASE_CONFIG.model_copy(update={"required_fields": frozenset({"due_date"})})
    assert findings("invoice.required_fields", make_context(make_invoice(due_date=None), config=config)) == [
        Finding(
            rule_id="invoice.required_fields",
            severity=Severity.HARD,
            message="The invoice has no due date, which AP requires.",
            expected="a value",
            actual="empty",
        )
    ]
    assert findings("invoice.required_fields", make_context(config=config)) == []
    assert findings("invoice.required_fields", make_context(make_invoice(due_date=None))) == []


# ---------------------------------------------------------------- lines


def test_line_part_not_on_po__unknown_part() -> None:
    invoice = make_invoice()
    po = make_purchase_order(invoice)
    stranger = make_invoice(
        lines=(invoice.lines[0], make_line(2, part_number="ZZ-999", quantity=Decimal("3"), unit_price=Decimal("99.99")))
    )
    assert findings("line.part_not_on_po", make_context(stranger, po=po)) == [
        Finding(
            rule_id="line.part_not_on_po",
            severity=Severity.HARD,
            message="Line 2: part ZZ-999 is not on PO PO-1001.",
            invoice_line_no=2,
            expected="a part number on the PO",
            actual="ZZ-999",
        )
    ]
    # spelling differences in case, spaces and dashes still match
    respelled = make_invoice(
        lines=(
            make_line(1, part_number="part 001"),
            make_line(2, part_number="Part002", quantity=Decimal("3"), unit_price=Decimal("99.99")),
        )
    )
    assert findings("line.part_not_on_po", make_context(respelled, po=po)) == []


def test_uom_unknown_conversion__and_a_configured_one_converts() -> None:
    invoice = make_invoice(lines=(make_line(1, uom="BOX", quantity=Decimal("2"), unit_price=Decimal("150.00")),))
    po = make_purchase_order(make_invoice(lines=(make_line(1, quantity=Decimal("24")),)))
    assert findings("uom.unknown_conversion", make_context(invoice, po=po)) == [
        Finding(
            rule_id="uom.unknown_conversion",
            severity=Severity.SOFT,
            message="Line 1 is billed in BOX but PO line 1 orders in EA, and no conversion between them is configured.",
            invoice_line_no=1,
            po_line_no=1,
            expected="EA",
            actual="BOX",
        )
    ]
    boxes = BASE_CONFIG.model_copy(
        update={"uom_conversions": (UomConversion(from_uom="BOX", to_uom="EA", factor=Decimal(12)),)}
    )
    ctx = make_context(invoice, po=po, config=boxes)
    assert findings("uom.unknown_conversion", ctx) == []
    # 2 BOX at 150.00 = 24 EA at 12.50: price and quantity agree after conversion
    assert findings("price.unit_mismatch", ctx) == findings("qty.over_open", ctx) == []


def test_price_unit_mismatch__one_cent_over_with_exact_default() -> None:
    invoice = make_invoice()
    po = make_purchase_order(invoice)
    dearer = make_invoice(lines=(make_line(1, unit_price=Decimal("12.51")), invoice.lines[1]))
    erp_style = po.model_copy(
        update={"lines": (po.lines[0].model_copy(update={"unit_price": Decimal("12.5000")}), po.lines[1])}
    )
    assert findings("price.unit_mismatch", make_context(dearer, po=erp_style)) == [
        Finding(
            rule_id="price.unit_mismatch",
            severity=Severity.SOFT,
            message="Line 1 (PART-001): unit price 12.51 USD differs from the PO price 12.50 (PO line 1).",
            invoice_line_no=1,
            po_line_no=1,
            expected="12.50",
            actual="12.51",
        )
    ]


@pytest.mark.parametrize(
    ("tolerance", "price", "accepted"),
    [
        (PriceTolerance(upper_absolute=Decimal("0.05"), upper_percent=None), "12.55", True),
        (PriceTolerance(upper_absolute=Decimal("0.05"), upper_percent=None), "12.56", False),
        (PriceTolerance(upper_absolute=Decimal("0.05"), upper_percent=None), "12.49", False),  # lower stays exact
        (PriceTolerance(upper_absolute=None, upper_percent=Decimal("1")), "12.625", True),
        (PriceTolerance(upper_absolute=None, upper_percent=Decimal("1")), "12.6251", False),
        (PriceTolerance(upper_absolute=Decimal("1"), upper_percent=Decimal("0.5")), "12.60", False),  # both limits hold
        (PriceTolerance(lower_absolute=None, lower_percent=None), "1.00", True),  # do not check below
    ],
)
def test_price_unit_mismatch__four_limit_tolerance(tolerance: PriceTolerance, price: str, accepted: bool) -> None:
    invoice = make_invoice()
    po = make_purchase_order(invoice)
    billed = make_invoice(lines=(make_line(1, unit_price=Decimal(price)), invoice.lines[1]))
    config = BASE_CONFIG.model_copy(update={"price_tolerance": tolerance})
    assert (findings("price.unit_mismatch", make_context(billed, po=po, config=config)) == []) is accepted


def test_price_unit_mismatch__vendor_override_applies_to_that_vendor_only() -> None:
    invoice = make_invoice()
    po = make_purchase_order(invoice)
    dearer = make_invoice(lines=(make_line(1, unit_price=Decimal("12.52")), invoice.lines[1]))
    config = _config_with_v001_price_override()
    assert findings("price.unit_mismatch", make_context(dearer, po=po, config=config)) == []
    other = make_invoice(vendor_id="V002", lines=dearer.lines)
    assert len(findings("price.unit_mismatch", make_context(other, po=make_purchase_order(other), config=config))) == 0
    assert (
        len(
            findings(
                "price.unit_mismatch",
                make_context(other, po=po.model_copy(update={"vendor_id": "V002"}), config=config),
            )
        )
        == 1
    )


def _config_with_v001_price_override() -> RuleConfig:
    return BASE_CONFIG.model_copy(
        update={
            "vendor_overrides": {
                "V001": VendorOverride(
                    price_tolerance=PriceTolerance(upper_absolute=Decimal("0.02"), upper_percent=None)
                )
            }
        }
    )


def _po_with_history(**line_fields: object) -> tuple[Invoice, PurchaseOrder]:
    invoice = make_invoice()
    po = make_purchase_order(invoice)
    first = po.lines[0].model_copy(update=line_fields)
    return invoice, po.model_copy(update={"lines": (first, po.lines[1])})


def test_qty_over_open__cumulative_with_what_was_invoiced() -> None:
    invoice, po = _po_with_history(ordered_qty=Decimal("15"), invoiced_qty=Decimal("6"))
    assert findings("qty.over_open", make_context(invoice, po=po)) == [
        Finding(
            rule_id="qty.over_open",
            severity=Severity.SOFT,
            message="PO line 1 (PART-001): this invoice bills 10 EA but only 9 are still open "
            "(ordered 15, already invoiced or queued 6).",
            invoice_line_no=1,
            po_line_no=1,
            expected="9",
            actual="10",
        )
    ]
    _, exactly_open = _po_with_history(ordered_qty=Decimal("16"), invoiced_qty=Decimal("6"))
    assert findings("qty.over_open", make_context(invoice, po=exactly_open)) == []


def test_qty_over_open__allowance_and_in_flight() -> None:
    invoice, po = _po_with_history(ordered_qty=Decimal("10"), invoiced_qty=Decimal("0"))
    ten_percent = BASE_CONFIG.model_copy(
        update={"quantity": QuantityPolicy(over_billing_allowance_percent=Decimal("10"))}
    )
    assert (
        findings("qty.over_open", make_context(invoice, po=po, config=ten_percent, in_flight_qty={1: Decimal("1")}))
        == []
    )
    assert (
        len(
            findings(
                "qty.over_open", make_context(invoice, po=po, config=ten_percent, in_flight_qty={1: Decimal("1.5")})
            )
        )
        == 1
    )


def test_qty_over_open__lines_for_one_po_line_add_up_and_a_part_on_two_po_lines_is_spread() -> None:
    po = make_purchase_order(
        make_invoice(
            lines=(make_line(1, quantity=Decimal("6")), make_line(2, part_number="PART-001", quantity=Decimal("6")))
        )
    )
    split_billing = make_invoice(
        lines=(make_line(1, quantity=Decimal("5")), make_line(2, part_number="PART-001", quantity=Decimal("7")))
    )
    assert findings("qty.over_open", make_context(split_billing, po=po)) == []  # 12 spread over 6 + 6
    too_much = make_invoice(
        lines=(make_line(1, quantity=Decimal("7")), make_line(2, part_number="PART-001", quantity=Decimal("6")))
    )
    [finding] = findings("qty.over_open", make_context(too_much, po=po))
    assert (finding.po_line_no, finding.expected, finding.actual) == (2, "6", "7")


def test_qty_over_received__three_way_match() -> None:
    invoice, po = _po_with_history(received_qty=Decimal("8"), invoiced_qty=Decimal("0"), ordered_qty=Decimal("20"))
    assert findings("qty.over_received", make_context(invoice, po=po)) == [
        Finding(
            rule_id="qty.over_received",
            severity=Severity.SOFT,
            message="PO line 1 (PART-001): this invoice bills 10 EA but only 8 have been received and not yet "
            "invoiced (received 8, already invoiced or queued 0).",
            invoice_line_no=1,
            po_line_no=1,
            expected="8",
            actual="10",
        )
    ]
    two_way = BASE_CONFIG.model_copy(update={"quantity": QuantityPolicy(check_received=False)})
    assert findings("qty.over_received", make_context(invoice, po=po, config=two_way)) == []
    _, untracked = _po_with_history(received_qty=None, ordered_qty=Decimal("20"))
    assert findings("qty.over_received", make_context(invoice, po=untracked)) == []


def test_line_negative_on_invoice__a_return_netted_into_a_bill() -> None:
    netted = make_invoice(lines=(make_line(1, quantity=Decimal("10")), make_line(2, quantity=Decimal("-2"))))
    assert findings("line.negative_on_invoice", make_context(netted)) == [
        Finding(
            rule_id="line.negative_on_invoice",
            severity=Severity.SOFT,
            message="Line 2 (PART-002) takes back 2 EA (-25.00 USD) on an invoice that bills: a return netted into a "
            "bill lowers what the ERP holds as invoiced, so AP books it as a credit note.",
            invoice_line_no=2,
            expected="a quantity and an amount above zero",
            actual="-2 EA, -25.00",
        )
    ]
    credit_note = make_invoice(lines=(make_line(1, quantity=Decimal("-2")),))
    assert findings("line.negative_on_invoice", make_context(credit_note)) == []  # credit_note.review's case


def test_line_total_mismatch__qty_times_price() -> None:
    invoice = make_invoice()
    wrong = make_invoice(lines=(make_line(1, line_total=Decimal("125.10")), invoice.lines[1]))
    assert findings("line.total_mismatch", make_context(wrong, po=make_purchase_order(invoice))) == [
        Finding(
            rule_id="line.total_mismatch",
            severity=Severity.SOFT,
            message="Line 1 (PART-001): 10 × 12.50 = 125.00, but the line total is 125.10.",
            invoice_line_no=1,
            expected="125.00",
            actual="125.10",
        )
    ]
    # 3 × 3.3333 = 9.9999 billed as 10.00 is rounding, not an error
    rounded = make_invoice(
        lines=(make_line(1, quantity=Decimal("3"), unit_price=Decimal("3.3333"), line_total=Decimal("10.00")),)
    )
    assert findings("line.total_mismatch", make_context(rounded)) == []


# ---------------------------------------------------------------- amounts


def test_amount_subtotal_mismatch__lines_do_not_add_up() -> None:
    ctx = make_context(make_invoice(subtotal=Decimal("424.00"), total=Decimal("424.97")))
    assert findings("amount.subtotal_mismatch", ctx) == [
        Finding(
            rule_id="amount.subtotal_mismatch",
            severity=Severity.SOFT,
            message="The lines add up to 424.97 but the invoice states a subtotal of 424.00.",
            expected="424.97",
            actual="424.00",
        )
    ]
    assert findings("amount.total_mismatch", ctx) == []  # the total is right: only the subtotal is wrong


def test_amount_total_mismatch__off_by_one_cent() -> None:
    assert findings("amount.total_mismatch", make_context(make_invoice(total=Decimal("424.98")))) == [
        Finding(
            rule_id="amount.total_mismatch",
            severity=Severity.SOFT,
            message="Lines 424.97 + tax 0 + charges 0 = 424.97, but the invoice total is 424.98.",
            expected="424.97",
            actual="424.98",
        )
    ]
    loose = BASE_CONFIG.model_copy(update={"rounding_tolerance": Decimal("0.01")})
    assert findings("amount.total_mismatch", make_context(make_invoice(total=Decimal("424.98")), config=loose)) == []


def test_tax_rate_mismatch__line_tax_and_header_tax() -> None:
    taxed = (make_line(1, tax_rate=Decimal("8.875"), tax_amount=Decimal("11.09")),)
    assert findings("tax.rate_mismatch", make_context(make_invoice(lines=taxed))) == []
    wrong_line = (make_line(1, tax_rate=Decimal("8.875"), tax_amount=Decimal("11.20")),)
    assert findings("tax.rate_mismatch", make_context(make_invoice(lines=wrong_line))) == [
        Finding(
            rule_id="tax.rate_mismatch",
            severity=Severity.SOFT,
            message="Line 1: 8.875% of 125.00 is 11.09, but the line's tax is 11.20.",
            invoice_line_no=1,
            expected="11.09",
            actual="11.20",
        )
    ]
    wrong_header = make_invoice(lines=taxed, tax_amount=Decimal("12.00"), total=Decimal("137.00"))
    assert findings("tax.rate_mismatch", make_context(wrong_header)) == [
        Finding(
            rule_id="tax.rate_mismatch",
            severity=Severity.SOFT,
            message="The lines' tax adds up to 11.09 but the invoice states tax of 12.00.",
            expected="11.09",
            actual="12.00",
        )
    ]


def _half_cent_lines(tax: str) -> Invoice:
    """Two lines of 0.05 at 10 %: each line's tax rounds to 0.01 (0.02 in all), the rate's total once to 0.01."""
    lines = tuple(
        make_line(n, unit_price=Decimal("0.05"), quantity=Decimal("1"), tax_rate=Decimal("10")) for n in (1, 2)
    )
    return make_invoice(lines=lines, tax_amount=Decimal(tax), total=Decimal("0.10") + Decimal(tax))


@pytest.mark.parametrize("tax", ["0.01", "0.02"])
def test_tax_rate_mismatch__either_lawful_rounding_is_accepted_without_tolerance(tax: str) -> None:
    assert findings("tax.rate_mismatch", make_context(_half_cent_lines(tax), po=None)) == []


def test_tax_rate_mismatch__a_tax_neither_rounding_gives_names_both() -> None:
    assert findings("tax.rate_mismatch", make_context(_half_cent_lines("0.03"), po=None)) == [
        Finding(
            rule_id="tax.rate_mismatch",
            severity=Severity.SOFT,
            message="The invoice states tax of 0.03, which neither rounding of the lines' tax gives "
            "(at 10%: rounding each line gives 0.02, rounding the rate's total once gives 0.01).",
            expected="0.01 or 0.02",
            actual="0.03",
        )
    ]


def test_tax_rate_mismatch__each_rate_rounded_its_own_way() -> None:
    """One rate rounded per line, the other once on its total: lawful, as each rate is judged on its own."""
    lines = (
        *(make_line(n, unit_price=Decimal("0.05"), quantity=Decimal("1"), tax_rate=Decimal("10")) for n in (1, 2)),
        *(make_line(n, unit_price=Decimal("0.10"), quantity=Decimal("1"), tax_rate=Decimal("5")) for n in (3, 4)),
    )
    # 10 %: per line 0.02, once 0.01; 5 %: per line 0.02 (0.005 → 0.01 twice), once 0.01 (0.010)
    # 0.03 is one rate rounded per line and the other once, either way round
    mixed = make_invoice(lines=lines, tax_amount=Decimal("0.03"), total=Decimal("0.33"))
    assert findings("tax.rate_mismatch", make_context(mixed, po=None)) == []
    uniform_only = make_invoice(lines=lines, tax_amount=Decimal("0.05"), total=Decimal("0.35"))
    [finding] = findings("tax.rate_mismatch", make_context(uniform_only, po=None))
    assert (finding.expected, finding.actual) == ("0.02 or 0.03 or 0.04", "0.05")


def test_charge_not_allowed__by_policy_per_kind() -> None:
    freight = make_invoice(charges=(Charge(kind=ChargeKind.FREIGHT, amount=Decimal("40.00")),))
    assert findings("charge.not_allowed", make_context(freight)) == [
        Finding(
            rule_id="charge.not_allowed",
            severity=Severity.SOFT,
            message="The invoice charges 40.00 USD for freight, which is not allowed by the charge policy.",
            expected="0",
            actual="40.00",
        )
    ]
    up_to_50 = BASE_CONFIG.model_copy(
        update={
            "charges": {
                **BASE_CONFIG.charges,
                ChargeKind.FREIGHT: ChargePolicy(allowed=ChargeRule.UP_TO_AMOUNT, amount=Decimal("50")),
            }
        }
    )
    assert findings("charge.not_allowed", make_context(freight, config=up_to_50)) == []
    two_percent = BASE_CONFIG.model_copy(
        update={
            "charges": {
                **BASE_CONFIG.charges,
                ChargeKind.FREIGHT: ChargePolicy(allowed=ChargeRule.UP_TO_PERCENT, percent=Decimal("2")),
            }
        }
    )
    [finding] = findings("charge.not_allowed", make_context(freight, config=two_percent))
    assert (finding.expected, finding.message) == (
        "8.50",
        "The invoice charges 40.00 USD for freight, which is allowed up to 8.50 by the charge policy.",
    )


def test_credit_note_review__negative_total() -> None:
    credit = make_invoice(lines=(make_line(1, quantity=Decimal("-2")),))
    assert findings("credit_note.review", make_context(credit)) == [
        Finding(
            rule_id="credit_note.review",
            severity=Severity.SOFT,
            message="This is a credit note of -25.00 USD against PO PO-1001; "
            "AP matches it to the invoice it corrects before it is entered.",
            expected="an invoice (positive total)",
            actual="-25.00",
        )
    ]
    assert findings("credit_note.review", make_context()) == []


# ---------------------------------------------------------------- duplicates


def test_duplicate_exact__number_written_differently_in_the_erp() -> None:
    ctx = make_context(
        make_invoice(invoice_number="inv 1001"), entered_invoices=(make_entered(invoice_number="INV-0001001"),)
    )
    assert findings("duplicate.exact", ctx) == [
        Finding(
            rule_id="duplicate.exact",
            severity=Severity.HARD,
            message="Invoice number inv 1001 was already billed by vendor V001 as INV-0001001 (ERP document AP-77, dated 2024-02-01).",
            expected="INV-0001001",
            actual="inv 1001",
        )
    ]
    assert findings("duplicate.exact", make_context(entered_invoices=(make_entered(),))) == []


def test_duplicate_exact__live_in_process_scheduler_and_fiscal_year_scope() -> None:
    live = make_live_entry(
        invoice_number="INV-1001", normalised_invoice_number="INV1001", invoice_date=date(2023, 12, 20)
    )
    assert len(findings("duplicate.exact", make_context(live_entries=(live,)))) == 1
    fiscal = BASE_CONFIG.model_copy(update={"duplicates": DuplicatePolicy(exact_scope=DuplicateScope.FISCAL_YEAR)})
    assert findings("duplicate.exact", make_context(live_entries=(live,), config=fiscal)) == []


def test_duplicate_exact__a_correction_of_a_version_already_entered() -> None:
    entered = make_live_entry(entry_id=7, source_invoice_id="1001", status=EntryStatus.ENTERED)
    correction = make_invoice(version=2, invoice_number="INV-1001-B")  # renumbered: no number matches

    assert findings("duplicate.exact", make_context(correction, entered_versions=(entered,))) == [
        Finding(
            rule_id="duplicate.exact",
            severity=Severity.HARD,
            message="Version 1 of invoice INV-1001-B was already entered in the ERP (entry 7); version 2 corrects it, "
            "so AP settles the difference with a credit note instead of paying it again.",
            expected="no version of this invoice entered before",
            actual="version 1 entered",
        )
    ]


def test_duplicate_possible__same_amount_close_dates() -> None:
    same_total = make_entered(total=Decimal("424.97"), invoice_date=date(2024, 2, 25))
    assert findings("duplicate.possible", make_context(entered_invoices=(same_total,))) == [
        Finding(
            rule_id="duplicate.possible",
            severity=Severity.SOFT,
            message="Vendor V001 billed the same 424.97 USD as invoice INV-0999 (ERP document AP-77, dated 2024-02-25); "
            "check it is not the same bill.",
            expected="no other invoice of the same amount within 7 days",
            actual="INV-0999",
        )
    ]
    weeks_apart = make_entered(total=Decimal("424.97"), invoice_date=date(2024, 2, 1))
    assert findings("duplicate.possible", make_context(entered_invoices=(weeks_apart,))) == []


# ---------------------------------------------------------------- dates


def test_date_future__after_today() -> None:
    assert findings("date.future", make_context(make_invoice(invoice_date=date(2024, 3, 6), due_date=None))) == [
        Finding(
            rule_id="date.future",
            severity=Severity.SOFT,
            message="The invoice is dated 2024-03-06, after today (2024-03-05).",
            expected="on or before 2024-03-05",
            actual="2024-03-06",
        )
    ]
    assert findings("date.future", make_context(make_invoice(invoice_date=date(2024, 3, 5), due_date=None))) == []


def test_date_too_old__beyond_max_age() -> None:
    old = make_invoice(invoice_date=date(2023, 3, 4), due_date=None)
    assert findings("date.too_old", make_context(old, po=make_purchase_order(old))) == [
        Finding(
            rule_id="date.too_old",
            severity=Severity.SOFT,
            message="The invoice is dated 2023-03-04, more than 365 days ago.",
            expected="on or after 2023-03-06",
            actual="2023-03-04",
        )
    ]


def test_date_before_po__invoice_older_than_its_po() -> None:
    ctx = make_context(po=make_purchase_order(po_date=date(2024, 3, 2)))
    assert findings("date.before_po", ctx) == [
        Finding(
            rule_id="date.before_po",
            severity=Severity.SOFT,
            message="The invoice is dated 2024-03-01, before PO PO-1001 was issued on 2024-03-02.",
            expected="on or after 2024-03-02",
            actual="2024-03-01",
        )
    ]
    assert findings("date.before_po", make_context()) == []


def test_every_rule_says_which_fields_its_findings_concern() -> None:
    assert sorted(FIELDS_CONCERNED) == sorted(REGISTRY.ids())
