"""Cross-checks: what each reports, and how it raises or lowers the confidence of the fields it concerns."""

from connectors.extraction.crosschecks import cross_check
from domain.documents import CheckResult, Engine, ExtractedCharge, ExtractedField, ExtractedLine, Extraction


def _f(value: str, confidence: float = 0.8) -> ExtractedField:
    return ExtractedField(value=value, confidence=confidence)


def _line(quantity: str, price: str, total: str, confidence: float = 0.8) -> ExtractedLine:
    return ExtractedLine(
        description=_f("Bolt", confidence),
        quantity=_f(quantity, confidence),
        unit_price=_f(price, confidence),
        line_total=_f(total, confidence),
    )


def _extraction(engine: Engine = Engine.TEXT_LAYER, **fields: str) -> Extraction:
    return Extraction(
        engine=engine,
        engine_reason="test",
        pages=1,
        fields={name: _f(value) for name, value in fields.items()},
        lines=(_line("2", "10.00", "20.00"), _line("3", "0.333", "1.00"), _line("1000", "0.483", "483.00")),
    )


def test_everything_adds_up_so_every_field_involved_is_raised() -> None:
    extraction = _extraction(
        subtotal="504.00", tax_total="95.76", total="599.76", issue_date="2026-03-05", due_date="2026-04-04"
    )
    checked = cross_check(extraction)
    assert checked.checks == (
        CheckResult(
            check="line_arithmetic",
            passed=True,
            message="line 1: 2 × 10.00 = 20, the line total is 20.00",
            fields=("lines[0].quantity", "lines[0].unit_price", "lines[0].line_total"),
        ),
        CheckResult(
            check="line_arithmetic",
            passed=True,
            message="line 2: 3 × 0.333 = 0.999, the line total is 1.00",
            fields=("lines[1].quantity", "lines[1].unit_price", "lines[1].line_total"),
        ),
        CheckResult(
            check="line_arithmetic",
            passed=True,
            message="line 3: 1000 × 0.483 = 483, the line total is 483.00",
            fields=("lines[2].quantity", "lines[2].unit_price", "lines[2].line_total"),
        ),
        CheckResult(
            check="lines_sum",
            passed=True,
            message="the lines add up to 504.00, the subtotal is 504.00",
            fields=("subtotal", "lines[0].line_total", "lines[1].line_total", "lines[2].line_total"),
        ),
        CheckResult(
            check="totals",
            passed=True,
            message="subtotal 504.00 + tax 95.76 = 599.76, the total is 599.76",
            fields=("subtotal", "tax_total", "total"),
        ),
        CheckResult(
            check="due_after_issue",
            passed=True,
            message="due 2026-04-04, issued 2026-03-05",
            fields=("issue_date", "due_date"),
        ),
    )
    assert checked.fields == {
        name: _f(value, 0.97)
        for name, value in {
            "subtotal": "504.00",
            "tax_total": "95.76",
            "total": "599.76",
            "issue_date": "2026-03-05",
            "due_date": "2026-04-04",
        }.items()
    }
    raised = ExtractedLine(
        description=_f("Bolt"), quantity=_f("2", 0.97), unit_price=_f("10.00", 0.97), line_total=_f("20.00", 0.97)
    )
    assert checked.lines[0] == raised
    assert checked.failed_checks == []


def test_a_line_a_cent_off_and_totals_that_disagree_are_lowered() -> None:
    extraction = _extraction(subtotal="504.00", tax_total="95.76", total="599.77").model_copy(
        update={"lines": (_line("2", "10.00", "20.01", 0.9), _line("1", "484.00", "484.00", 0.9))}
    )
    checked = cross_check(extraction)
    assert [(check.check, check.passed) for check in checked.checks] == [
        ("line_arithmetic", False),
        ("line_arithmetic", True),
        ("lines_sum", False),
        ("totals", False),
    ]
    assert checked.checks[0].message == "line 1: 2 × 10.00 = 20, the line total is 20.01"
    assert {name: found.confidence for name, found in checked.fields.items()} == {
        "subtotal": 0.5,
        "tax_total": 0.5,
        "total": 0.5,
    }
    first, second = checked.lines
    assert (first.quantity.confidence, first.line_total.confidence, first.description.confidence) == (0.5, 0.5, 0.9)
    # Its own arithmetic holds, but it is in the sum that failed: a failure lowers whatever it concerns.
    assert (second.quantity.confidence, second.unit_price.confidence, second.line_total.confidence) == (0.97, 0.97, 0.5)


def test_a_due_date_before_the_issue_date_fails() -> None:
    checked = cross_check(_extraction(issue_date="2026-03-05", due_date="2026-03-01").model_copy(update={"lines": ()}))
    assert checked.checks == (
        CheckResult(
            check="due_after_issue",
            passed=False,
            message="due 2026-03-01, issued 2026-03-05",
            fields=("issue_date", "due_date"),
        ),
    )
    assert checked.fields == {"issue_date": _f("2026-03-05", 0.5), "due_date": _f("2026-03-01", 0.5)}


def test_missing_values_are_not_checked() -> None:
    extraction = Extraction(
        engine=Engine.OCR,
        engine_reason="test",
        pages=1,
        fields={"total": _f("10.00")},
        lines=(ExtractedLine(description=_f("Bolt"), line_total=_f("10.00")),),
    )
    assert cross_check(extraction) == extraction


def test_an_e_invoice_is_reported_on_and_never_adjusted() -> None:
    extraction = _extraction(Engine.EINVOICE, subtotal="504.00", tax_total="95.76", total="600.00")
    checked = cross_check(extraction)
    assert [(check.check, check.passed) for check in checked.checks][-1] == ("totals", False)
    assert checked.fields == extraction.fields
    assert checked.lines == extraction.lines


def test_checking_twice_replaces_the_checks() -> None:
    once = cross_check(_extraction(subtotal="504.00", tax_total="95.76", total="599.76"))
    assert cross_check(once) == once


def _with_freight(subtotal: str, tax_total: str, total: str) -> Extraction:
    freight = ExtractedCharge(description=_f("Shipping and freight"), amount=_f("12.50"))
    extraction = _extraction(subtotal=subtotal, tax_total=tax_total, total=total)
    return extraction.model_copy(update={"charges": (freight,)})


def test_a_charge_between_the_subtotal_and_the_total_adds_up() -> None:
    checked = cross_check(_with_freight(subtotal="504.00", tax_total="95.76", total="612.26"))

    [lines_sum, totals] = [check for check in checked.checks if check.check in ("lines_sum", "totals")]
    assert lines_sum.passed and "charges[0].amount" not in lines_sum.fields
    assert totals == CheckResult(
        check="totals",
        passed=True,
        message="subtotal 504.00 + charges 12.50 + tax 95.76 = 612.26, the total",
        fields=("subtotal", "tax_total", "total", "charges[0].amount"),
    )
    assert checked.charges[0].amount.confidence == 0.97


def test_a_charge_inside_the_subtotal_adds_up_too() -> None:
    checked = cross_check(_with_freight(subtotal="516.50", tax_total="98.14", total="614.64"))

    [lines_sum] = [check for check in checked.checks if check.check == "lines_sum"]
    assert lines_sum.passed
    assert lines_sum.message == "the lines add up to 504.00, with the charges 12.50 to the subtotal 516.50"
    assert all(check.passed for check in checked.checks)
