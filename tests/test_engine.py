"""The engine: precedence, switched-off rules, a broken rule, the batch, the payload, the config."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from demo.factories import make_invoice, make_line, make_purchase_order
from domain import ChargeKind, EnteredInvoice, EntryStatus, PurchaseOrder, Severity, Vendor
from domain.payload_schema import PayloadSchemaError, payload_json
from rules.catalogue import REGISTRY, load_rule_config
from rules.config import DEFAULT_CONFIG_PATH, ConfigError
from rules.context import InvoiceContext
from rules.engine import ENGINE_RULE_ID, RuleEngine
from rules.registry import Breach, DuplicateRuleError, Rule, RuleRegistry
from tests.rule_contexts import BASE_CONFIG, TODAY, make_context

JUDGED_AT = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Erp:
    purchase_orders: dict[str, PurchaseOrder] = field(default_factory=dict)
    vendors: dict[str, Vendor] = field(default_factory=dict)
    entered_invoices: dict[str, tuple[EnteredInvoice, ...]] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)


def test_the_registry_refuses_a_second_rule_with_the_same_id() -> None:
    registry = RuleRegistry()
    registry.rule("price.unit_mismatch", Severity.SOFT, "first")(lambda ctx: ())

    with pytest.raises(DuplicateRuleError, match=r"'price\.unit_mismatch' is already registered"):
        registry.rule("price.unit_mismatch", Severity.HARD, "second")(lambda ctx: ())


def test_outcome_by_precedence_hard_over_soft_over_ready() -> None:
    engine = RuleEngine(BASE_CONFIG)
    clean, soft, hard_and_soft = (
        make_context(),
        make_context(make_invoice(total=Decimal("1.00"))),
        make_context(make_invoice(total=Decimal("1.00")), po=None),
    )

    assert engine.judge(clean, judged_at=JUDGED_AT).verdict.status is EntryStatus.READY_TO_PROCESS
    assert engine.judge(soft, judged_at=JUDGED_AT).verdict.status is EntryStatus.MANUAL_REVIEW
    judged = engine.judge(hard_and_soft, judged_at=JUDGED_AT)
    assert judged.verdict.status is EntryStatus.BAD_INVOICE
    assert [f.rule_id for f in judged.verdict.findings] == ["amount.total_mismatch", "po.not_found"]
    assert judged.payload is None
    assert judged.verdict.rule_set_version == "test-1"


def test_a_switched_off_rule_is_not_run() -> None:
    config = BASE_CONFIG.model_copy(update={"disabled_rules": frozenset({"amount.total_mismatch"})})

    judged = RuleEngine(config).judge(make_context(make_invoice(total=Decimal("1.00"))), judged_at=JUDGED_AT)

    assert judged.verdict.status is EntryStatus.READY_TO_PROCESS
    assert "amount.total_mismatch" not in RuleEngine(config).rule_ids


def test_a_rule_that_raises_becomes_a_finding_and_the_batch_goes_on() -> None:
    registry = RuleRegistry()

    def explodes(ctx: InvoiceContext) -> list[Breach]:
        if ctx.invoice.source_invoice_id == "1":
            raise ZeroDivisionError("division by zero")
        return [Breach("fine")] if ctx.invoice.source_invoice_id == "3" else []

    registry.register(Rule("test.explodes", Severity.HARD, "breaks on invoice 1", explodes))
    invoices = [make_invoice(source_invoice_id=str(n)) for n in (1, 2, 3)]
    erp = Erp(purchase_orders={"PO-1001": make_purchase_order(invoices[0])})

    judged = RuleEngine(BASE_CONFIG, registry).judge_batch(invoices, erp, today=TODAY, judged_at=JUDGED_AT)

    assert [j.verdict.status for j in judged] == [
        EntryStatus.MANUAL_REVIEW,
        EntryStatus.READY_TO_PROCESS,
        EntryStatus.BAD_INVOICE,
    ]
    [finding] = judged[0].verdict.findings
    assert (finding.rule_id, finding.severity, finding.message) == (
        ENGINE_RULE_ID,
        Severity.SOFT,
        "Rule test.explodes could not check this invoice (ZeroDivisionError: division by zero); check that point by hand.",
    )


def test_a_batch_is_judged_against_its_own_po_vendor_and_history() -> None:
    first, second = (
        make_invoice(),
        make_invoice(source_invoice_id="2", po_number="PO-2", invoice_number="INV-2", vendor_id="V002"),
    )
    erp = Erp(
        purchase_orders={"PO-1001": make_purchase_order(first), "PO-2": make_purchase_order(second)},
        vendors={"V001": Vendor(vendor_id="V001", name="Acme Industrial Supply")},
        entered_invoices={
            "V002": (
                EnteredInvoice(
                    erp_document_id="AP-1",
                    vendor_id="V002",
                    invoice_number="inv-0002",
                    invoice_date=TODAY,
                    currency="USD",
                    total=Decimal("5"),
                ),
            )
        },
    )

    judged = RuleEngine(BASE_CONFIG).judge_batch([first, second], erp, today=TODAY, judged_at=JUDGED_AT)

    assert judged[0].verdict.findings == ()
    assert sorted(f.rule_id for f in judged[1].verdict.findings) == ["duplicate.exact", "vendor.unknown"]


def test_copies_of_a_bill_in_one_batch_make_the_later_ones_duplicates() -> None:
    original = make_invoice(source_invoice_id="1", po_number="PO-1", invoice_number="INV-77")
    same_number = make_invoice(source_invoice_id="2", po_number="PO-2", invoice_number="inv 0077")
    same_amount = make_invoice(source_invoice_id="3", po_number="PO-3", invoice_number="INV-78")
    other_vendor = make_invoice(source_invoice_id="4", po_number="PO-4", invoice_number="INV-77", vendor_id="V002")
    batch = [original, same_number, same_amount, other_vendor]
    vendors = {v: Vendor(vendor_id=v, name="Acme Industrial Supply") for v in ("V001", "V002")}
    erp = Erp(purchase_orders={i.po_number: make_purchase_order(i) for i in batch}, vendors=vendors)

    judged = RuleEngine(BASE_CONFIG).judge_batch(batch, erp, today=TODAY, judged_at=JUDGED_AT)

    assert [sorted(f.rule_id for f in j.verdict.findings) for j in judged] == [
        [],
        ["duplicate.exact"],
        ["duplicate.possible"],
        [],
    ]
    assert "as INV-77 (invoice 1 of the same batch (ready_to_process)" in judged[1].verdict.findings[0].message


def test_a_bad_invoice_earlier_in_the_batch_is_no_original() -> None:
    bad = make_invoice(source_invoice_id="1", po_number="PO-GONE", invoice_number="INV-77")  # no such PO: bad
    copy = make_invoice(source_invoice_id="2", po_number="PO-2", invoice_number="INV-77")
    erp = Erp(
        purchase_orders={"PO-2": make_purchase_order(copy)},
        vendors={"V001": Vendor(vendor_id="V001", name="Acme Industrial Supply")},
    )

    judged = RuleEngine(BASE_CONFIG).judge_batch([bad, copy], erp, today=TODAY, judged_at=JUDGED_AT)

    assert [j.verdict.status for j in judged] == [EntryStatus.BAD_INVOICE, EntryStatus.READY_TO_PROCESS]


def test_the_payload_carries_what_the_bot_keys_in_and_passes_the_published_schema() -> None:
    invoice = make_invoice(
        lines=(make_line(1, quantity=Decimal("12")), make_line(2, part_number="PART-002", quantity=Decimal("1")))
    )
    po = make_purchase_order(
        make_invoice(
            lines=(
                make_line(1, quantity=Decimal("5")),
                make_line(2, part_number="PART-001", quantity=Decimal("10")),
                make_line(3, part_number="PART-002", quantity=Decimal("1")),
            )
        )
    )

    payload = RuleEngine(BASE_CONFIG).judge(make_context(invoice, po=po), judged_at=JUDGED_AT).payload

    assert payload is not None
    # invoice line 1 (12 EA of PART-001) is keyed against PO line 1 (5 open) and PO line 2 (the other 7)
    assert [(p.invoice_line_no, p.po_line_no, p.erp_item_id, p.quantity, p.amount) for p in payload.lines] == [
        (1, 1, "ITEM-PART001", Decimal("5"), Decimal("62.50")),
        (1, 2, "ITEM-PART001", Decimal("7"), Decimal("87.50")),
        (2, 3, "ITEM-PART002", Decimal("1"), Decimal("12.50")),
    ]
    assert (payload.total, payload.rule_set_version, payload.vendor_name) == (
        Decimal("162.50"),
        "test-1",
        "Acme Industrial Supply",
    )
    assert payload_json(payload)["lines"][0]["amount"] == "62.50"


def test_a_payload_that_breaks_the_published_schema_is_refused_naming_where() -> None:
    payload = RuleEngine(BASE_CONFIG).judge(make_context(make_invoice()), judged_at=JUDGED_AT).payload
    assert payload is not None
    line = payload.lines[0]

    # model_copy skips validation: the way a bug in our own code could produce such a payload
    with pytest.raises(PayloadSchemaError, match=r"breaks its schema at lines: \[\] has less than 1 item"):
        payload_json(payload.model_copy(update={"lines": ()}))
    with pytest.raises(PayloadSchemaError, match=r"at lines/0/erp_item_id: .*shorter than 1 character"):
        payload_json(payload.model_copy(update={"lines": (line.model_copy(update={"erp_item_id": ""}),)}))


def test_the_shipped_config_loads_and_switches_on_every_rule() -> None:
    config = load_rule_config(DEFAULT_CONFIG_PATH)

    assert sorted(RuleEngine(config).rule_ids) == REGISTRY.ids()
    assert config.price_tolerance.upper_absolute == Decimal("0")
    assert isinstance(config.charges[ChargeKind.FREIGHT].amount, Decimal)


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("rule_set_version: x\ndisabled_rules: [price.typo]\n", "disabled_rules names unknown rule id(s): price.typo"),
        (
            "rule_set_version: x\nprice_tolerance: {upper_percent: -1}\n",
            "price_tolerance.upper_percent: Input should be greater than or equal to 0",
        ),
        (
            "rule_set_version: x\ncharges: {freight: {allowed: up_to_amount}}\n",
            "charges.freight: Value error, up_to_amount needs `amount`",
        ),
        ("rule_set_version: x\nrounding_tolerence: 0\n", "rounding_tolerence: Extra inputs are not permitted"),
        ("disabled_rules: []\n", "rule_set_version: Field required"),
        ("rule_set_version: [unclosed\n", "is not valid YAML"),
    ],
)
def test_a_bad_config_fails_at_start_naming_the_key(tmp_path: Path, yaml_text: str, message: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml_text)

    with pytest.raises(ConfigError) as error:
        load_rule_config(path)

    assert message in str(error.value)
    assert str(path) in str(error.value)
