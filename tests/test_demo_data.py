"""The demo data: deterministic, every planted problem present exactly once per invoice, clean invoices
consistent with their PO, garbled rows garbled, the same rows on every database. (The marketplace reader
and the default rule set finding exactly what was planted: tests/test_demo_judged.py.)"""

import itertools
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from connectors.erp import demo_schema as erp_schema
from connectors.marketplace import schema as marketplace_schema
from demo import CHARGE_POLICY, CLEAN, DEFAULT_TODAY, EXPECTED_RULES, PROBLEMS, SeedReport, seed_demo
from demo.__main__ import main
from demo.amounts import tax_on
from demo.invoices import EA_PER_BOX, UNCONVERTIBLE_UOM
from demo.problems import UOM_CONVERTED
from domain import normalise_invoice_number, normalise_part_number
from rules.catalogue import REGISTRY, load_rule_config
from settings import Settings

POSSIBLE_DUPLICATE_DAYS = 7
# Labels of invoices with nothing wrong: plain clean ones, corrected ones, ones billed by the box.
CLEAN_LABELS = {problem for problem, rules in EXPECTED_RULES.items() if not rules}

Tables = dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class Seeded:
    report: SeedReport
    tables: Tables


def read_tables(marketplace_url: str, erp_url: str) -> Tables:
    tables: Tables = {}
    for url, metadata in ((erp_url, erp_schema.metadata), (marketplace_url, marketplace_schema.metadata)):
        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                for table in metadata.sorted_tables:
                    query = sa.select(table).order_by(*table.primary_key.columns)
                    tables[table.name] = [dict(row) for row in conn.execute(query).mappings()]
        finally:
            engine.dispose()
    return tables


def seed_sqlite(directory: Path, **options: Any) -> Seeded:
    marketplace_url, erp_url = f"sqlite:///{directory / 'marketplace.db'}", f"sqlite:///{directory / 'erp.db'}"
    report = seed_demo(marketplace_url, erp_url, **options)
    return Seeded(report, read_tables(marketplace_url, erp_url))


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    return seed_sqlite(tmp_path_factory.mktemp("demo"), invoices=60)


@pytest.fixture(scope="module")
def reference_40(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    return seed_sqlite(tmp_path_factory.mktemp("reference"), invoices=40)


# ---------------------------------------------------------------- an independent audit of the rows


def charges_allowed(charges: list[dict[str, Any]]) -> bool:
    billed: dict[str, Decimal] = defaultdict(Decimal)
    for charge in charges:
        billed[charge["charge_type"]] += Decimal(charge["amount"])
    return all(
        CHARGE_POLICY[kind]["allowed"] == "up_to_amount" and amount <= Decimal(CHARGE_POLICY[kind]["amount"])
        for kind, amount in billed.items()
    )


def as_decimal(text: str | None) -> Decimal | None:
    try:
        return Decimal(text) if text is not None else None
    except InvalidOperation:
        return None


class Audit:
    """Redoes a clerk's checks on the stored rows, without the generator's help, and names what is wrong."""

    def __init__(self, tables: Tables, today: date):
        self.today = today
        self.vendors = {row["vendor_id"]: row for row in tables["vendor"]}
        self.pos = {row["po_number"]: row for row in tables["po_header"]}
        # A PO line with a negative quantity ordered makes the whole PO unreadable.
        self.unreadable_pos = {row["po_number"] for row in tables["po_line"] if row["qty_ordered"] < 0}
        # 1 from_uom = factor to_uom, as AP configured them.
        self.conversions = {(c.from_uom, c.to_uom): c.factor for c in load_rule_config().uom_conversions}
        self.po_lines: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for row in tables["po_line"]:
            self.po_lines[row["po_number"]][normalise_part_number(row["part_number"])] = row
        self.lines = defaultdict(list)
        for row in tables["mp_invoice_line"]:
            self.lines[row["invoice_id"]].append(row)
        self.charges = defaultdict(list)
        for row in tables["mp_invoice_charge"]:
            self.charges[row["invoice_id"]].append(row)
        # (vendor, normalised number, total, date) of every invoice a new one may duplicate.
        self.entered = [
            (
                row["vendor_id"],
                normalise_invoice_number(row["vendor_invoice_no"]),
                row["invoice_total"],
                row["invoice_date"],
            )
            for row in tables["ap_invoice"]
        ]
        self.marketplace = [
            (
                row["vendor_id"],
                normalise_invoice_number(row["invoice_number"]),
                as_decimal(row["total_amount"]),
                row["invoice_date"],
                row["invoice_id"],
            )
            for row in tables["mp_invoice"]
        ]
        self.billed: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
        self.seen_numbers: set[tuple[str, str]] = set()

    def judge_all(self, invoices: list[dict[str, Any]]) -> dict[int, set[str]]:
        """Findings per invoice, judged in the order the reader pulls them (updated_at, then id)."""
        ordered = sorted(invoices, key=lambda row: (row["updated_at"], row["invoice_id"]))
        return {row["invoice_id"]: self.judge(row) for row in ordered}

    def judge(self, invoice: dict[str, Any]) -> set[str]:
        lines = self.lines[invoice["invoice_id"]]
        po_number = invoice["po_number"] or ""
        # An unreadable PO shows nothing to check the invoice against.
        po = None if po_number in self.unreadable_pos else self.pos.get(po_number)
        self._bill(po, lines)
        garbled = self._garbled(invoice, lines)
        if garbled:
            return garbled
        return (
            self._po_findings(invoice, po)
            | self._vendor_findings(invoice, po)
            | self._line_findings(po, lines)
            | self._total_findings(invoice, lines)
            | self._date_findings(invoice, po)
            | self._duplicate_findings(invoice)
        )

    def _bill(self, po: dict[str, Any] | None, lines: list[dict[str, Any]]) -> None:
        for line in lines:
            quantity, po_line = as_decimal(line["quantity"]), self._po_line(po, line)
            factor = None if po_line is None else self._po_units_per_unit(line, po_line)
            if quantity is not None and quantity > 0 and po_line is not None and factor is not None:
                self.billed[po_line["po_number"], po_line["po_line_no"]] += quantity * factor

    def _po_line(self, po: dict[str, Any] | None, line: dict[str, Any]) -> dict[str, Any] | None:
        return None if po is None else self.po_lines[po["po_number"]].get(normalise_part_number(line["part_number"]))

    def _po_units_per_unit(self, line: dict[str, Any], po_line: dict[str, Any]) -> Decimal | None:
        """1 in the PO line's own unit, else a configured conversion's factor; None when there is none."""
        uom = line["uom"].strip().upper()
        return Decimal(1) if uom == po_line["uom"] else self.conversions.get((uom, po_line["uom"]))

    @staticmethod
    def _garbled(invoice: dict[str, Any], lines: list[dict[str, Any]]) -> set[str]:
        found = set()
        if not (invoice["po_number"] or "").strip():
            found.add("garbled.missing_po")
        if any(as_decimal(line["quantity"]) is None for line in lines):
            found.add("garbled.text_quantity")
        if any((as_decimal(line["unit_price"]) or 0) < 0 for line in lines):
            found.add("garbled.negative_price")
        if not re.fullmatch(r"[A-Z]{3}", invoice["currency"] or ""):
            found.add("garbled.bad_currency")
        if as_decimal(invoice["total_amount"]) is None:
            found.add("garbled.bad_total")
        return found

    def _po_findings(self, invoice: dict[str, Any], po: dict[str, Any] | None) -> set[str]:
        if invoice["po_number"] in self.unreadable_pos:
            return {"po.unreadable"}
        if po is None:
            return {"po.unknown"}
        found = {"C": {"po.closed"}, "X": {"po.cancelled"}, "H": {"po.on_hold"}}.get(po["po_status"], set())
        if invoice["currency"] != po["currency_code"]:
            found.add("currency.mismatch")
        return found

    def _vendor_findings(self, invoice: dict[str, Any], po: dict[str, Any] | None) -> set[str]:
        vendor = self.vendors.get(invoice["vendor_id"])
        if vendor is None:
            return {"vendor.unknown"}  # so not the PO's vendor either: named once, as unknown
        found = {"vendor.inactive"} if vendor["is_active"] == "N" else set()
        if po is not None and invoice["vendor_id"] != po["vendor_id"]:
            found.add("vendor.mismatch")
        return found

    def _line_findings(self, po: dict[str, Any] | None, lines: list[dict[str, Any]]) -> set[str]:
        found = set()
        for line in lines:
            quantity, price, line_total = (Decimal(line[key]) for key in ("quantity", "unit_price", "line_total"))
            if quantity * price != line_total:
                found.add("line.total_mismatch")
            if tax_on(line_total, Decimal(line["tax_rate"])) != Decimal(line["tax_amount"]):
                found.add("tax.rate_mismatch")
            if po is None:
                continue
            po_line = self._po_line(po, line)
            if po_line is None:
                found.add("part.not_on_po")
                continue
            factor = self._po_units_per_unit(line, po_line)
            if factor is None:
                found.add("uom.unknown")
                continue
            po_price = po_line["unit_cost"] * factor
            if price != po_price:
                found.add("price.one_cent_over" if price - po_price == Decimal("0.01") else "price.mismatch")
            if quantity > 0:
                found |= self._quantity_findings(po_line)
        return found

    def _quantity_findings(self, po_line: dict[str, Any]) -> set[str]:
        # Everything the marketplace bills on the line, this invoice included, against what the ERP still has.
        billed = self.billed[po_line["po_number"], po_line["po_line_no"]] + po_line["qty_invoiced"]
        found = set()
        if billed > po_line["qty_ordered"]:
            found.add("qty.over_open")
        if po_line["qty_received"] is not None and billed > po_line["qty_received"]:
            found.add("qty.over_received")
        return found

    def _total_findings(self, invoice: dict[str, Any], lines: list[dict[str, Any]]) -> set[str]:
        subtotal = sum(Decimal(line["line_total"]) for line in lines)
        tax = sum(Decimal(line["tax_amount"]) for line in lines)
        charges = self.charges[invoice["invoice_id"]]
        found = set()
        if (subtotal, tax) != (Decimal(invoice["subtotal"]), Decimal(invoice["tax_amount"])):
            found.add("total.subtotal_mismatch")
        if subtotal + tax + sum(Decimal(c["amount"]) for c in charges) != Decimal(invoice["total_amount"]):
            found.add("total.mismatch")
        if not charges_allowed(charges):
            found.add("charge.unapproved")
        if Decimal(invoice["total_amount"]) < 0:
            found.add("credit_note")
        elif any(Decimal(line["quantity"]) < 0 for line in lines):
            found.add("line.return_netted")
        return found

    def _date_findings(self, invoice: dict[str, Any], po: dict[str, Any] | None) -> set[str]:
        found = set()
        invoice_date = invoice["invoice_date"]
        if invoice["due_date"] is None:
            found.add("missing.due_date")
        if invoice_date > self.today:
            found.add("date.future")
        if invoice_date < self.today - timedelta(days=365):
            found.add("date.too_old")
        if po is not None and invoice_date < po["po_date"]:
            found.add("date.before_po")
        return found

    def _duplicate_findings(self, invoice: dict[str, Any]) -> set[str]:
        vendor, number = invoice["vendor_id"], normalise_invoice_number(invoice["invoice_number"])
        total, invoice_date = Decimal(invoice["total_amount"]), invoice["invoice_date"]
        found = set()
        if any(e[:2] == (vendor, number) for e in self.entered):
            found.add("duplicate.entered_in_erp")
        if (vendor, number) in self.seen_numbers:
            found.add("duplicate.in_marketplace")
        self.seen_numbers.add((vendor, number))
        others = self.entered + [m[:4] for m in self.marketplace if m[4] != invoice["invoice_id"]]
        if total > 0 and any(
            (v, t) == (vendor, total) and n != number and abs((d - invoice_date).days) <= POSSIBLE_DUPLICATE_DAYS
            for v, n, t, d in others
        ):
            found.add("duplicate.possible")
        return found


def unexpected_findings(seeded: Seeded) -> dict[int, tuple[str, set[str]]]:
    """Invoices whose findings are not exactly their one planted problem (nothing at all when clean)."""
    problems = seeded.report.problems
    return {
        invoice_id: (problems[invoice_id], found)
        for invoice_id, found in Audit(seeded.tables, seeded.report.today)
        .judge_all(seeded.tables["mp_invoice"])
        .items()
        if found != (set() if problems[invoice_id] in CLEAN_LABELS else {problems[invoice_id]})
    }


# ---------------------------------------------------------------- the tests


def test_same_seed_and_size_give_identical_rows_and_manifest(seeded: Seeded, tmp_path: Path) -> None:
    again = seed_sqlite(tmp_path, invoices=60)
    assert again.tables == seeded.tables
    assert again.report.manifest_path is not None and seeded.report.manifest_path is not None
    assert again.report.manifest_path.read_bytes() == seeded.report.manifest_path.read_bytes()
    other_seed = seed_sqlite(tmp_path / "other", invoices=60, seed=8)
    assert other_seed.tables["mp_invoice_line"] != seeded.tables["mp_invoice_line"]


def test_every_problem_is_planted_and_each_invoice_has_one(seeded: Seeded) -> None:
    report = seeded.report
    assert all(report.counts[problem] >= 1 for problem in PROBLEMS), report.counts
    assert sorted(report.problems) == [row["invoice_id"] for row in seeded.tables["mp_invoice"]]
    assert sum(report.counts.values()) == report.invoices == 60
    assert report.manifest_path is not None
    manifest = json.loads(report.manifest_path.read_text())
    assert manifest["problem_counts"] == report.counts
    assert manifest["charge_policy"] == CHARGE_POLICY
    assert (manifest["seed"], manifest["invoices"], manifest["today"]) == (7, 60, DEFAULT_TODAY.isoformat())


def test_each_invoice_shows_exactly_its_planted_problem(seeded: Seeded) -> None:
    assert unexpected_findings(seeded) == {}


def test_a_larger_set_with_another_seed_holds_too(tmp_path: Path) -> None:
    assert unexpected_findings(seed_sqlite(tmp_path, invoices=1500, seed=11)) == {}


def test_clean_invoices_bill_exact_po_prices_within_open_quantity(seeded: Seeded) -> None:
    po_lines = {(row["po_number"], normalise_part_number(row["part_number"])): row for row in seeded.tables["po_line"]}
    invoices = {row["invoice_id"]: row for row in seeded.tables["mp_invoice"]}
    clean_lines = [
        line for line in seeded.tables["mp_invoice_line"] if seeded.report.problems[line["invoice_id"]] == CLEAN
    ]
    assert len(clean_lines) > 100
    for line in clean_lines:
        po_line = po_lines[invoices[line["invoice_id"]]["po_number"], normalise_part_number(line["part_number"])]
        quantity, price = Decimal(line["quantity"]), Decimal(line["unit_price"])
        assert price == po_line["unit_cost"]
        assert 0 < quantity <= po_line["qty_ordered"] - po_line["qty_invoiced"]
        assert quantity * price == Decimal(line["line_total"])


def test_boxed_lines_bill_whole_boxes_of_twelve_at_twelve_times_the_po_price(seeded: Seeded) -> None:
    po_lines = {(row["po_number"], normalise_part_number(row["part_number"])): row for row in seeded.tables["po_line"]}
    invoices = {row["invoice_id"]: row for row in seeded.tables["mp_invoice"]}
    converted = {invoice_id for invoice_id, problem in seeded.report.problems.items() if problem == UOM_CONVERTED}
    boxed_against_each = []
    for line in seeded.tables["mp_invoice_line"]:
        po_line = po_lines.get((invoices[line["invoice_id"]]["po_number"], normalise_part_number(line["part_number"])))
        if line["uom"].upper() == "BOX" and po_line is not None and po_line["uom"] == "EA":
            boxed_against_each.append((line, po_line))
    # Only the converted invoices bill by the box against each-priced PO lines, and each of them does.
    assert converted and {line["invoice_id"] for line, _ in boxed_against_each} == converted
    for line, po_line in boxed_against_each:
        assert Decimal(line["unit_price"]) == po_line["unit_cost"] * EA_PER_BOX
        assert 0 < Decimal(line["quantity"]) * EA_PER_BOX <= po_line["qty_ordered"] - po_line["qty_invoiced"]


def test_garbled_rows_look_garbled(seeded: Seeded) -> None:
    invoices = {row["invoice_id"]: row for row in seeded.tables["mp_invoice"]}
    lines = defaultdict(list)
    for line in seeded.tables["mp_invoice_line"]:
        lines[line["invoice_id"]].append(line)
    for invoice_id, problem in seeded.report.problems.items():
        invoice, its_lines = invoices[invoice_id], lines[invoice_id]
        if problem == "garbled.missing_po":
            assert not invoice["po_number"]
        elif problem == "garbled.text_quantity":
            assert sum(as_decimal(line["quantity"]) is None for line in its_lines) == 1
        elif problem == "garbled.negative_price":
            assert sum(Decimal(line["unit_price"]) < 0 for line in its_lines) == 1
        elif problem == "garbled.bad_currency":
            assert not re.fullmatch(r"[A-Z]{3}", invoice["currency"] or "")
        elif problem == "garbled.bad_total":
            assert as_decimal(invoice["total_amount"]) is None


def test_duplicates_spell_the_number_differently(seeded: Seeded) -> None:
    invoices = {row["invoice_id"]: row for row in seeded.tables["mp_invoice"]}
    entered = {row["ap_doc_id"]: row for row in seeded.tables["ap_invoice"]}
    for invoice_id, detail in seeded.report.details.items():
        number = invoices[invoice_id]["invoice_number"]
        problem = seeded.report.problems[invoice_id]
        if problem == "duplicate.in_marketplace":
            earlier = invoices[detail["original_invoice_id"]]["invoice_number"]
        elif problem == "duplicate.entered_in_erp":
            earlier = entered[detail["ap_doc_id"]]["vendor_invoice_no"]
        else:
            continue
        assert number != earlier and normalise_invoice_number(number) == normalise_invoice_number(earlier)


def test_updated_at_rises_with_the_id_except_a_few(seeded: Seeded) -> None:
    invoices = seeded.tables["mp_invoice"]
    out_of_order = [b["invoice_id"] for a, b in itertools.pairwise(invoices) if b["updated_at"] < a["updated_at"]]
    assert 2 <= len(out_of_order) <= 6
    corrected = [row for row in invoices if seeded.report.problems[row["invoice_id"]] == "corrected"]
    assert corrected and all(row["version"] == 2 for row in corrected)
    assert all(row["version"] == 1 for row in invoices if row not in corrected)
    assert max(row["updated_at"] for row in invoices).date() <= DEFAULT_TODAY


def test_too_few_invoices_to_plant_every_problem_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least"):
        seed_demo(f"sqlite:///{tmp_path / 'm.db'}", f"sqlite:///{tmp_path / 'e.db'}", invoices=20)


def test_seeding_writes_the_same_rows_on_every_database(db_url: str, reference_40: Seeded) -> None:
    # Marketplace and ERP may share one database: their table names do not clash.
    report = seed_demo(db_url, db_url, invoices=40, manifest_path=None)
    assert report.problems == reference_40.report.problems
    assert read_tables(db_url, db_url) == reference_40.tables


def test_cli_seeds_skips_when_present_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    var = tmp_path / "var"
    settings = Settings(marketplace_db_url=f"sqlite:///{var / 'mp.db'}", erp_db_url=f"sqlite:///{var / 'erp.db'}")
    documents = ["--documents-dir", str(var / "documents")]
    assert main(["--invoices", "40", "--if-absent", *documents], settings=settings) == 0
    seeded = capsys.readouterr().out
    sent_as_documents = len(json.loads((var / "demo_manifest.json").read_text())["documents"])
    assert "Seeded 40 invoices" in seeded and f"documents    {sent_as_documents} invoices sent as" in seeded
    assert 0 < sent_as_documents == len(json.loads((var / "documents" / "truth.json").read_text()))
    assert main(["--if-absent", *documents], settings=settings) == 0
    assert f"already has {40 - sent_as_documents} invoices" in capsys.readouterr().out
    assert main(["report"], settings=settings) == 0
    report = capsys.readouterr().out
    for expected in (
        "vendors",
        "purchase orders",
        "PO lines",
        "entered AP invoices",
        "credit notes",
        "price.one_cent_over",
    ):
        assert expected in report
    for problem in ("po.unreadable", "vendor.unknown", "clean.uom_converted"):
        assert problem in report


# ---------------------------------------------------------------- the demo against the rules' configuration


def test_the_demo_charge_policy_is_the_rules_default() -> None:
    policies = load_rule_config().charges
    assert {
        kind.value: {"allowed": p.allowed.value} | ({"amount": str(p.amount)} if p.amount is not None else {})
        for kind, p in policies.items()
    } == CHARGE_POLICY


def test_the_demo_units_follow_the_rules_conversions() -> None:
    conversions = {(c.from_uom, c.to_uom): c.factor for c in load_rule_config().uom_conversions}
    assert conversions[("BOX", "EA")] == EA_PER_BOX
    assert not any(UNCONVERTIBLE_UOM in units for units in conversions)


def test_the_expected_rules_cover_every_problem_the_rules_see_and_every_rule() -> None:
    assert set(EXPECTED_RULES) == {problem for problem in PROBLEMS if not problem.startswith("garbled.")}
    assert set().union(*EXPECTED_RULES.values()) == set(REGISTRY.ids())
