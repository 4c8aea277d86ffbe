"""The demo ERP's contents: purchase orders with receipts, and the AP invoices already entered against them."""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from demo.amounts import CENT, TEN_THOUSANDTH, ZERO, cents, share_of, tax_on
from demo.catalogue import Item, Vendor, make_items, make_vendors, unregistered_account

DAY = timedelta(days=1)
OPEN, CLOSED, CANCELLED, ON_HOLD = "O", "C", "X", "H"
# Weighted towards long POs: about ten lines per invoice overall, as the benchmarks assume.
_LINE_COUNTS = tuple(range(2, 16))
_LINE_COUNT_WEIGHTS = tuple(count**2 for count in _LINE_COUNTS)
# AP history ends before the marketplace's upload window, so entered invoices predate the new ones.
HISTORY_ENDS_DAYS_AGO = 12


@dataclass(slots=True, eq=False)
class PoLine:
    line_no: int
    item: Item
    qty_ordered: Decimal
    qty_received: Decimal | None  # None: receipts are not tracked for this line
    unit_cost: Decimal
    tax_rate: Decimal
    qty_invoiced: Decimal = ZERO  # entered in the ERP
    qty_billed: Decimal = ZERO  # by the demo's marketplace invoices

    @property
    def billable(self) -> Decimal:
        """What a clean invoice may still bill: received (or ordered, untracked) less everything billed."""
        ceiling = self.qty_ordered if self.qty_received is None else self.qty_received
        return ceiling - self.qty_invoiced - self.qty_billed


@dataclass(slots=True, eq=False)
class PurchaseOrder:
    vendor: Vendor
    po_date: date
    status: str
    lines: list[PoLine]
    number: str = ""  # given once every PO exists, rising with the PO date
    slots_left: int = 1  # marketplace invoices still planned against it

    @property
    def currency(self) -> str:
        return self.vendor.currency

    @property
    def readable(self) -> bool:
        """False when a line breaks the ERP's own rules (a negative quantity ordered): the gateway cannot read it."""
        return all(line.qty_ordered >= 0 for line in self.lines)


@dataclass(slots=True, eq=False)
class ApInvoice:
    doc_id: str
    vendor: Vendor
    number: str
    invoice_date: date
    po: PurchaseOrder
    total: Decimal
    entered_at: datetime


@dataclass(eq=False)
class DemoErp:
    rng: random.Random
    today: date
    vendors: list[Vendor]
    pos: list[PurchaseOrder] = field(default_factory=list)
    unknown_pos: list[PurchaseOrder] = field(default_factory=list)  # quoted by vendors, never issued
    unregistered_vendors: list[Vendor] = field(default_factory=list)  # invoicing, but not in the vendor master
    ap_invoices: list[ApInvoice] = field(default_factory=list)
    # (vendor id, total) of every invoice made so far: new ones avoid them, so no accidental possible duplicates.
    totals: set[tuple[str, Decimal]] = field(default_factory=set)

    @classmethod
    def create(cls, rng: random.Random, today: date, *, vendors: int, purchase_orders: int) -> "DemoErp":
        items = make_items(max(300, vendors * 15), rng)
        erp = cls(rng=rng, today=today, vendors=make_vendors(vendors, items, rng))
        erp._add_base_pos(purchase_orders)
        return erp

    @property
    def active_vendors(self) -> list[Vendor]:
        return [vendor for vendor in self.vendors if vendor.active]

    @property
    def inactive_vendors(self) -> list[Vendor]:
        return [vendor for vendor in self.vendors if not vendor.active]

    def pick_vendor(self, *, active_only: bool = True) -> Vendor:
        candidates = self.active_vendors if active_only else self.vendors
        return self.rng.choices(candidates, weights=[vendor.weight for vendor in candidates])[0]

    def unregistered_account_of(self, vendor: Vendor) -> Vendor:
        """`vendor` under a marketplace account the vendor master lacks; it stays out of the ERP's rows."""
        account = unregistered_account(vendor, len(self.vendors) + len(self.unregistered_vendors))
        self.unregistered_vendors.append(account)
        return account

    def days_ago(self, low: int, high: int) -> date:
        return self.today - self.rng.randint(low, high) * DAY

    def new_po(
        self, vendor: Vendor, po_date: date, status: str, receipts: str, *, issued: bool = True
    ) -> PurchaseOrder:
        """A PO of 2–15 lines; `receipts` is "mixed", "full" or "untracked"; an unissued one stays out of the ERP."""
        count = self.rng.choices(_LINE_COUNTS, weights=_LINE_COUNT_WEIGHTS)[0]
        items = self.rng.sample(vendor.items, k=min(count, len(vendor.items)))
        lines = [self._po_line(line_no, item, vendor, receipts) for line_no, item in enumerate(items, start=1)]
        po = PurchaseOrder(vendor=vendor, po_date=po_date, status=status, lines=lines)
        (self.pos if issued else self.unknown_pos).append(po)
        return po

    def bill_history(self, po: PurchaseOrder, invoices: int, *, every_line: bool = False) -> list[ApInvoice]:
        """Enter earlier partial invoices for part of what was received (or ordered, when untracked)."""
        entered = []
        for invoice_date in self._history_dates(po, invoices):
            quantities = [
                (line, max(line.item.qty_step, share_of(line.billable, self.rng.randint(20, 50), line.item.qty_step)))
                for line in po.lines
                if line.billable >= line.item.qty_step and (every_line or self.rng.random() < 0.7)
            ]
            if quantities:
                entered.append(self.add_ap_invoice(po, quantities, invoice_date))
        return entered

    def bill_in_full(self, po: PurchaseOrder, invoices: int) -> None:
        """Invoice everything ordered over a few invoices, as for a PO that was closed when complete."""
        dates = self._history_dates(po, invoices)
        for index, invoice_date in enumerate(dates):
            last = index == len(dates) - 1
            quantities = [
                (line, line.billable if last else share_of(line.billable, self.rng.randint(30, 60), line.item.qty_step))
                for line in po.lines
            ]
            quantities = [(line, quantity) for line, quantity in quantities if quantity > 0]
            if quantities:
                self.add_ap_invoice(po, quantities, invoice_date)

    def add_ap_invoice(
        self,
        po: PurchaseOrder,
        quantities: list[tuple[PoLine, Decimal]],
        invoice_date: date,
        *,
        number: str | None = None,
        total: Decimal | None = None,
    ) -> ApInvoice:
        for line, quantity in quantities:
            line.qty_invoiced += quantity
        invoice = ApInvoice(
            doc_id=f"AP{len(self.ap_invoices) + 1:07d}",
            vendor=po.vendor,
            number=number or po.vendor.take_invoice_number(),
            invoice_date=invoice_date,
            po=po,
            total=self._history_total(quantities) if total is None else total,
            entered_at=self._entered_at(invoice_date),
        )
        self.ap_invoices.append(invoice)
        self.totals.add((po.vendor.vendor_id, invoice.total))
        return invoice

    def _add_base_pos(self, count: int) -> None:
        closed, cancelled, on_hold = round(count * 0.08), round(count * 0.03), max(1, round(count * 0.03))
        statuses = [CLOSED] * closed + [CANCELLED] * cancelled + [ON_HOLD] * on_hold
        statuses += [OPEN] * (count - len(statuses))
        self.rng.shuffle(statuses)
        for status in statuses:
            self._add_base_po(status)

    def _add_base_po(self, status: str) -> None:
        if status == CLOSED:
            po = self.new_po(self.pick_vendor(active_only=False), self.days_ago(60, 540), status, "full")
            self.bill_in_full(po, self.rng.randint(1, 3))
        elif status == CANCELLED:
            self.new_po(self.pick_vendor(active_only=False), self.days_ago(20, 540), status, "untracked")
        else:
            # Mostly recent, with a tail of long-running blanket orders.
            age = HISTORY_ENDS_DAYS_AGO + min(528, int(self.rng.expovariate(1 / 100)))
            po = self.new_po(self.pick_vendor(), self.today - age * DAY, status, "mixed")
            if age >= 20 and self.rng.random() < 0.65:
                self.bill_history(po, self.rng.randint(1, 3))

    def _po_line(self, line_no: int, item: Item, vendor: Vendor, receipts: str) -> PoLine:
        ordered = self._order_quantity(item)
        unit = TEN_THOUSANDTH if item.qty_step > 1 else CENT
        # Negotiated per PO: within ±8 % of the list price.
        unit_cost = (item.list_price * self.rng.randint(92, 108) / 100).quantize(unit)
        return PoLine(
            line_no=line_no,
            item=item,
            qty_ordered=ordered,
            qty_received=self._received(ordered, item.qty_step, receipts),
            unit_cost=max(unit_cost, unit),
            tax_rate=ZERO if item.tax_exempt else vendor.tax_rate,
        )

    def _order_quantity(self, item: Item) -> Decimal:
        choices: tuple[int, ...]
        if item.qty_step > 1:
            choices = (1000, 2000, 2500, 5000, 10000, 20000)
        elif item.list_price >= 150:
            choices = (2, 3, 4, 5, 6, 8, 10, 12)
        elif item.list_price >= 20:
            choices = (5, 10, 12, 20, 24, 25, 30, 40, 50)
        else:
            choices = (20, 24, 25, 40, 48, 50, 60, 100, 120, 200, 250, 500)
        return Decimal(self.rng.choice(choices))

    def _received(self, ordered: Decimal, step: Decimal, receipts: str) -> Decimal | None:
        if receipts == "untracked":
            return None
        if receipts == "full":
            return ordered
        draw = self.rng.random()
        if draw < 0.35:
            return None
        if draw < 0.80:
            return ordered
        if draw < 0.95:
            return max(step, share_of(ordered, self.rng.randint(30, 90), step))
        return ZERO  # ordered, nothing delivered yet

    def _history_dates(self, po: PurchaseOrder, invoices: int) -> list[date]:
        first = po.po_date + DAY
        last = self.today - HISTORY_ENDS_DAYS_AGO * DAY
        if last < first:
            return []
        return sorted(first + self.rng.randint(0, (last - first).days) * DAY for _ in range(invoices))

    def _history_total(self, quantities: list[tuple[PoLine, Decimal]]) -> Decimal:
        total = ZERO
        for line, quantity in quantities:
            amount = cents(quantity * line.unit_cost)
            total += amount + tax_on(amount, line.tax_rate)
        freight = cents(Decimal(self.rng.randint(1500, 15000)) / 100) if self.rng.random() < 0.3 else ZERO
        return total + freight

    def _entered_at(self, invoice_date: date) -> datetime:
        entered_on = invoice_date + self.rng.randint(1, 6) * DAY
        entered = datetime.combine(entered_on, time(self.rng.randint(8, 17), self.rng.randint(0, 59)))
        return min(entered, datetime.combine(self.today, time(5)))
