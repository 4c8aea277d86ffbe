"""Invented but realistic invoice content per language: sellers, buyers, goods, numbers; all from one `Random`."""

import random
from datetime import date, timedelta
from decimal import Decimal

from demo.documents.model import DemoInvoice, DemoLine, Party, line, priced

_SELLERS = {
    "en": (
        ("Hartley & Sons Engineering Ltd", ("14 Foundry Lane", "Sheffield S3 8RT", "United Kingdom"), "GB"),
        ("Brightwater Components Ltd", ("Unit 7, Riverside Park", "Leeds LS10 1QR", "United Kingdom"), "GB"),
        ("O'Connell Precision Ltd", ("Block C, Eastgate Business Park", "Cork T45 HX22", "Ireland"), "IE"),
        ("Keystone Motion Inc.", ("2200 Industrial Pkwy", "Columbus, OH 43219", "USA"), "US"),
    ),
    "de": (
        ("Müller Präzisionsteile GmbH", ("Industriestraße 12", "70565 Stuttgart", "Deutschland"), "DE"),
        ("Schäfer & Söhne Hydraulik KG", ("Am Weißen Berg 3", "44147 Dortmund", "Deutschland"), "DE"),
        ("Zürcher Messtechnik AG", ("Förrlibuckstrasse 60", "8005 Zürich", "Schweiz"), "CH"),
        ("Großmann Antriebstechnik GmbH", ("Gewerbepark Süd 8", "90451 Nürnberg", "Deutschland"), "DE"),
    ),
    "fr": (
        ("Société Générale d'Outillage SARL", ("27 rue de l'Industrie", "69007 Lyon", "France"), "FR"),
        ("Établissements Lefèvre & Fils SA", ("ZI des Éperviers, 4 allée Pasteur", "59650 Villeneuve-d'Ascq"), "FR"),
        ("Mécanique Générale du Rhône SAS", ("112 avenue Jean Jaurès", "38000 Grenoble", "France"), "FR"),
        ("Gérard Électricité Industrielle SA", ("Chaussée de Wavre 233", "1050 Bruxelles", "Belgique"), "BE"),
    ),
    "nl": (
        ("Van den Berg Techniek B.V.", ("Havenweg 41", "3011 AB Rotterdam", "Nederland"), "NL"),
        ("De Vries Verpakkingen B.V.", ("Industrieterrein De Hoek 9", "5531 NN Bladel", "Nederland"), "NL"),
        ("Janssens & Peeters NV", ("Noorderlaan 133", "2030 Antwerpen", "België"), "BE"),
        ("Bakker Aandrijvingen B.V.", ("Zuiderkade 2", "1948 NG Beverwijk", "Nederland"), "NL"),
    ),
}
_BUYERS = (
    ("Contoso Manufacturing Ltd", ("Buyer's Accounts Payable", "1 Harbour Road", "Bristol BS1 5TT")),
    ("Nordwerk Maschinenbau GmbH", ("Kreditorenbuchhaltung", "Hafenstraße 5", "28217 Bremen")),
    ("Ateliers Dumont SAS", ("Service comptabilité", "8 quai de Saône", "69009 Lyon")),
    ("Hoogland Installatietechniek B.V.", ("Crediteurenadministratie", "Postbus 212", "3800 AE Amersfoort")),
    ("Fabrikam Industries Inc.", ("Accounts Payable", "400 Commerce Dr", "Dayton, OH 45402")),
)
# (currency, tax rates) a seller from the country bills in; the first rate is the standard one.
_TAX = {
    "GB": ("GBP", ("20", "5")),
    "IE": ("EUR", ("23", "13.5")),
    "US": ("USD", ("8.875", "7.25")),
    "DE": ("EUR", ("19", "7")),
    "CH": ("CHF", ("8.1", "2.6")),
    "FR": ("EUR", ("20", "5.5")),
    "BE": ("EUR", ("21", "6")),
    "NL": ("EUR", ("21", "9")),
}
_GOODS = {
    "en": (
        ("Hex bolt M8x30, zinc plated", "pcs", ("0.12", "0.95")),
        ("Deep groove ball bearing 6204-2RS", "pcs", ("3.80", "14.50")),
        ("Hydraulic hose assembly 1/2in x 1.5 m, crimped fittings both ends", "ea", ("24.00", "89.00")),
        ("Stainless sheet 304, 2 mm", "kg", ("4.20", "9.60")),
        ("Field service engineer, on-site commissioning", "h", ("68.00", "115.00")),
        ("Proximity sensor M18 PNP NO, 8 mm sensing range, M12 connector", "pcs", ("28.00", "96.00")),
        ("Power cable H07RN-F 3G2.5", "m", ("1.85", "6.40")),
        ("Safety gloves, cut level C, size 9", "box", ("18.00", "42.00")),
    ),
    "de": (
        ("Sechskantschraube DIN 933 M10x40, verzinkt", "Stk", ("0.18", "1.40")),
        ("Rillenkugellager 6205-2Z", "Stk", ("4.10", "16.90")),
        ("Hydraulikschlauch DN12, 2 m, beidseitig verpresst mit Dichtkegel 24°", "Stk", ("32.00", "110.00")),
        ("Flachstahl S235JR 40x8 mm", "kg", ("1.90", "4.80")),
        ("Montage vor Ort durch Servicetechniker", "Std", ("72.00", "128.00")),
        ("Induktiver Näherungsschalter M12, PNP Schließer, Schaltabstand 4 mm", "Stk", ("26.00", "88.00")),
        ("Steuerleitung ÖLFLEX 5G1,5", "m", ("2.10", "7.90")),
        ("Kühlschmierstoff, wassermischbar, 20-l-Kanister", "Stk", ("64.00", "149.00")),
    ),
    "fr": (
        ("Vis tête hexagonale M6x20 inox A2", "pièce", ("0.09", "0.70")),
        ("Roulement à billes étanche 6206-2RS", "pièce", ("5.20", "18.40")),
        ("Vérin pneumatique ISO 15552, alésage 50 mm, course 200 mm, amorti réglable", "pièce", ("85.00", "240.00")),
        ("Tôle acier galvanisé 1,5 mm", "kg", ("2.30", "5.90")),
        ("Main-d'œuvre technicien, intervention sur site", "h", ("58.00", "96.00")),
        ("Électrovanne 5/2 monostable, bobine 24 V CC, connecteur DIN", "pièce", ("42.00", "128.00")),
        ("Câble souple H05VV-F 3G1,5", "m", ("0.95", "3.60")),
        ("Graisse lithium EP2, cartouche 400 g", "pièce", ("4.60", "12.80")),
    ),
    "nl": (
        ("Zeskantbout M12x60, thermisch verzinkt", "st", ("0.35", "2.20")),
        ("Kogellager 6305-2RS", "st", ("6.40", "21.00")),
        ("Frequentieregelaar 2,2 kW, 400 V, met EMC-filter en bedieningspaneel", "st", ("245.00", "520.00")),
        ("Roestvast staal plaat 316L, 3 mm", "kg", ("6.80", "12.40")),
        ("Arbeidsloon monteur, inbedrijfstelling", "uur", ("62.00", "98.00")),
        ("Kabelgoot perforated 100x60 mm, lengte 3 m", "st", ("18.50", "46.00")),
        ("Installatiekabel XMvK 3G2,5", "m", ("1.45", "4.90")),
        ("Verpakkingsdoos dubbele golf 600x400x400", "st", ("2.10", "5.80")),
    ),
}
_HOURLY = {"h", "Std", "uur"}
_WEIGHED = {"kg", "m"}


def seller(language: str, index: int, rng: random.Random) -> Party:
    name, address, country = _SELLERS[language][index % len(_SELLERS[language])]
    return Party(name, address, country, vat_id(country, rng))


def buyer(rng: random.Random) -> Party:
    name, address = rng.choice(_BUYERS)
    return Party(name, address, "GB")


def vat_id(country: str, rng: random.Random) -> str | None:
    """A VAT id in the country's own format (the French key computed as the tax office does)."""
    digits = "".join(str(rng.randint(0, 9)) for _ in range(9))
    digits = str(rng.randint(1, 9)) + digits[1:]
    if country == "FR":
        return f"FR{(12 + 3 * (int(digits) % 97)) % 97:02d}{digits}"
    if country == "NL":
        return f"NL{digits}B{rng.randint(1, 3):02d}"
    if country == "BE":
        return f"BE0{digits}"
    if country == "CH":
        return f"CHE-{digits[:3]}.{digits[3:6]}.{digits[6:]} MWST"
    if country == "IE":
        return f"IE{digits[:7]}{rng.choice('ABCDEFGHKLMNPTW')}"
    if country == "US":
        return None  # US sellers have no VAT id; an EIN is not one
    return f"{country}{digits}"


def part_number(rng: random.Random) -> str:
    """A part number in one of the styles vendors use."""
    letters = "".join(rng.choice("ABCDEFGHKLMNPRSTVXZ") for _ in range(2))
    styles = (
        f"{letters}-{rng.randint(1000, 9999)}",
        f"{rng.randint(100, 999)}-{rng.randint(1000, 9999)}-{rng.randint(1, 99):02d}",
        f"{letters[0]}{rng.randint(10, 99)}/{rng.randint(10, 99)}",
        f"{rng.randint(10, 99)}.{rng.randint(100, 999)}.{rng.randint(10, 99)}",
        f"{letters}{rng.randint(10000, 99999)}",
    )
    return rng.choice(styles)


def invoice_number(language: str, issued: date, rng: random.Random) -> str:
    serial = rng.randint(1, 9999)
    return rng.choice(
        {
            "en": (f"INV-{rng.randint(10000, 99999)}", f"SI{issued:%y}{serial:05d}", f"{issued.year}-{serial:04d}"),
            "de": (f"RE-{issued.year}-{serial:04d}", f"R{issued:%y}{serial:05d}", f"{rng.randint(100000, 999999)}"),
            "fr": (f"F{issued.year}-{serial:05d}", f"FA{issued:%y%m}-{serial:04d}", f"{issued.year}/{serial:04d}"),
            "nl": (f"{issued.year}{serial:05d}", f"FV{issued:%y}-{serial:04d}", f"VF-{issued.year}-{serial:03d}"),
        }[language]
    )


def po_number(rng: random.Random) -> str:
    return rng.choice(
        (
            f"PO-{rng.randint(45000000, 45999999)}",
            f"{rng.randint(4500000000, 4509999999)}",
            f"PO{rng.randint(1, 99999):06d}",
        )
    )


def invented_invoice(language: str, seller_index: int, rng: random.Random, *, lines: int) -> DemoInvoice:
    """An invoice of `lines` lines from one of the language's sellers, its sums right."""
    party = seller(language, seller_index, rng)
    currency, rates = _TAX[party.country]
    issued = date(2026, 1, 5) + timedelta(days=rng.randint(0, 300))
    reduced_lines = rng.random() < 0.3  # some invoices mix the standard and a reduced rate
    return priced(
        number=invoice_number(language, issued, rng),
        issue_date=issued,
        due_date=None if rng.random() < 0.08 else issued + timedelta(days=rng.choice((14, 30, 30, 45, 60))),
        currency=currency,
        seller=party,
        buyer=buyer(rng),
        po_number=None if rng.random() < 0.1 else po_number(rng),
        lines=[
            _line(language, rng, Decimal(rates[1] if reduced_lines and rng.random() < 0.3 else rates[0]))
            for _ in range(lines)
        ],
        iban=f"{party.country if party.country != 'US' else 'GB'}{rng.randint(10, 99)}{rng.randint(10**15, 10**16 - 1)}",
    )


def _line(language: str, rng: random.Random, tax_rate: Decimal) -> DemoLine:
    description, unit, (low, high) = rng.choice(_GOODS[language])
    price_step = Decimal("0.001") if Decimal(high) < 1 and rng.random() < 0.5 else Decimal("0.01")
    price = Decimal(rng.randint(int(Decimal(low) / price_step), int(Decimal(high) / price_step))) * price_step
    if unit in _HOURLY:
        quantity = Decimal(rng.randint(2, 32)) / 2  # half hours: 2.5 h
    elif unit in _WEIGHED:
        quantity = Decimal(rng.randint(50, 4000)) / (Decimal(100) if rng.random() < 0.5 else Decimal(1))
    else:
        quantity = Decimal(rng.choice((1, 2, 4, 5, 10, 12, 20, 25, 50, 100, 250, 500, 1000)))
    number = None if unit in _HOURLY and rng.random() < 0.7 else part_number(rng)
    return line(
        description,
        number,
        quantity.quantize(Decimal(1)) if quantity == quantity.to_integral() else quantity,
        unit,
        price,
        tax_rate,
    )
