"""The demo's item catalogue and vendor master, with each vendor's habits in writing numbers."""

import random
from dataclasses import dataclass, replace
from decimal import Decimal

from demo.amounts import CENT, TEN_THOUSANDTH
from domain import normalise_part_number

CURRENCIES = ("USD", "EUR", "CAD")
CURRENCY_WEIGHTS = (75, 15, 10)
TAX_RATES_BY_CURRENCY = {
    "USD": ("0", "5", "7.25", "8.875"),  # sales tax by ship-to state; 0 for resale
    "EUR": ("20", "20", "20", "0"),  # VAT; 0 under reverse charge
    "CAD": ("5",),  # GST
}
TAX_RATES = tuple(Decimal(rate) for rate in ("0", "5", "7.25", "8.875", "20"))
HUNDRED = Decimal(100)
ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class Item:
    item_id: str
    part_number: str
    description: str
    uom: str
    list_price: Decimal
    # Cheap parts are sold by the hundred and priced to 4 decimals, so quantity × price stays whole cents.
    qty_step: Decimal
    tax_exempt: bool


@dataclass(frozen=True, slots=True)
class WritingStyle:
    """How one vendor's billing system writes codes and numbers; the reader must accept every one."""

    part_number: str  # "as_is", "compact", "lower" or "spaced": all equal once normalised
    quantity_decimals: int
    price_decimals: int
    uom_lower: bool


@dataclass(slots=True, eq=False)
class Vendor:
    vendor_id: str
    name: str
    currency: str
    active: bool
    tax_rate: Decimal
    terms_days: int
    number_format: str
    next_number: int
    items: list[Item]
    weight: int  # how much business the vendor gets
    style: WritingStyle

    def take_invoice_number(self) -> str:
        return self.number_format.format(self._take())

    def take_credit_note_number(self) -> str:
        return f"CN-{self._take():05d}"

    def _take(self) -> int:
        number = self.next_number
        self.next_number += 1
        return number


@dataclass(frozen=True, slots=True)
class _Family:
    prefix: str
    noun: str
    sizes: tuple[str, ...]
    uom: str
    price_range: tuple[str, str]
    by_the_hundred: bool


_FAMILIES = (
    _Family("HX", "Hex bolt", ("M6x20", "M8x30", "M10x40", "M12x60", "1/4-20 x 1in"), "EA", ("0.0450", "0.9800"), True),
    _Family("WS", "Flat washer", ("M6", "M8", "M10", "M12", "3/8in"), "EA", ("0.0120", "0.1900"), True),
    _Family("SC", "Self-tapping screw", ("3.5x16", "4.2x19", "4.8x25"), "EA", ("0.0210", "0.1400"), True),
    _Family("BR", "Ball bearing", ("6204-2RS", "6205-ZZ", "6306-2RS", "22210-E"), "EA", ("4.50", "185.00"), False),
    _Family("VL", "Ball valve", ("DN15", "DN25", "DN40", "DN50", "3/4in NPT"), "EA", ("18.00", "640.00"), False),
    _Family("PK", "Shipping carton", ("300x200x150", "400x300x300", "600x400x400"), "BOX", ("12.00", "95.00"), False),
    _Family("GL", "Nitrile gloves", ("size M", "size L", "size XL"), "BOX", ("6.50", "38.00"), False),
    _Family("CB", "Power cable", ("3G1.5", "3G2.5", "5G4", "4x16"), "M", ("0.85", "24.00"), False),
    _Family("PL", "Steel plate", ("S235 3mm", "S355 6mm", "304 SS 2mm"), "KG", ("1.20", "9.80"), False),
    _Family("GS", "Lithium grease", ("EP2", "NLGI 2", "food grade H1"), "KG", ("6.00", "48.00"), False),
    _Family("SN", "Proximity sensor", ("M12 PNP", "M18 NPN", "M30 PNP"), "EA", ("35.00", "420.00"), False),
    _Family("FT", "Air filter", ("F7 592x592", "G4 287x592", "HEPA H13"), "EA", ("8.00", "140.00"), False),
    _Family("MT", "Electric motor", ("0.75kW", "2.2kW", "7.5kW", "15kW"), "EA", ("180.00", "2400.00"), False),
)
_PART_SUFFIXES = ("", "", "", "-B", "-C", "-S", "-XL")

_NAME_STEMS = (
    "Northwind",
    "Acme",
    "Bluewater",
    "Summit",
    "Keystone",
    "Ironbridge",
    "Redwood",
    "Lakeside",
    "Pioneer",
    "Granite",
    "Harbor",
    "Silverline",
    "Oakridge",
    "Atlas",
    "Beacon",
    "Cascade",
    "Frontier",
    "Meridian",
    "Prairie",
    "Sterling",
    "Tri-State",
    "Union",
    "Vanguard",
    "Westfield",
)
_NAME_TRADES = (
    "Industrial Supply",
    "Fasteners",
    "Bearings",
    "Valves",
    "Packaging",
    "Electric",
    "Tooling",
    "Components",
    "Safety Products",
    "Motion",
    "Hydraulics",
    "Filtration",
    "Metals",
    "Controls",
)
_NAME_SUFFIXES = {"USD": ("Inc.", "LLC", "Co.", "Corp."), "EUR": ("GmbH", "B.V.", "S.A."), "CAD": ("Ltd.", "Inc.")}
_NUMBER_FORMATS = ("INV-{:06d}", "{:07d}", "INV{:05d}", "<initials>-{:05d}")


def make_items(count: int, rng: random.Random) -> list[Item]:
    items: list[Item] = []
    taken: set[str] = set()
    while len(items) < count:
        family = rng.choice(_FAMILIES)
        part_number = f"{family.prefix}-{rng.randint(1000, 9999)}{rng.choice(_PART_SUFFIXES)}"
        if normalise_part_number(part_number) in taken:
            continue
        taken.add(normalise_part_number(part_number))
        items.append(
            Item(
                item_id=f"I{100001 + len(items)}",
                part_number=part_number,
                description=f"{family.noun} {rng.choice(family.sizes)}",
                uom=family.uom,
                list_price=_list_price(family, rng),
                qty_step=HUNDRED if family.by_the_hundred else ONE,
                tax_exempt=rng.random() < 0.08,
            )
        )
    return items


def _list_price(family: _Family, rng: random.Random) -> Decimal:
    unit = TEN_THOUSANDTH if family.by_the_hundred else CENT
    low, high = (int(Decimal(bound) / unit) for bound in family.price_range)
    return rng.randint(low, high) * unit


def make_vendors(count: int, items: list[Item], rng: random.Random) -> list[Vendor]:
    inactive = set(rng.sample(range(count), k=max(1, round(count * 0.06))))
    names = _vendor_names(count, rng)
    return [_vendor(index, names[index], index not in inactive, items, rng) for index in range(count)]


def _vendor_names(count: int, rng: random.Random) -> list[str]:
    names = [f"{stem} {trade}" for stem in _NAME_STEMS for trade in _NAME_TRADES]
    rng.shuffle(names)
    # Beyond the combinations, a branch number keeps names unique for very large demo sets.
    return [names[i % len(names)] + (f" {i // len(names) + 1}" if i >= len(names) else "") for i in range(count)]


def unregistered_account(vendor: Vendor, index: int) -> Vendor:
    """`vendor` trading under a marketplace account the ERP vendor master lacks (a new legal entity, say).

    `index`, at least the number of master vendors, gives it an id above every master vendor's.
    """
    return replace(vendor, vendor_id=_vendor_id(index, 0))


def _vendor_id(index: int, last_digit: int) -> str:
    return f"V{10000 + 10 * index + last_digit}"


def _vendor(index: int, base_name: str, active: bool, items: list[Item], rng: random.Random) -> Vendor:
    currency = rng.choices(CURRENCIES, weights=CURRENCY_WEIGHTS)[0]
    initials = "".join(word[0] for word in base_name.split() if word[0].isalpha())
    return Vendor(
        vendor_id=_vendor_id(index, rng.randint(0, 9)),
        name=f"{base_name} {rng.choice(_NAME_SUFFIXES[currency])}",
        currency=currency,
        active=active,
        tax_rate=Decimal(rng.choice(TAX_RATES_BY_CURRENCY[currency])),
        terms_days=rng.choice((30, 30, 45, 60)),
        number_format=rng.choice(_NUMBER_FORMATS).replace("<initials>", initials),
        next_number=rng.randint(100, 40000),
        items=rng.sample(items, k=min(len(items), rng.randint(16, 40))),
        weight=rng.randint(1, 10),
        style=WritingStyle(
            part_number=rng.choices(("as_is", "compact", "lower", "spaced"), weights=(70, 10, 10, 10))[0],
            quantity_decimals=rng.choices((0, 2, 3), weights=(60, 30, 10))[0],
            price_decimals=rng.choices((2, 4), weights=(80, 20))[0],
            uom_lower=rng.random() < 0.15,
        ),
    )
