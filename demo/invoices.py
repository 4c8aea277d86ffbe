"""The demo's marketplace invoices: clean ones billed from open POs, and one planted problem in each of the others.

Every invoice starts as a draft billed from a PO (exact PO prices, quantities within what is still
billable), then its builder plants its one problem. Amounts are derived from the draft's fields,
so a planted change such as a price one cent over keeps every other sum consistent.
"""

import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from demo.amounts import CENT, ZERO, cents, floor_to_step, share_of, tax_on
from demo.catalogue import CURRENCIES, ONE, TAX_RATES, Item, Vendor
from demo.erp import CANCELLED, CLOSED, DAY, ON_HOLD, OPEN, DemoErp, PoLine, PurchaseOrder
from demo.problems import CORRECTABLE, Plan
from domain import normalise_invoice_number

FREIGHT_LIMIT = Decimal("150.00")
HANDLING_LIMIT = Decimal("25.00")
# The charges clean invoices stay within, per invoice in its currency, written as in rules/rules.yaml,
# whose default policy it is (a test holds the two together).
CHARGE_POLICY = {
    "freight": {"allowed": "up_to_amount", "amount": str(FREIGHT_LIMIT)},
    "handling": {"allowed": "up_to_amount", "amount": str(HANDLING_LIMIT)},
    "surcharge": {"allowed": "never"},
    "other": {"allowed": "never"},
}
# 1 BOX = 12 EA, as rules/rules.yaml converts it (a test holds the two together).
EA_PER_BOX = 12
# A unit no conversion in rules/rules.yaml links to any unit the demo's POs order in.
UNCONVERTIBLE_UOM = "CS"
UPLOAD_WINDOW = timedelta(days=10)
_LINE_INCLUDED = 0.97  # chance that an invoice bills a PO line that still has quantity open


@dataclass(frozen=True, slots=True)
class Charge:
    kind: str
    description: str
    amount: Decimal


@dataclass(slots=True, eq=False)
class DraftLine:
    item: Item
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    po_line: PoLine | None = None  # None for a part that is not on the PO
    planted: bool = False  # carries the planted problem: left alone when the total is nudged
    line_total_error: Decimal = ZERO
    applied_tax_rate: Decimal | None = None  # a vendor who taxed at another rate than the one printed
    billed_uom: str | None = None  # the unit billed in, when not the item's own
    po_units_per_unit: int = 1  # 12 for a box of each-priced parts; an unconvertible unit is booked 1:1

    @property
    def uom(self) -> str:
        return self.billed_uom or self.item.uom

    @property
    def quantity_in_po_unit(self) -> Decimal:
        return self.quantity * self.po_units_per_unit

    @property
    def line_total(self) -> Decimal:
        return cents(self.quantity * self.unit_price) + self.line_total_error

    @property
    def tax_amount(self) -> Decimal:
        return tax_on(self.line_total, self.tax_rate if self.applied_tax_rate is None else self.applied_tax_rate)


@dataclass(slots=True, eq=False)
class DraftInvoice:
    invoice_id: int
    vendor: Vendor
    po: PurchaseOrder
    invoice_date: date
    due_days: int | None  # None: no due date given
    currency: str
    lines: list[DraftLine]
    charges: list[Charge]
    updated_at: datetime
    problem: str = ""
    number: str | None = None
    version: int = 1
    total_error: Decimal = ZERO
    subtotal_error: Decimal = ZERO  # in the printed subtotal only: the total is still right
    # Garbled fields as the vendor typed them, replacing the rendered text.
    header_text: dict[str, str | None] = field(default_factory=dict)
    line_text: dict[int, dict[str, str]] = field(default_factory=dict)

    @property
    def due_date(self) -> date | None:
        return None if self.due_days is None else self.invoice_date + self.due_days * DAY

    @property
    def subtotal(self) -> Decimal:
        return sum((line.line_total for line in self.lines), ZERO)

    @property
    def stated_subtotal(self) -> Decimal:
        return self.subtotal + self.subtotal_error

    @property
    def tax_amount(self) -> Decimal:
        return sum((line.tax_amount for line in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax_amount + sum((c.amount for c in self.charges), ZERO) + self.total_error


def upload_times(count: int, today: date, rng: random.Random, keep_in_order: set[int]) -> list[datetime]:
    """When the marketplace last changed each invoice: over the last days, rising with the invoice id,
    except a few rows committed a little out of order (within the reader's default 300 s look-back)."""
    end = datetime.combine(today, time(6))
    step = UPLOAD_WINDOW.total_seconds() / count
    times = [end - UPLOAD_WINDOW + timedelta(seconds=int((i + rng.random() * 0.8) * step)) for i in range(count)]
    candidates = [index for index in range(1, count) if index + 1 not in keep_in_order]
    for index in rng.sample(candidates, k=max(2, count // 200)):
        times[index] = times[index - 1] - timedelta(seconds=rng.randint(20, 240))
    return times


def respell(number: str, rng: random.Random) -> str:
    """The same invoice number written another way: case, separators, leading zeros ("INV-00123" → "inv 123")."""
    runs = re.findall(r"[A-Za-z]+|[0-9]+", number)
    stripped = [run.lstrip("0") or "0" if run.isdigit() else run for run in runs]
    variants = [
        " ".join(stripped).lower(),
        "_".join(runs).title(),
        "".join(runs),
        "-".join(stripped),
        "#" + "".join(stripped),
    ]
    same = normalise_invoice_number(number)
    return rng.choice([v for v in variants if v != number and normalise_invoice_number(v) == same])


class InvoiceBuilder:
    def __init__(self, erp: DemoErp, plan: Plan, rng: random.Random, today: date):
        self.erp = erp
        self.plan = plan
        self.rng = rng
        self.today = today
        self.originals = set(plan.originals.values())
        self.times = upload_times(len(plan.labels), today, rng, keep_in_order=set(plan.originals))
        self.drafts: list[DraftInvoice] = []
        self.details: dict[int, dict[str, str | int]] = {}
        self._queue: list[PurchaseOrder] = []

    def build(self) -> list[DraftInvoice]:
        self._fill_queue(len(self.plan.labels))
        for invoice_id, problem in enumerate(self.plan.labels, start=1):
            # Each problem's builder is the method named after it: "po.closed" → po_closed.
            draft = getattr(self, problem.replace(".", "_"))(invoice_id)
            draft.problem = problem
            self.drafts.append(draft)
        return self.drafts

    # ---------------------------------------------------------------- where invoices come from

    def _fill_queue(self, slots: int) -> None:
        """Spread the coming invoices over the open POs: each gets one or more, so most POs are billed in parts."""
        pool = [
            po for po in self.erp.pos if po.status == OPEN and po.vendor.active and po.readable and _can_bill_twice(po)
        ]
        if not pool:
            raise RuntimeError("the demo ran out of open PO quantity to bill")
        queue = pool + self.rng.choices(pool, k=max(0, slots - len(pool)))
        self.rng.shuffle(queue)
        planned = Counter(queue)
        for po in pool:
            po.slots_left = planned[po]
        self._queue = queue

    def _pool_draft(self, invoice_id: int, *, divisor: int = 1) -> DraftInvoice:
        while True:
            if not self._queue:
                self._fill_queue(len(self.plan.labels) - len(self.drafts))
            po = self._queue.pop()
            lines = self._billed_lines(po, divisor)
            po.slots_left -= 1
            if lines:
                return self._draft(invoice_id, po, lines)

    def _dedicated_po(
        self,
        *,
        status: str = OPEN,
        age: tuple[int, int] = (14, 300),
        receipts: str = "mixed",
        vendor: Vendor | None = None,
    ) -> PurchaseOrder:
        """A PO of its own for a problem that needs a PO of a particular shape (from an active vendor by default)."""
        return self.erp.new_po(vendor or self.erp.pick_vendor(), self.erp.days_ago(*age), status, receipts)

    def _dedicated_draft(self, invoice_id: int, po: PurchaseOrder) -> DraftInvoice:
        po.slots_left = 1
        lines = self._billed_lines(po, divisor=1)
        if not lines:
            raise RuntimeError(f"a fresh demo PO has nothing to bill (vendor {po.vendor.vendor_id})")
        return self._draft(invoice_id, po, lines)

    def _billed_lines(self, po: PurchaseOrder, divisor: int) -> list[DraftLine]:
        """Bill a share of what is still billable on each line; `divisor` 2 keeps room to bill it again."""
        candidates = []
        for po_line in po.lines:
            cap = floor_to_step(po_line.billable / divisor, po_line.item.qty_step)
            if cap >= po_line.item.qty_step:
                candidates.append((po_line, cap))
        chosen = [c for c in candidates if self.rng.random() < _LINE_INCLUDED] or candidates[:1]
        return [self._line(po_line, self._share(po_line, cap, po.slots_left)) for po_line, cap in chosen]

    def _share(self, po_line: PoLine, cap: Decimal, slots_left: int) -> Decimal:
        step = po_line.item.qty_step
        quantity = floor_to_step(cap * self.rng.randint(70, 100) / (100 * max(1, slots_left)), step)
        return min(max(quantity, step), cap)

    @staticmethod
    def _line(po_line: PoLine, quantity: Decimal) -> DraftLine:
        return DraftLine(po_line.item, quantity, po_line.unit_cost, po_line.tax_rate, po_line=po_line)

    def _draft(
        self, invoice_id: int, po: PurchaseOrder, lines: list[DraftLine], *, with_charges: bool = True
    ) -> DraftInvoice:
        uploaded = self.times[invoice_id - 1]
        # Vendors upload within days of invoicing, and never invoice before the PO.
        invoice_date = max(po.po_date + DAY, uploaded.date() - self.rng.randint(0, 10) * DAY)
        return DraftInvoice(
            invoice_id=invoice_id,
            vendor=po.vendor,
            po=po,
            invoice_date=invoice_date,
            due_days=po.vendor.terms_days,
            currency=po.currency,
            lines=lines,
            charges=self._allowed_charges() if with_charges else [],
            updated_at=uploaded,
        )

    def _allowed_charges(self) -> list[Charge]:
        """Freight on about a third of the invoices, a small handling fee on a few: all within the policy."""
        charges = []
        if self.rng.random() < 0.35:
            description = self.rng.choice(("Freight", "Freight - ground", "Shipping and freight"))
            # Below the limit with room for the few 5.00 a total may be nudged by.
            charges.append(Charge("freight", description, self._amount(12, FREIGHT_LIMIT - 20)))
        if self.rng.random() < 0.05:
            charges.append(Charge("handling", "Handling", self._amount(5, HANDLING_LIMIT)))
        return charges

    def _amount(self, low: int | Decimal, high: int | Decimal) -> Decimal:
        return Decimal(self.rng.randint(int(low * 100), int(high * 100))) / 100

    # ---------------------------------------------------------------- finishing

    def _finish(self, draft: DraftInvoice, *, bills: int = 1, unique_total: bool = True) -> DraftInvoice:
        """Number the invoice and book its quantities; `bills` 2 reserves them for a later copy, 0 is that copy."""
        if unique_total:
            while (draft.vendor.vendor_id, draft.total) in self.erp.totals:
                _nudge(draft)
        if draft.number is None:
            draft.number = draft.vendor.take_invoice_number()
        for line in draft.lines:
            if line.po_line is not None and line.quantity > 0:
                line.po_line.qty_billed += line.quantity_in_po_unit * bills
        self.erp.totals.add((draft.vendor.vendor_id, draft.total))
        return draft

    def _finish_pool(self, invoice_id: int, plant: Callable[[DraftInvoice], None]) -> DraftInvoice:
        draft = self._pool_draft(invoice_id)
        plant(draft)
        return self._finish(draft)

    def _planted_line(
        self, draft: DraftInvoice, pick: Callable[[list[DraftLine]], DraftLine] | None = None
    ) -> DraftLine:
        line = (pick or self.rng.choice)(draft.lines)
        line.planted = True
        return line

    # ---------------------------------------------------------------- one builder per problem

    def clean(self, invoice_id: int) -> DraftInvoice:
        # An invoice a later duplicate copies bills its quantities twice, so the copy stays within the PO too.
        copied = invoice_id in self.originals
        draft = self._pool_draft(invoice_id, divisor=2 if copied else 1)
        return self._finish(draft, bills=2 if copied else 1)

    def clean_uom_converted(self, invoice_id: int) -> DraftInvoice:
        """Clean, with the each-priced parts billed by the box: whole boxes at 12× the PO's price per each."""
        po = self._dedicated_po(receipts="full")
        while not any(_boxable(line) for line in po.lines):
            po = self._dedicated_po(receipts="full")  # one without such a part stays an ordinary open PO
        draft = self._dedicated_draft(invoice_id, po)
        self._line_for(draft, self.rng.choice([line for line in po.lines if _boxable(line)]))
        for line in draft.lines:
            if line.po_line is not None and _boxable(line.po_line):
                _bill_by_the_box(line)
        return self._finish(draft)

    def price_one_cent_over(self, invoice_id: int) -> DraftInvoice:
        def plant(draft: DraftInvoice) -> None:
            self._planted_line(draft).unit_price += CENT

        return self._finish_pool(invoice_id, plant)

    def line_return_netted(self, invoice_id: int) -> DraftInvoice:
        """A bill with goods sent back netted into it: a negative line for one of its own parts (the one
        billed for the most, so that the invoice still bills more than it takes back)."""

        def plant(draft: DraftInvoice) -> None:
            kept = max(draft.lines, key=lambda line: line.line_total)
            step = kept.item.qty_step
            returned = DraftLine(
                item=kept.item,
                quantity=-step,
                unit_price=kept.unit_price,
                tax_rate=kept.tax_rate,
                po_line=kept.po_line,
                planted=True,
            )
            draft.lines.append(returned)

        return self._finish_pool(invoice_id, plant)

    def qty_over_open(self, invoice_id: int) -> DraftInvoice:
        po = self._dedicated_po()
        target = self.rng.choice(po.lines)
        target.qty_received = None  # untracked, so only the open quantity is exceeded
        draft = self._dedicated_draft(invoice_id, po)
        line = self._line_for(draft, target)
        line.quantity = target.qty_ordered - target.qty_invoiced + target.item.qty_step * self.rng.randint(1, 5)
        return self._finish(draft)

    def qty_over_received(self, invoice_id: int) -> DraftInvoice:
        po = self._dedicated_po()
        target = self.rng.choice(po.lines)
        step = target.item.qty_step
        target.qty_ordered = max(target.qty_ordered, 10 * step)
        target.qty_received = max(step, share_of(target.qty_ordered, self.rng.randint(30, 60), step))
        draft = self._dedicated_draft(invoice_id, po)
        line = self._line_for(draft, target)
        room = int((target.qty_ordered - target.qty_received) / step)
        line.quantity = target.qty_received + step * self.rng.randint(1, min(5, room))
        return self._finish(draft)

    def _line_for(self, draft: DraftInvoice, po_line: PoLine) -> DraftLine:
        """The draft's line for `po_line`, added when the draft does not bill it; marked as planted."""
        line = next((line for line in draft.lines if line.po_line is po_line), None)
        if line is None:
            line = self._line(po_line, po_line.item.qty_step)
            draft.lines.append(line)
            draft.lines.sort(key=lambda line: line.po_line.line_no if line.po_line else 0)
        line.planted = True
        return line

    def line_total_mismatch(self, invoice_id: int) -> DraftInvoice:
        def plant(draft: DraftInvoice) -> None:
            line = self._planted_line(draft)
            error = Decimal(self.rng.choice(("0.90", "1.00", "10.00", "-1.00", "-10.00")))
            line.line_total_error = abs(error) if line.line_total + error <= 0 else error

        return self._finish_pool(invoice_id, plant)

    def total_mismatch(self, invoice_id: int) -> DraftInvoice:
        def plant(draft: DraftInvoice) -> None:
            error = Decimal(self.rng.choice(("0.50", "1.00", "10.00", "100.00", "-1.00", "-10.00")))
            draft.total_error = abs(error) if draft.total + error <= 0 else error

        return self._finish_pool(invoice_id, plant)

    def total_subtotal_mismatch(self, invoice_id: int) -> DraftInvoice:
        def plant(draft: DraftInvoice) -> None:
            error = Decimal(self.rng.choice(("0.10", "1.00", "10.00", "-1.00", "-10.00")))
            draft.subtotal_error = abs(error) if draft.subtotal + error <= 0 else error

        return self._finish_pool(invoice_id, plant)

    def tax_rate_mismatch(self, invoice_id: int) -> DraftInvoice:
        def plant(draft: DraftInvoice) -> None:
            # The rate furthest from the printed one on the largest line: off by far more than a rounding cent.
            line = self._planted_line(draft, lambda lines: max(lines, key=lambda line: line.line_total))
            line.applied_tax_rate = max(TAX_RATES, key=lambda rate: abs(rate - line.tax_rate))

        return self._finish_pool(invoice_id, plant)

    def part_not_on_po(self, invoice_id: int) -> DraftInvoice:
        def plant(draft: DraftInvoice) -> None:
            on_po = {line.item for line in draft.po.lines}
            item = self.rng.choice([item for item in draft.vendor.items if item not in on_po])
            quantity = item.qty_step * self.rng.randint(1, 10)
            line = DraftLine(item, quantity, item.list_price, draft.vendor.tax_rate, planted=True)
            draft.lines.insert(self.rng.randint(0, len(draft.lines)), line)

        return self._finish_pool(invoice_id, plant)

    def uom_unknown(self, invoice_id: int) -> DraftInvoice:
        def plant(draft: DraftInvoice) -> None:
            self._planted_line(draft).billed_uom = UNCONVERTIBLE_UOM

        return self._finish_pool(invoice_id, plant)

    def duplicate_entered_in_erp(self, invoice_id: int) -> DraftInvoice:
        po = self._dedicated_po(age=(30, 300), receipts="full")
        [entered] = self.erp.bill_history(po, 1, every_line=True)
        draft = self._dedicated_draft(invoice_id, po)
        draft.number = respell(entered.number, self.rng)
        self.details[invoice_id] = {"ap_doc_id": entered.doc_id, "entered_number": entered.number}
        return self._finish(draft)

    def duplicate_in_marketplace(self, invoice_id: int) -> DraftInvoice:
        original = self.drafts[self.plan.originals[invoice_id] - 1]
        assert original.number is not None  # finished before any later invoice is built
        copy = DraftInvoice(
            invoice_id=invoice_id,
            vendor=original.vendor,
            po=original.po,
            invoice_date=original.invoice_date,
            due_days=original.due_days,
            currency=original.currency,
            lines=[replace(line) for line in original.lines],
            charges=list(original.charges),
            updated_at=self.times[invoice_id - 1],
            number=respell(original.number, self.rng),
        )
        self.details[invoice_id] = {"original_invoice_id": original.invoice_id}
        return self._finish(copy, bills=0, unique_total=False)

    def duplicate_possible(self, invoice_id: int) -> DraftInvoice:
        # Its twin, already entered a few days earlier under another number, bills the same quantities.
        draft = self._pool_draft(invoice_id, divisor=2)
        twin_number = draft.vendor.take_invoice_number()
        self._finish(draft)
        twin_date = max(draft.po.po_date + DAY, draft.invoice_date - self.rng.randint(1, 4) * DAY)
        quantities = [(line.po_line, line.quantity) for line in draft.lines if line.po_line is not None]
        twin = self.erp.add_ap_invoice(draft.po, quantities, twin_date, number=twin_number, total=draft.total)
        self.details[invoice_id] = {"ap_doc_id": twin.doc_id, "entered_number": twin.number}
        return draft

    def po_closed(self, invoice_id: int) -> DraftInvoice:
        # Closed short: part of it was invoiced, then it was closed with quantity still open.
        po = self._dedicated_po(status=CLOSED, age=(60, 300), receipts="full")
        self.erp.bill_history(po, 1, every_line=True)
        return self._finish(self._dedicated_draft(invoice_id, po))

    def po_cancelled(self, invoice_id: int) -> DraftInvoice:
        po = self._dedicated_po(status=CANCELLED, receipts="untracked")
        return self._finish(self._dedicated_draft(invoice_id, po))

    def po_unknown(self, invoice_id: int) -> DraftInvoice:
        po = self.erp.new_po(self.erp.pick_vendor(), self.erp.days_ago(14, 200), OPEN, "untracked", issued=False)
        return self._finish(self._dedicated_draft(invoice_id, po))

    def po_on_hold(self, invoice_id: int) -> DraftInvoice:
        return self._finish(self._dedicated_draft(invoice_id, self._dedicated_po(status=ON_HOLD)))

    def po_unreadable(self, invoice_id: int) -> DraftInvoice:
        """Against a PO one line of which was keyed with a negative quantity ordered, which the gateway rejects."""
        po = self._dedicated_po(receipts="untracked")
        # Before billing: nothing is billable on that line, so the invoice bills the others.
        self.rng.choice(po.lines).qty_ordered *= -1
        return self._finish(self._dedicated_draft(invoice_id, po))

    def vendor_mismatch(self, invoice_id: int) -> DraftInvoice:
        def plant(draft: DraftInvoice) -> None:
            others = [v for v in self.erp.active_vendors if v is not draft.vendor]
            same_currency = [v for v in others if v.currency == draft.currency]
            draft.vendor = self.rng.choice(same_currency or others)

        return self._finish_pool(invoice_id, plant)

    def vendor_inactive(self, invoice_id: int) -> DraftInvoice:
        # Blocked in the vendor master after its PO was issued.
        po = self._dedicated_po(vendor=self.rng.choice(self.erp.inactive_vendors))
        return self._finish(self._dedicated_draft(invoice_id, po))

    def vendor_unknown(self, invoice_id: int) -> DraftInvoice:
        def plant(draft: DraftInvoice) -> None:
            draft.vendor = self.erp.unregistered_account_of(draft.vendor)

        return self._finish_pool(invoice_id, plant)

    def currency_mismatch(self, invoice_id: int) -> DraftInvoice:
        def plant(draft: DraftInvoice) -> None:
            draft.currency = self.rng.choice([c for c in CURRENCIES if c != draft.currency])

        return self._finish_pool(invoice_id, plant)

    def charge_unapproved(self, invoice_id: int) -> DraftInvoice:
        def plant(draft: DraftInvoice) -> None:
            draft.charges = [
                self.rng.choice(
                    (
                        Charge("freight", "Freight - expedited", FREIGHT_LIMIT + self._amount(25, 400)),
                        Charge("handling", "Handling fee", HANDLING_LIMIT + self._amount(10, 60)),
                        Charge("surcharge", "Fuel surcharge", self._amount(8, 95)),
                        Charge("other", "Pallet charge", self._amount(15, 45)),
                    )
                )
            ]

        return self._finish_pool(invoice_id, plant)

    def date_future(self, invoice_id: int) -> DraftInvoice:
        def plant(draft: DraftInvoice) -> None:
            draft.invoice_date = self.today + self.rng.randint(3, 30) * DAY

        return self._finish_pool(invoice_id, plant)

    def date_too_old(self, invoice_id: int) -> DraftInvoice:
        po = self._dedicated_po(age=(420, 520))
        draft = self._dedicated_draft(invoice_id, po)
        draft.invoice_date = po.po_date + self.rng.randint(1, 15) * DAY
        return self._finish(draft)

    def date_before_po(self, invoice_id: int) -> DraftInvoice:
        po = self._dedicated_po(age=(30, 120))
        draft = self._dedicated_draft(invoice_id, po)
        draft.invoice_date = po.po_date - self.rng.randint(1, 20) * DAY
        return self._finish(draft)

    def missing_due_date(self, invoice_id: int) -> DraftInvoice:
        def plant(draft: DraftInvoice) -> None:
            draft.due_days = None

        return self._finish_pool(invoice_id, plant)

    def credit_note(self, invoice_id: int) -> DraftInvoice:
        """Goods returned against an invoice already entered: negative quantities on that invoice's PO."""
        po = self._dedicated_po(age=(30, 300), receipts="full")
        [credited] = self.erp.bill_history(po, 1, every_line=True)
        invoiced = [line for line in po.lines if line.qty_invoiced >= line.item.qty_step]
        returned = self.rng.sample(invoiced, k=min(len(invoiced), self.rng.randint(1, 3)))
        returned.sort(key=lambda line: line.line_no)
        lines = [self._line(line, -self._returned_quantity(line)) for line in returned]
        draft = self._draft(invoice_id, po, lines, with_charges=False)
        draft.invoice_date = max(draft.invoice_date, credited.invoice_date + DAY)
        draft.number = po.vendor.take_credit_note_number()
        self.details[invoice_id] = {"credits_ap_doc_id": credited.doc_id}
        return self._finish(draft, unique_total=False)

    def _returned_quantity(self, line: PoLine) -> Decimal:
        step = line.item.qty_step
        return max(step, share_of(line.qty_invoiced, self.rng.randint(10, 50), step))

    def corrected(self, invoice_id: int) -> DraftInvoice:
        """Version 2 of an invoice the vendor fixed: clean now, and changed long after its neighbours."""
        draft = self._pool_draft(invoice_id)
        draft.version = 2
        draft.updated_at = datetime.combine(self.today, time(6)) - timedelta(seconds=self.rng.randint(60, 3600))
        self.details[invoice_id] = {"version_1_problem": self.rng.choice(CORRECTABLE)}
        return self._finish(draft)

    # ---------------------------------------------------------------- garbled rows the reader must reject

    def garbled_missing_po(self, invoice_id: int) -> DraftInvoice:
        return self._finish_pool(
            invoice_id, lambda draft: draft.header_text.update(po_number=self.rng.choice((None, "")))
        )

    def garbled_text_quantity(self, invoice_id: int) -> DraftInvoice:
        def plant(draft: DraftInvoice) -> None:
            index = self.rng.randrange(len(draft.lines))
            draft.line_text[index] = {"quantity": self.rng.choice(("twelve", "ten", "a dozen", "see packing slip"))}

        return self._finish_pool(invoice_id, plant)

    def garbled_negative_price(self, invoice_id: int) -> DraftInvoice:
        def plant(draft: DraftInvoice) -> None:
            index = self.rng.randrange(len(draft.lines))
            draft.line_text[index] = {"unit_price": f"-{draft.lines[index].unit_price:.2f}"}

        return self._finish_pool(invoice_id, plant)

    def garbled_bad_currency(self, invoice_id: int) -> DraftInvoice:
        bad = self.rng.choice((None, "", "US$", "EURO", "dollars"))
        return self._finish_pool(invoice_id, lambda draft: draft.header_text.update(currency=bad))

    def garbled_bad_total(self, invoice_id: int) -> DraftInvoice:
        bad = self.rng.choice(("N/A", "TBD", "see attached", "12O.5O"))
        return self._finish_pool(invoice_id, lambda draft: draft.header_text.update(total_amount=bad))


def _can_bill_twice(po: PurchaseOrder) -> bool:
    return any(line.billable >= 2 * line.item.qty_step for line in po.lines)


def _boxable(po_line: PoLine) -> bool:
    """A part priced per each (so 12 × its price stays whole cents) with at least a box still to bill."""
    return po_line.item.uom == "EA" and po_line.item.qty_step == ONE and po_line.billable >= EA_PER_BOX


def _bill_by_the_box(line: DraftLine) -> None:
    line.quantity = max(ONE, line.quantity // EA_PER_BOX)
    line.unit_price *= EA_PER_BOX
    line.billed_uom, line.po_units_per_unit = "BOX", EA_PER_BOX


def _nudge(draft: DraftInvoice) -> None:
    """Move the total off another invoice's: one step less on an unplanted line, else a little freight."""
    for line in reversed(draft.lines):
        if not line.planted and line.quantity > line.item.qty_step:
            line.quantity -= line.item.qty_step
            return
    draft.charges.append(Charge("freight", "Freight", Decimal("5.00")))
