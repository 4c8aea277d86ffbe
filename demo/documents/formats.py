"""How each language writes dates, numbers and money on an invoice, and the words it labels them with.

A `Style` is one vendor's habit: which of a language's date formats, which label synonyms, where the
currency goes. Layouts print through it, so the same invoice can look a dozen different ways.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

LANGUAGES = ("en", "de", "fr", "nl")

_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
}

# strftime-like patterns per language; "{month}" is the month's name.
DATE_FORMATS = {
    "en": ("{month} {d}, {Y}", "{dd}/{mm}/{Y}", "{Y}-{mm}-{dd}", "{d} {mon} {Y}"),
    "de": ("{dd}.{mm}.{Y}", "{d}. {month} {Y}", "{Y}-{mm}-{dd}"),
    "fr": ("{dd}/{mm}/{Y}", "{d} {month} {Y}", "{dd}.{mm}.{Y}"),
    "nl": ("{dd}-{mm}-{Y}", "{d} {month} {Y}", "{dd}/{mm}/{Y}"),
}

# Thousands separator, decimal mark.
_NUMBER_MARKS = {"en": (",", "."), "de": (".", ","), "nl": (".", ","), "fr": ("\u202f", ",")}

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF", "CAD": "CA$"}

# Each label has synonyms; a Style picks one by its `wording` index (modulo the number of synonyms).
_LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "title": ("INVOICE", "Invoice", "Tax Invoice"),
        "number": ("Invoice No.", "Invoice #", "Invoice number"),
        "date": ("Invoice date", "Date", "Date of issue"),
        "due": ("Due date", "Payment due", "Due"),
        "po": ("PO number", "Your order no.", "Purchase order"),
        "customer": ("Bill to", "Customer", "Invoice to"),
        "vat": ("VAT No.", "VAT Reg. No.", "VAT ID"),
        "description": ("Description", "Item", "Description of goods"),
        "part": ("Part No.", "Item code", "SKU"),
        "quantity": ("Qty", "Quantity", "Qty"),
        "unit": ("Unit", "UoM", "Unit"),
        "price": ("Unit price", "Price", "Rate"),
        "amount": ("Amount", "Line total", "Total"),
        "subtotal": ("Subtotal", "Net total", "Total excl. VAT"),
        "tax": ("VAT", "Tax", "VAT"),
        "total": ("Total", "Amount due", "Total due"),
        "rate": ("VAT rate", "Rate", "Tax rate"),
        "base": ("Net amount", "Taxable amount", "Net"),
        "page": ("Page",),
        "pay": ("Please pay to", "Bank details", "Payment"),
        "carried": ("Carried forward",),
    },
    "de": {
        "title": ("RECHNUNG", "Rechnung"),
        "number": ("Rechnungsnummer", "Rechnung Nr.", "Rechnungs-Nr."),
        "date": ("Rechnungsdatum", "Datum", "Rechnungsdatum"),
        "due": ("Fällig am", "Zahlbar bis", "Fälligkeitsdatum"),
        "po": ("Bestellnummer", "Ihre Bestellung", "Bestell-Nr."),
        "customer": ("Rechnungsempfänger", "Kunde", "An"),
        "vat": ("USt-IdNr.", "USt-ID", "UID-Nr."),
        "description": ("Bezeichnung", "Beschreibung", "Artikel"),
        "part": ("Artikelnr.", "Art.-Nr.", "Teilenummer"),
        "quantity": ("Menge", "Anzahl", "Menge"),
        "unit": ("Einheit", "ME", "Einh."),
        "price": ("Einzelpreis", "E-Preis", "Preis/Einheit"),
        "amount": ("Gesamtpreis", "Betrag", "Gesamt"),
        "subtotal": ("Nettobetrag", "Zwischensumme", "Summe netto"),
        "tax": ("MwSt.", "USt.", "Umsatzsteuer"),
        "total": ("Gesamtbetrag", "Rechnungsbetrag", "Summe brutto"),
        "rate": ("Steuersatz", "USt-Satz", "Satz"),
        "base": ("Netto", "Bemessungsgrundlage", "Netto"),
        "page": ("Seite",),
        "pay": ("Bankverbindung", "Zahlung an", "Bankverbindung"),
        "carried": ("Übertrag",),
    },
    "fr": {
        "title": ("FACTURE", "Facture"),
        "number": ("Facture n°", "Numéro de facture", "N° de facture"),
        "date": ("Date de facture", "Date", "Date d'émission"),
        "due": ("Échéance", "Date d'échéance", "À payer avant le"),
        "po": ("Bon de commande", "Votre commande", "Réf. commande"),
        "customer": ("Client", "Facturé à", "Destinataire"),
        "vat": ("N° TVA", "TVA intracom.", "N° TVA intracommunautaire"),
        "description": ("Désignation", "Description", "Libellé"),
        "part": ("Référence", "Réf.", "Code article"),
        "quantity": ("Qté", "Quantité", "Qté"),
        "unit": ("Unité", "U.", "Unité"),
        "price": ("Prix unitaire HT", "P.U. HT", "Prix unit."),
        "amount": ("Montant HT", "Total HT", "Montant"),
        "subtotal": ("Total HT", "Montant HT", "Sous-total HT"),
        "tax": ("TVA", "Montant TVA", "TVA"),
        "total": ("Total TTC", "Net à payer", "Montant TTC"),
        "rate": ("Taux TVA", "Taux", "Taux"),
        "base": ("Base HT", "Montant HT", "Base"),
        "page": ("Page",),
        "pay": ("Coordonnées bancaires", "Règlement", "Paiement"),
        "carried": ("Report",),
    },
    "nl": {
        "title": ("FACTUUR", "Factuur"),
        "number": ("Factuurnummer", "Factuur nr.", "Factuurnr."),
        "date": ("Factuurdatum", "Datum", "Factuurdatum"),
        "due": ("Vervaldatum", "Te betalen voor", "Uiterste betaaldatum"),
        "po": ("Uw ordernummer", "Inkoopordernummer", "Uw referentie"),
        "customer": ("Factuuradres", "Klant", "Aan"),
        "vat": ("Btw-nummer", "BTW nr.", "Btw-id"),
        "description": ("Omschrijving", "Artikel", "Omschrijving"),
        "part": ("Artikelnr.", "Art. nr.", "Code"),
        "quantity": ("Aantal", "Aant.", "Aantal"),
        "unit": ("Eenheid", "Eenh.", "Eenheid"),
        "price": ("Prijs", "Stukprijs", "Prijs per eenheid"),
        "amount": ("Bedrag", "Totaal", "Bedrag excl. btw"),
        "subtotal": ("Subtotaal", "Totaal excl. btw", "Netto"),
        "tax": ("Btw", "BTW", "Btw-bedrag"),
        "total": ("Totaal", "Totaal incl. btw", "Te betalen"),
        "rate": ("Btw-tarief", "Tarief", "Btw %"),
        "base": ("Grondslag", "Bedrag excl. btw", "Basis"),
        "page": ("Pagina",),
        "pay": ("Betaalgegevens", "Gelieve te betalen op", "Bankrekening"),
        "carried": ("Transport",),
    },
}

MONEY_PLACEMENTS = ("symbol_before", "symbol_after", "code_before", "code_after")


@dataclass(frozen=True, slots=True)
class Style:
    language: str
    date_format: int  # index into DATE_FORMATS[language]
    wording: int  # index into each label's synonyms
    money: str  # one of MONEY_PLACEMENTS
    narrow_space: bool = True  # French thousands: narrow no-break space, else an ordinary space

    def label(self, key: str) -> str:
        synonyms = _LABELS[self.language][key]
        return synonyms[self.wording % len(synonyms)]

    def date(self, day: date) -> str:
        patterns = DATE_FORMATS[self.language]
        month = _MONTHS[self.language].split()[day.month - 1]
        return patterns[self.date_format % len(patterns)].format(
            d=day.day, dd=f"{day.day:02d}", mm=f"{day.month:02d}", Y=day.year, month=month, mon=month[:3]
        )

    def number(self, value: Decimal) -> str:
        """`value` with the decimals it carries, grouped by thousands as the language writes it."""
        thousands, mark = _NUMBER_MARKS[self.language]
        if self.language == "fr" and not self.narrow_space:
            thousands = " "
        sign = "-" if value < 0 else ""
        whole, _, fraction = format(abs(value), "f").partition(".")
        groups: list[str] = []
        while len(whole) > 3:
            whole, groups = whole[:-3], [whole[-3:], *groups]
        grouped = thousands.join([whole, *groups])
        return sign + grouped + (mark + fraction if fraction else "")

    def money_amount(self, value: Decimal, currency: str) -> str:
        amount = self.number(value)
        symbol = SYMBOLS.get(currency, currency)
        if self.money == "symbol_before":
            return f"{symbol}{amount}" if len(symbol) == 1 else f"{symbol} {amount}"
        if self.money == "symbol_after":
            return f"{amount} {symbol}"
        if self.money == "code_before":
            return f"{currency} {amount}"
        return f"{amount} {currency}"

    def percent(self, rate: Decimal) -> str:
        return f"{self.number(rate.quantize(Decimal(1)) if rate == rate.to_integral() else rate)} %"
