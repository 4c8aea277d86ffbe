"""The problems planted in the demo invoices: stable names, how often each occurs, which invoice gets which."""

import random
from dataclasses import dataclass

CLEAN = "clean"
CORRECTED = "corrected"  # version 2 of an invoice whose version 1 was bad; now clean
UOM_CONVERTED = "clean.uom_converted"  # clean, with parts the PO orders by the each billed by the box
DUPLICATE_IN_MARKETPLACE = "duplicate.in_marketplace"

# Share of the invoices that get each problem; every problem is planted at least once, whatever the size.
PROBLEM_RATES: dict[str, float] = {
    "price.one_cent_over": 0.025,
    "qty.over_open": 0.015,
    "line.return_netted": 0.01,
    "qty.over_received": 0.015,
    "line.total_mismatch": 0.015,
    "total.mismatch": 0.015,
    "total.subtotal_mismatch": 0.01,
    "tax.rate_mismatch": 0.015,
    "part.not_on_po": 0.015,
    "uom.unknown": 0.01,
    "duplicate.entered_in_erp": 0.015,
    DUPLICATE_IN_MARKETPLACE: 0.015,
    "duplicate.possible": 0.01,
    "po.closed": 0.01,
    "po.cancelled": 0.01,
    "po.unknown": 0.01,
    "po.on_hold": 0.01,
    "po.unreadable": 0.01,
    "vendor.mismatch": 0.01,
    "vendor.inactive": 0.01,
    "vendor.unknown": 0.01,
    "currency.mismatch": 0.01,
    "charge.unapproved": 0.015,
    "date.future": 0.01,
    "date.too_old": 0.01,
    "date.before_po": 0.01,
    "missing.due_date": 0.01,
    "credit_note": 0.02,
    CORRECTED: 0.01,
    UOM_CONVERTED: 0.01,
    "garbled.missing_po": 0.01,
    "garbled.text_quantity": 0.01,
    "garbled.negative_price": 0.01,
    "garbled.bad_currency": 0.01,
    "garbled.bad_total": 0.01,
}
PROBLEMS: tuple[str, ...] = (CLEAN, *PROBLEM_RATES)
# Every problem once, plus the clean invoice a marketplace duplicate copies.
MIN_INVOICES = len(PROBLEM_RATES) + 1
# What a corrected invoice's first version got wrong (recorded in the manifest; only version 2 is stored).
CORRECTABLE = ("price.one_cent_over", "qty.over_open", "line.total_mismatch", "tax.rate_mismatch", "charge.unapproved")

# The rules of the default rule set (rules/rules.yaml) each planted problem exercises: exactly these rule ids
# fire on its invoices, none on a clean one. Garbled rows never reach the rules: the marketplace reader rejects them.
EXPECTED_RULES: dict[str, frozenset[str]] = {
    CLEAN: frozenset(),
    CORRECTED: frozenset(),
    UOM_CONVERTED: frozenset(),
    "price.one_cent_over": frozenset({"price.unit_mismatch"}),
    "qty.over_open": frozenset({"qty.over_open"}),
    "line.return_netted": frozenset({"line.negative_on_invoice"}),
    "qty.over_received": frozenset({"qty.over_received"}),
    "line.total_mismatch": frozenset({"line.total_mismatch"}),
    "total.mismatch": frozenset({"amount.total_mismatch"}),
    "total.subtotal_mismatch": frozenset({"amount.subtotal_mismatch"}),
    "tax.rate_mismatch": frozenset({"tax.rate_mismatch"}),
    "part.not_on_po": frozenset({"line.part_not_on_po"}),
    "uom.unknown": frozenset({"uom.unknown_conversion"}),
    "duplicate.entered_in_erp": frozenset({"duplicate.exact"}),
    DUPLICATE_IN_MARKETPLACE: frozenset({"duplicate.exact"}),
    "duplicate.possible": frozenset({"duplicate.possible"}),
    "po.closed": frozenset({"po.not_open"}),
    "po.cancelled": frozenset({"po.not_open"}),
    "po.unknown": frozenset({"po.not_found"}),
    "po.on_hold": frozenset({"po.on_hold"}),
    "po.unreadable": frozenset({"po.unreadable"}),
    "vendor.mismatch": frozenset({"vendor.mismatch"}),
    "vendor.inactive": frozenset({"vendor.inactive"}),
    # The PO belongs to a vendor the master knows, so the invoice is from another vendor than the PO's too.
    "vendor.unknown": frozenset({"vendor.unknown", "vendor.mismatch"}),
    "currency.mismatch": frozenset({"currency.mismatch"}),
    "charge.unapproved": frozenset({"charge.not_allowed"}),
    "date.future": frozenset({"date.future"}),
    "date.too_old": frozenset({"date.too_old"}),
    "date.before_po": frozenset({"date.before_po"}),
    "missing.due_date": frozenset({"invoice.required_fields"}),
    "credit_note": frozenset({"credit_note.review"}),
}


@dataclass(frozen=True)
class Plan:
    labels: list[str]  # the problem of invoice id i is labels[i - 1]
    originals: dict[int, int]  # invoice id of a marketplace duplicate → id of the clean invoice it copies


def plan_invoices(invoices: int, rng: random.Random) -> Plan:
    counts = {problem: max(1, round(invoices * rate)) for problem, rate in PROBLEM_RATES.items()}
    clean = invoices - sum(counts.values())
    if clean < counts[DUPLICATE_IN_MARKETPLACE]:
        raise ValueError(f"the demo needs at least {MIN_INVOICES} invoices to plant every problem, got {invoices}")
    labels = [problem for problem, count in counts.items() for _ in range(count)] + [CLEAN] * clean
    rng.shuffle(labels)
    return Plan(labels=labels, originals=_pair_duplicates(labels))


def _pair_duplicates(labels: list[str]) -> dict[int, int]:
    """Give each marketplace duplicate the nearest earlier clean invoice as its original.

    A duplicate with no clean invoice before it swaps places with a later clean one, which keeps the counts.
    """
    originals: dict[int, int] = {}
    used: set[int] = set()
    for index, label in enumerate(labels):
        if label != DUPLICATE_IN_MARKETPLACE:
            continue
        earlier = next((i for i in range(index - 1, -1, -1) if labels[i] == CLEAN and i not in used), None)
        if earlier is None:
            later = next(i for i in range(index + 1, len(labels)) if labels[i] == CLEAN and i not in used)
            labels[index], labels[later] = CLEAN, DUPLICATE_IN_MARKETPLACE
            continue  # the loop reaches the moved duplicate later, with this clean invoice before it
        used.add(earlier)
        originals[index + 1] = earlier + 1
    return originals
