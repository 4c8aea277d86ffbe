"""The demo marketplace's invoices (drafts billed from the demo ERP's POs) as documents a vendor would send.

A document printed from a draft carries the draft's planted problem: a price a cent over the PO, a part
not on the PO, a total that does not add up. Uploaded, it should be judged as the marketplace row is.
"""

import random
from datetime import date
from decimal import Decimal

from demo.catalogue import Vendor
from demo.documents.content import vat_id
from demo.documents.model import Charge, DemoInvoice, DemoLine, Party
from demo.erp import DemoErp
from demo.invoices import DraftInvoice, DraftLine, InvoiceBuilder
from demo.problems import plan_invoices
from demo.rows import number_purchase_orders

# The company the demo's POs are issued by, and so the buyer on every invoice billed against them.
DEMO_BUYER = Party(
    "Contoso Manufacturing Inc.", ("Accounts Payable", "500 Lakeshore Blvd", "Cleveland, OH 44114"), "US"
)
# Problems a printed invoice cannot carry: they live in the marketplace's rows alone (a garbled field, the
# account an invoice came from, a version, a second upload) or need another document type (a credit note).
UNPRINTABLE_PROBLEMS = frozenset({"vendor.unknown", "corrected", "duplicate.in_marketplace", "credit_note"})
_COUNTRY_BY_SUFFIX = {"GmbH": "DE", "B.V.": "NL", "S.A.": "FR"}
LANGUAGE_BY_COUNTRY = {"DE": "de", "NL": "nl", "FR": "fr", "US": "en", "CA": "en"}
_STREETS = ("Commerce Way", "Industrial Park Rd", "Harbor Blvd", "Mill Street", "Station Road", "Factory Lane")
_CITIES = {
    "US": ("Columbus, OH 43215", "Dayton, OH 45402", "Milwaukee, WI 53202", "Tulsa, OK 74103"),
    "CA": ("Hamilton, ON L8P 4R5", "Mississauga, ON L5B 3C2", "Laval, QC H7T 2P5"),
    "DE": ("70565 Stuttgart", "44147 Dortmund", "90451 Nürnberg"),
    "NL": ("3011 AB Rotterdam", "5611 AZ Eindhoven", "7511 JM Enschede"),
    "FR": ("69007 Lyon", "38000 Grenoble", "31000 Toulouse"),
}


def demo_drafts(*, invoices: int, seed: int, today: date) -> list[DraftInvoice]:
    """The drafts `demo.seed.build_demo` turns into rows for the same arguments, by the same steps in the same order."""
    rng = random.Random(seed)
    plan = plan_invoices(invoices, rng)
    erp = DemoErp.create(rng, today, vendors=max(20, invoices // 50), purchase_orders=max(12, invoices // 4))
    drafts = InvoiceBuilder(erp, plan, rng, today).build()
    number_purchase_orders(erp, rng)
    return drafts


def printable(draft: DraftInvoice) -> bool:
    return draft.problem not in UNPRINTABLE_PROBLEMS and not draft.problem.startswith("garbled.")


def vendor_country(vendor: Vendor) -> str:
    if vendor.currency == "USD":
        return "US"
    if vendor.currency == "CAD":
        return "CA"
    return _COUNTRY_BY_SUFFIX.get(vendor.name.rsplit(" ", 1)[-1], "DE")


def seller_of(vendor: Vendor) -> Party:
    """The vendor as its letterhead shows it: an address and, in the EU, a VAT id, invented from its id."""
    rng = random.Random(vendor.vendor_id)
    country = vendor_country(vendor)
    address = (f"{rng.randint(10, 9800)} {rng.choice(_STREETS)}", rng.choice(_CITIES[country]))
    return Party(vendor.name, address, country, vat_id(country, rng) if country in ("DE", "NL", "FR") else None)


def demo_invoice(draft: DraftInvoice) -> DemoInvoice:
    """The draft as its vendor prints it: the vendor's own way of writing quantities, prices and units."""
    if draft.number is None:
        raise ValueError(f"draft {draft.invoice_id} was never finished (it has no number)")
    return DemoInvoice(
        number=draft.number,
        issue_date=draft.invoice_date,
        due_date=draft.due_date,
        currency=draft.currency,
        seller=seller_of(draft.vendor),
        buyer=DEMO_BUYER,
        po_number=draft.po.number,
        lines=tuple(_line(draft.vendor, line) for line in draft.lines),
        subtotal=draft.stated_subtotal,
        tax_total=draft.tax_amount,
        total=draft.total,
        charges=tuple(Charge(charge.description, charge.amount) for charge in draft.charges),
        tax_rounding="per_line",
    )


def _line(vendor: Vendor, line: DraftLine) -> DemoLine:
    style = vendor.style
    return DemoLine(
        description=line.item.description,
        part_number=line.item.part_number,
        quantity=_at_least(line.quantity, style.quantity_decimals),
        unit=line.uom.lower() if style.uom_lower else line.uom,
        unit_price=_at_least(line.unit_price, style.price_decimals),
        line_total=line.line_total,
        tax_rate=line.tax_rate,
    )


def _at_least(value: Decimal, places: int) -> Decimal:
    """`value` with `places` decimals, or with its own when it has more (a price of 0.0450 stays so)."""
    exponent = value.as_tuple().exponent
    own = -exponent if isinstance(exponent, int) else 0
    return value.quantize(Decimal(1).scaleb(-max(own, places)))
