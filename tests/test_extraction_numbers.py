"""Amounts, dates and currencies as printed in English, German, French, Dutch and Swiss documents."""

import pytest

from connectors.extraction.layout.currency import currencies_in, detect_currency
from connectors.extraction.layout.dates import DateOrder, find_dates, infer_date_order, parse_date
from connectors.extraction.layout.numbers import dominant_decimal_separator, parse_amount

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("1,234.56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1 234,56", "1234.56"),
        (f"1{NBSP}234,56", "1234.56"),
        (f"12{NNBSP}345{NNBSP}678,90", "12345678.90"),
        ("1'234.56", "1234.56"),
        ("1’234.56", "1234.56"),
        ("10,00", "10.00"),
        ("0,5", "0.5"),
        ("-12.50", "-12.50"),
        ("12.50-", "-12.50"),
        ("(12.50)", "-12.50"),
        ("− 3,20", "-3.20"),
        ("€ 399,00", "399.00"),
        ("399,00 €", "399.00"),
        ("$4.11", "4.11"),
        ("-$9.32", "-9.32"),
        ("£1,200", "1200"),
        ("EUR 34,73", "34.73"),
        ("34,73 EUR", "34.73"),
        ("CHF 1'050.00", "1050.00"),
        ("USD 1,000,000.00", "1000000.00"),
        ("Rs 1939", "1939"),
        ("0 €", "0"),
        ("3.441.812", "3441812"),
        ("2,500", "2500"),
        ("12", "12"),
    ],
)
def test_amounts_in_every_format(printed: str, expected: str) -> None:
    assert parse_amount(printed) == expected


@pytest.mark.parametrize(
    "printed", ["", "20%", "15.00%", "abc", "12/05/2026", "1.2.3,4,5", "NL810433941B01", "€", "(0%):"]
)
def test_what_is_not_one_amount(printed: str) -> None:
    assert parse_amount(printed) is None


def test_a_lone_separator_before_three_digits_follows_the_document() -> None:
    assert parse_amount("2,500", decimal_separator=",") == "2.500"
    assert parse_amount("2.500", decimal_separator=".") == "2.500"
    assert parse_amount("2.500", decimal_separator=",") == "2500"
    assert parse_amount("1.234,5", decimal_separator=".") == "1234.5"  # two kinds: the last one is decimal


def test_the_documents_decimal_separator_is_the_one_before_two_decimals() -> None:
    assert dominant_decimal_separator(["Total 1.234,56 €", "MwSt 19 % 234,56"]) == ","
    assert dominant_decimal_separator(["Total $1,234.56"]) == "."
    assert dominant_decimal_separator(["Page 1 of 2"]) is None


@pytest.mark.parametrize(
    ("printed", "order", "expected"),
    [
        ("2026-03-05", DateOrder.DAY_FIRST, "2026-03-05"),
        ("05.03.2026", DateOrder.MONTH_FIRST, "2026-03-05"),  # dotted dates are day first everywhere
        ("05/03/2026", DateOrder.DAY_FIRST, "2026-03-05"),
        ("03/05/2026", DateOrder.MONTH_FIRST, "2026-03-05"),
        ("25/03/2026", DateOrder.MONTH_FIRST, "2026-03-25"),  # a day over 12 decides by itself
        ("03/25/2026", DateOrder.DAY_FIRST, "2026-03-25"),
        ("05-03-2026", DateOrder.DAY_FIRST, "2026-03-05"),
        ("8-9-2022", DateOrder.DAY_FIRST, "2022-09-08"),
        ("05.03.26", DateOrder.DAY_FIRST, "2026-03-05"),
        ("5 March 2026", DateOrder.DAY_FIRST, "2026-03-05"),
        ("March 5, 2026", DateOrder.DAY_FIRST, "2026-03-05"),
        ("August 3 , 2014", DateOrder.DAY_FIRST, "2014-08-03"),
        ("Mar 5 2026", DateOrder.DAY_FIRST, "2026-03-05"),
        ("5th Mar. 2026", DateOrder.DAY_FIRST, "2026-03-05"),
        ("5. März 2026", DateOrder.DAY_FIRST, "2026-03-05"),
        ("7. Mai 2014", DateOrder.DAY_FIRST, "2014-05-07"),
        ("5 mars 2026", DateOrder.DAY_FIRST, "2026-03-05"),
        ("1er février 2026", DateOrder.DAY_FIRST, "2026-02-01"),
        ("02 Juillet 2015", DateOrder.DAY_FIRST, "2015-07-02"),
        ("5 maart 2026", DateOrder.DAY_FIRST, "2026-03-05"),
        ("19 april 2014", DateOrder.DAY_FIRST, "2014-04-19"),
        ("31 déc. 2025", DateOrder.DAY_FIRST, "2025-12-31"),
    ],
)
def test_dates_in_every_format(printed: str, order: DateOrder, expected: str) -> None:
    assert parse_date(printed, order) == expected


def test_impossible_dates_are_not_dates() -> None:
    assert parse_date("31/02/2026") is None
    assert parse_date("2026-13-01") is None
    assert find_dates("Tel. 0612 34 56 78, order 12345") == []


def test_dates_inside_text_with_their_places() -> None:
    text = "Facture n°562044387 du 02 Juillet 2015"
    (found,) = find_dates(text)
    assert (found.iso, text[found.start : found.end]) == ("2015-07-02", "02 Juillet 2015")


def test_the_date_order_from_an_unambiguous_date_then_the_language() -> None:
    assert infer_date_order(["Date 03/05/2026", "Due 04/25/2026"], "de", "EUR") is DateOrder.MONTH_FIRST
    assert infer_date_order(["Date 03/05/2026", "Due 25/04/2026"], "en", "USD") is DateOrder.DAY_FIRST
    assert infer_date_order(["Date 03/05/2026"], "en", "USD") is DateOrder.MONTH_FIRST
    assert infer_date_order(["Date 03/05/2026"], "en", "GBP") is DateOrder.DAY_FIRST
    assert infer_date_order(["Datum 03/05/2026"], "nl", None) is DateOrder.DAY_FIRST


def test_the_date_order_that_makes_a_usual_payment_term() -> None:
    # 3 April to 3 May, rather than 4 March to 5 March; 1 March to 31 March, rather than 3 January to 3 March.
    assert infer_date_order(["Date 03/04/2026", "Due 03/05/2026"], "en", "USD") is DateOrder.DAY_FIRST
    assert infer_date_order(["Date 01/03/2026", "Due 03/31/2026"], "fr", "EUR") is DateOrder.MONTH_FIRST
    assert infer_date_order(["Date 03/01/2026", "Due 04/01/2026"], "en", "USD") is DateOrder.MONTH_FIRST


def test_currencies_by_symbol_and_code() -> None:
    assert currencies_in("€ 12,00 and 10 EUR, £3, US$ 4, CHF 5, Rs 6") == ["EUR", "CHF", "EUR", "GBP", "USD", "INR"]
    assert currencies_in("EURO-PALLET DEUTSCHLAND") == []


def test_the_currency_near_the_totals_wins() -> None:
    lines = ["Shipping paid in $", "Shipping $ 10", "Total EUR 1.000,00"]
    assert detect_currency(lines, ["Total EUR 1.000,00"]) == "EUR"
    assert detect_currency(lines, []) == "USD"
    assert detect_currency(["no money here"], []) is None
