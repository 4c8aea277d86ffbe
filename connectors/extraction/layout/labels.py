"""Label vocabularies in English, German, French and Dutch, compared by `label_key` (no accents, case, punctuation).

Each label has a weight: how surely it names the field (a bare `Date` or `Total` less than `Invoice date`).
`OTHER` lists labels of things we do not extract, so that a value region ends where they begin and a
bare `Date` is not read inside `Order date`.
"""

from connectors.extraction.layout.text import label_key

Vocabulary = dict[str, tuple[str, float]]
STANDALONE_WEIGHT = 0.8  # a buyer label that is also a common word (`To`): only alone at a line's start


def _vocabulary(groups: dict[str, dict[float, str]]) -> Vocabulary:
    table: Vocabulary = {}
    for role, by_weight in groups.items():
        for weight, labels in by_weight.items():
            for label in labels.split("|"):
                table[label_key(label)] = (role, weight)
    return table


HEADER_LABELS = _vocabulary(
    {
        "invoice_number": {
            1.0: "Invoice No|Invoice Number|Invoice #|Invoice Nr|Invoice ID|Inv No|Inv #|Bill No|Bill Number"
            "|Rechnungsnummer|Rechnungsnr|Rechnung Nr|Rechnungs-Nr|Rechnungs Nr|Re-Nr|RE-Nr|Belegnummer|Beleg Nr"
            "|Facture n°|Facture No|Facture numéro|N° de facture|N° facture|Numéro de facture|No de facture"
            "|Numéro facture|Réf facture|Factuurnummer|Factuurnr|Factuur nr|Factuur nummer|Factuur no",
            0.6: "Invoice|Rechnung|Facture|Factuur|Document No|Document number",
            0.5: "No",
        },
        "issue_date": {
            1.0: "Invoice date|Date of invoice|Invoice issue date|Issue date|Date of issue|Billing date|Bill date"
            "|Rechnungsdatum|Rechnungs-Datum|Ausstellungsdatum|Belegdatum|Date de facture|Date de facturation"
            "|Date facture|Date d'émission|Date de la facture|Factuurdatum|Factuur datum|Datum factuur|Invoice Date/Tax Point",
            0.7: "Date|Datum|Dated|Tax point|Tax date",
        },
        "due_date": {
            0.7: "Due",
            1.0: "Due date|Payment due|Payment due date|Pay by|Payable by|Date due|Due on|Fällig am|Fällig"
            "|Fälligkeitsdatum|Fälligkeit|Zahlbar bis|Zahlungsziel|Zahlbar bis zum|Échéance|Date d'échéance"
            "|Date limite de paiement|Date limite de règlement|À payer avant le|A régler avant le|Vervaldatum"
            "|Vervaldag|Uiterste betaaldatum|Te betalen voor|Betalen voor",
        },
        "po_number": {
            1.0: "PO|PO No|PO Number|PO #|P.O.|P.O. No|P.O. Number|Purchase order|Purchase order no|Purchase order number"
            "|Your order|Your order no|Your order number|Customer order|Order reference|Your PO|Bestellnummer|Bestell-Nr"
            "|Bestellnr|Ihre Bestellung|Ihre Bestellnummer|Ihre Bestell-Nr|Auftragsnummer|Bon de commande"
            "|N° de commande|Numéro de commande|Votre commande|Votre bon de commande|Réf commande|Commande n°"
            "|Inkoopordernummer|Inkooporder|Uw bestelnummer|Uw bestelling|Uw ordernummer|Bestelnummer|Inkoopnummer",
            0.6: "Order No|Order Number|Order #|Order|Ordernummer|Commande|Bestellung|Uw referentie|Your reference|Ihr Zeichen",
        },
        "subtotal": {
            0.9: "Grondslag|Basis|Bemessungsgrundlage|Base HT|Base imposable|Taxable amount|Tax base|Nettowert",
            1.0: "Subtotal|Sub total|Sub-total|Net amount|Net total|Total net|Total excl VAT|Total excl. tax"
            "|Total excluding VAT|Total before tax|Amount excl VAT|Total (excl. VAT)|Nettobetrag|Netto|Zwischensumme"
            "|Summe netto|Gesamt netto|Nettosumme|Rechnungsbetrag netto|Warenwert|Total HT|Montant HT|Sous-total"
            "|Total hors taxes|Montant hors taxes|Sous total|Subtotaal|Totaal excl btw|Totaal exclusief btw"
            "|Bedrag excl btw|Exclusief btw|Excl btw|Netto bedrag|Totaal netto|Nettobedrag|Total net amount"
            "|Goods total|Subtotal excl VAT|Total HTVA|Montant net|Netto totaal|Totaal exclusief|Gesamtbetrag netto"
            "|Betrag netto|Zwischensumme netto|Gesamtsumme netto|Rechnungsbetrag netto|Summe Netto|Total hors TVA",
            0.6: "Net",
        },
        "tax_total": {
            1.0: "VAT|Tax|Sales tax|VAT amount|Total VAT|Total tax|Tax amount|GST|MwSt|MWST|USt|Umsatzsteuer"
            "|Mehrwertsteuer|MwSt-Betrag|zzgl MwSt|zzgl USt|Summe MwSt|TVA|Montant TVA|Total TVA|BTW|BTW bedrag"
            "|Totaal btw|Bedrag btw|Omzetbelasting|VAT total|Tax total|Total VAT amount|MwSt gesamt|TVA totale"
            "|Montant de la TVA|Btw totaal|Btw-bedrag|plus VAT|VAT @|zzgl Umsatzsteuer|zuzüglich MwSt"
            "|zuzüglich Umsatzsteuer|enthaltene MwSt|inkl MwSt|darin enthaltene MwSt|Summe USt",
        },
        "total": {
            1.0: "Total amount|Amount due|Total due|Grand total|Balance due|Total amount due|Invoice total"
            "|Total to pay|Amount payable|Total payable|Total incl VAT|Total (incl. VAT)|Total including VAT"
            "|Gesamtbetrag|Rechnungsbetrag|Endbetrag|Gesamtsumme|Zu zahlen|Zahlbetrag|Bruttobetrag|Summe brutto"
            "|Gesamt brutto|Rechnungssumme|Total TTC|Montant TTC|Net à payer|Montant à payer|Total à payer|Somme à payer"
            "|Montant total|Total facture|Totaal|Te betalen|Totaalbedrag|Totaal incl btw|Totaal inclusief btw"
            "|Factuurbedrag|Factuur totaal|Te voldoen|Bedrag incl btw|Gross|Gross amount|Gross total|Total gross"
            "|Amount to pay|Total amount payable|Invoice amount|Total invoice amount|Gesamtbetrag brutto|Endsumme"
            "|Montant dû|Reste à payer|Total général|Totaal te betalen|Te betalen bedrag|Eindtotaal|Totaal bruto",
            0.8: "Total|Gesamt|Summe|Amount|Total EUR|Total USD|Totale",
        },
        "seller_vat_id": {
            1.0: "VAT No|VAT Number|VAT Reg|VAT Reg No|VAT Registration No|VAT ID|VAT-ID|Our VAT|USt-IdNr|USt-ID"
            "|UStId|USt-Id-Nr|Umsatzsteuer-ID|Umsatzsteuer-IdNr|UID|UID-Nr|N° TVA|TVA intracommunautaire|N° de TVA"
            "|N° TVA intracommunautaire|N° de TVA intracommunautaire|Numéro de TVA|Identifiant TVA|BTW-nummer|BTW nr"
            "|BTW-nr|BTW nummer|BTW identificatienummer|Btw-id|Tax ID|MWST-Nr|TVA intra communautaire",
        },
        "seller_name": {
            1.0: "Sold by|Seller|Vendor|Supplier|Issued by|Verkäufer|Lieferant|Rechnungssteller|Vendeur|Fournisseur"
            "|Émetteur|Leverancier|Verkoper",
            # Whom to pay is the seller: the bank details name it.
            0.9: "Account holder|Account name|Payable to|Make checks payable to|Beneficiary|Kontoinhaber|Begünstigter"
            "|Titulaire du compte|Titulaire|Bénéficiaire|Rekeninghouder|Ten name van|t.n.v.",
        },
        "buyer_name": {
            1.0: "Bill to|Billed to|Invoice to|Invoiced to|Sold to|Customer|Client|Billing address|Invoice address"
            "|Rechnungsempfänger|Rechnungsadresse|Kunde|Auftraggeber|Empfänger|Facturé à|Facturer à|Adresse de facturation"
            "|Factuur aan|Klant|Factuuradres|Gefactureerd aan|Afnemer|Bill to address|Billing to|Customer name|Client name"
            "|Destinataire|Adressé à|Rechnung an",
            0.9: "Attn|Attention|z. Hd.|z.Hd.|à l'attention de|t.a.v.",  # a person, the company's name is above
            # Only a label standing alone above the address: these words also open sentences.
            STANDALONE_WEIGHT: "An|To|Aan|À",
        },
    }
)

# Labels of values we do not extract: they end a value region and keep their words from matching above.
OTHER_LABELS = _vocabulary(
    {
        "other": {
            1.0: "Order date|Orderdatum|Bestelldatum|Besteldatum|Date de commande|Delivery date|Lieferdatum"
            "|Leveringsdatum|Date de livraison|Leistungsdatum|Service date|Ship date|Shipping date|Period|Zeitraum"
            "|Customer No|Customer Number|Customer ID|Account number|Account No|Kundennummer|Kundennr|Kunden-Nr"
            "|N° client|Numéro client|Code client|Id client|Klantnummer|Klantnr|Debiteurnummer|Page|Seite|Pagina"
            "|Phone|Tel|Telephone|Fax|Email|E-mail|Mail|IBAN|BIC|SWIFT|Bank|Account|Reference|Ref|Référence"
            "|Referentie|Kenmerk|Your VAT|Your VAT No|Customer VAT|Client VAT|Ihre USt-IdNr|Uw BTW nummer|Uw btw-nummer"
            "|Ship to|Shipping address|Deliver to|Delivery address|Lieferadresse|Lieferanschrift|Adresse de livraison"
            "|Livré à|Afleveradres|Leveradres|Terms|Payment terms|Zahlungsbedingungen|Conditions de paiement"
            "|Betalingsvoorwaarden|Payment method|Zahlungsart|Mode de paiement|Betaalwijze|Steuer-Nr|Steuernummer"
            "|Tax number|SIRET|SIREN|KvK|HRB|Registergericht|Contract No|Vertragsnummer|Order ID|Booking ID"
            "|Dossier|Numéro de dossier|Tax rate|VAT rate|Rate|Discount|Rabatt|Remise|Korting|Rounding",
        },
    }
)

# Words that title a document rather than name anyone.
_TITLES = (
    "invoice|tax invoice|rechnung|facture|factuur|kopie factuur|receipt|payment receipt|credit note"
    "|gutschrift|avoir|creditnota|bill|copy|kopie|original|duplicate|page|seite"
)
DOCUMENT_TITLES = frozenset(label_key(word) for word in _TITLES.split("|"))

# Line-table column headers; `position`, `tax_rate`, `discount` and `date` columns are recognised only to be left out.
COLUMN_LABELS = _vocabulary(
    {
        "description": {
            1.0: "Description|Item description|Product description|Details|Bezeichnung|Beschreibung|Artikelbezeichnung"
            "|Leistungsbeschreibung|Désignation|Libellé|Description article|Omschrijving|Product Title|Title|Name"
            "|Activity|Product/Service|Item & Description|Produit/Service|Artikel/Leistung",
            0.9: "Item|Items|Product|Service|Services|Article|Artikel|Leistung|Produkt|Produit|Prestation",
        },
        "part_number": {
            1.0: "Part No|Part Number|Part #|Item #|Item No|Item Number|Item code|SKU|Article No|Product code|Code"
            "|Art-Nr|Art Nr|Artikelnummer|Artikel-Nr|Artikelnr|Art.Nr|Référence|Réf|Ref|Code article|Artikelcode"
            "|Materialnummer|Teilenummer|Teile-Nr|Teilenr|Bestellnummer|Onderdeelnummer|N° article|Réf article",
        },
        "quantity": {
            1.0: "Qty|Quantity|Aant|Pcs|Menge|Qté|Quantité|Anzahl|Aantal|Hoeveelheid|Nombre|Units|Hours|Stunden|Std|Qty.",
        },
        "unit": {1.0: "Unit|UoM|UOM|Einheit|Einh|ME|Unité|Eenheid|Eenh|U.|Unit of measure"},
        "unit_price": {
            1.0: "Unit price|Unit cost|Price|Rate|Price per unit|Unit Price excl VAT|Einzelpreis|E-Preis|EP|Preis"
            "|Stückpreis|VK-Preis|Einzelpreis netto|Prix unitaire|P.U.|PU|Prix|Prix unitaire HT|P.U. HT|PU HT"
            "|Stukprijs|Prijs|Prijs per stuk|Prix unit|Px unit|Prix unit HT"
            "|Preis/Einheit|Preis/Einh|Preis je Einheit|Preis pro Einheit|Preis je ME|Eenheidsprijs|Prijs per eenheid|Tarif|Unit net price",
        },
        "line_total": {
            1.0: "Amount|Total|Line total|Net amount|Amount excl VAT|Total price|Gesamt|Betrag|Gesamtpreis|Summe"
            "|Zeilenbetrag|Positionsbetrag|Gesamt netto|Betrag netto|Nettobetrag|Montant|Total HT|Montant HT"
            "|Prix total|Bedrag|Totaal|Totaalprijs|Bedrag excl btw|Line amount|Subtotal|Net",
            0.8: "Total TTC|Montant TTC|Prijs incl btw|Bedrag incl btw|Totaal incl btw|Brutto|Gross|Amount incl VAT"
            "|Montant EUR TTC|Total incl VAT",
            0.9: "Montant EUR HT|Amount EUR|Betrag EUR|Total EUR",
        },
        "position": {1.0: "Pos|Position|Pos.|Line|No|Nr|#|Lfd Nr|N°"},
        "tax_rate": {
            1.0: "%|Rate %|VAT|VAT %|Tax|Taxes|Tax %|Tax(%)|MwSt|MwSt %|USt|TVA|TVA %|BTW|BTW %|% TVA|% BTW|% MwSt"
        },
        "discount": {1.0: "Discount|Disc|Disc.%|Disc %|Rabatt|Rabatt %|Remise|Korting"},
        "date": {1.0: "Date|Datum|Service date|Delivery date|Lieferdatum|Leistungsdatum|Date de livraison|Leverdatum"},
    }
)

LINE_VALUE_ROLES = ("quantity", "unit_price", "line_total")

LANGUAGE_WORDS = {
    "en": "invoice the and of to for date due total amount tax vat bill please payment number description quantity price",
    "de": "rechnung und der die das datum betrag summe mwst ust menge bitte zahlung bezeichnung einzelpreis gesamt netto",
    "fr": "facture le la les de du et montant tva total date quantite prix paiement designation numero ht ttc",
    "nl": "factuur de het en van een btw totaal bedrag datum aantal prijs betaling omschrijving nummer klant",
}

# Extra charges among the totals (connectors/extraction/layout/charges.py).
CHARGE_LABELS = _vocabulary(
    {
        "charge": {
            1.0: "Shipping|Shipping and freight|Shipping & handling|Shipping and handling|Freight|Freight charges"
            "|Delivery|Delivery charge|Delivery charges|Carriage|Postage|Postage and packing|Handling|Handling fee"
            "|Handling charge|Packing|Packaging|Surcharge|Fuel surcharge|Small order surcharge|Energy surcharge"
            "|Versand|Versandkosten|Versandpauschale|Fracht|Frachtkosten|Porto|Verpackung|Verpackungskosten"
            "|Bearbeitungsgebühr|Mindermengenzuschlag|Zuschlag|Energiezuschlag|Frais de port|Frais d'expédition"
            "|Frais de livraison|Frais de transport|Transport|Emballage|Frais de manutention|Manutention|Supplément"
            "|Verzendkosten|Verzending|Vracht|Vrachtkosten|Transportkosten|Verpakking|Verpakkingskosten|Toeslag"
            "|Behandelingskosten|Administratiekosten",
        }
    }
)
