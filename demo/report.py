"""A readable summary of what the two demo databases hold, and of the problems planted in them."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, make_url

from connectors.db import sqlite_file
from connectors.erp.demo_schema import ap_invoice, po_header, po_line, vendor
from connectors.marketplace.schema import mp_invoice, mp_invoice_charge, mp_invoice_line

_PO_STATUSES = {"O": "open", "C": "closed", "X": "cancelled", "H": "on hold"}
_RECEIPTS = ("received in full", "received in part", "nothing received yet", "not tracked")
_LABEL_WIDTH = 26


def summarise(marketplace_url: str, erp_url: str, manifest_path: Path | None) -> str:
    return "\n\n".join([_erp_section(erp_url), _marketplace_section(marketplace_url), _manifest_section(manifest_path)])


def marketplace_invoice_count(marketplace_url: str) -> int:
    with _connect(marketplace_url, mp_invoice) as conn:
        return 0 if conn is None else conn.execute(sa.select(sa.func.count()).select_from(mp_invoice)).scalar_one()


@contextmanager
def _connect(url: str, table: sa.Table) -> Iterator[Connection | None]:
    """A connection to `url`, or None when `table` is not there (a missing SQLite file is not created)."""
    database = sqlite_file(url)
    if database is not None and not database.exists():
        yield None
        return
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            yield conn if sa.inspect(conn).has_table(table.name) else None
    finally:
        engine.dispose()


def display_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _heading(title: str, url: str) -> str:
    return f"{title} ({display_url(url)})"


def _row(label: str, count: int, note: str = "") -> str:
    return f"  {label:<{_LABEL_WIDTH}}{count:>7}   {note}".rstrip()


def _breakdown(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items() if count)


def _grouped(conn: Connection, column: sa.ColumnElement[str]) -> dict[str, int]:
    return dict(conn.execute(sa.select(column, sa.func.count()).group_by(column).order_by(column)).tuples().all())


def _erp_section(url: str) -> str:
    with _connect(url, po_line) as conn:
        if conn is None:
            return _heading("ERP", url) + "\n  not seeded yet: python -m demo"
        return "\n".join(
            [_heading("ERP", url), _vendors(conn), _purchase_orders(conn), _po_lines(conn), _entered(conn)]
        )


def _vendors(conn: Connection) -> str:
    active = _grouped(conn, vendor.c.is_active)
    currencies = _grouped(conn, vendor.c.currency_code)
    note = f"{active.get('Y', 0)} active, {active.get('N', 0)} inactive; {_breakdown(currencies)}"
    return _row("vendors", sum(active.values()), note)


def _purchase_orders(conn: Connection) -> str:
    statuses = _grouped(conn, po_header.c.po_status)
    named = {name: statuses.get(code, 0) for code, name in _PO_STATUSES.items()}
    return _row("purchase orders", sum(statuses.values()), _breakdown(named))


def _po_lines(conn: Connection) -> str:
    receipt = sa.case(
        (po_line.c.qty_received.is_(None), "not tracked"),
        (po_line.c.qty_received >= po_line.c.qty_ordered, "received in full"),
        (po_line.c.qty_received == 0, "nothing received yet"),
        else_="received in part",
    ).label("receipt")
    receipts = _grouped(conn, receipt)
    in_order = {name: receipts.get(name, 0) for name in _RECEIPTS}
    invoiced = conn.scalar(sa.select(sa.func.count()).where(po_line.c.qty_invoiced > 0))
    return _row("PO lines", sum(receipts.values()), f"{_breakdown(in_order)}; {invoiced} partly or fully invoiced")


def _entered(conn: Connection) -> str:
    count, first, last = conn.execute(
        sa.select(sa.func.count(), sa.func.min(ap_invoice.c.invoice_date), sa.func.max(ap_invoice.c.invoice_date))
    ).one()
    return _row("entered AP invoices", count, f"dated {first} .. {last}" if count else "")


def _marketplace_section(url: str) -> str:
    with _connect(url, mp_invoice) as conn:
        if conn is None:
            return _heading("Marketplace", url) + "\n  not seeded yet: python -m demo"
        invoices, corrected, credit_notes, first, last = conn.execute(
            sa.select(
                sa.func.count(),
                sa.func.count().filter(mp_invoice.c.version > 1),
                sa.func.count().filter(mp_invoice.c.total_amount.like("-%")),
                sa.func.min(mp_invoice.c.updated_at),
                sa.func.max(mp_invoice.c.updated_at),
            )
        ).one()
        lines = conn.execute(sa.select(sa.func.count()).select_from(mp_invoice_line)).scalar_one()
        charges = _grouped(conn, mp_invoice_charge.c.charge_type)
    per_invoice = f"{lines / invoices:.1f} per invoice" if invoices else ""
    return "\n".join(
        [
            _heading("Marketplace", url),
            _row("invoices", invoices, f"{credit_notes} credit notes, {corrected} corrected (version 2)"),
            _row("lines", lines, per_invoice),
            _row("charges", sum(charges.values()), _breakdown(charges)),
            f"  {'changed':<{_LABEL_WIDTH}}{first:%Y-%m-%d %H:%M} .. {last:%Y-%m-%d %H:%M}" if invoices else "",
        ]
    ).rstrip()


def _manifest_section(path: Path | None) -> str:
    if path is None or not path.exists():
        return "Planted problems: no manifest found (it is written when the demo is seeded)"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    about = f"seed {manifest['seed']}, {manifest['invoices']} invoices, today {manifest['today']}"
    heading = f"Planted problems ({path}: {about})"
    counts = [_row(problem, count) for problem, count in manifest["problem_counts"].items()]
    return "\n".join([heading, *counts, f"  charge policy: {_policy_sentence(manifest['charge_policy'])}"])


def _policy_sentence(policy: dict[str, dict[str, str]]) -> str:
    limits = [f"{kind} up to {rule['amount']}" for kind, rule in policy.items() if rule["allowed"] == "up_to_amount"]
    never = [kind for kind, rule in policy.items() if rule["allowed"] == "never"]
    return f"{', '.join(limits)} per invoice; {' and '.join(never)} never"
