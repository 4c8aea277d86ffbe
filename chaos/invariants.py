"""What must hold after any fault, once the service has recovered (the next poll has run):

1. every marketplace invoice (its current version) is exactly one of: an entry, an intake error,
   or an inbox row still waiting because its PO is locked by another invoice (or an earlier
   version of it is with the bot);
2. every entry has exactly one creation event;
3. the locks match the live entries: a PO lock for each entry in a PO-locking status and no other,
   a version lock for each entry in a version-holding status and no other;
4. no invoice is entered twice: one entered entry per invoice and per vendor and normalised
   number, and one ERP document per entry, unless the entry is flagged `possible_double_entry`
   (then AP knows, and it is counted, not hidden).
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from connectors.erp.demo_schema import ap_invoice
from connectors.marketplace.schema import mp_invoice
from domain import PO_LOCKING_STATUSES, VERSION_HOLDING_STATUSES, EntryStatus, normalise_invoice_number


@dataclass
class Check:
    invoices: int = 0
    entries: int = 0
    entered: int = 0
    waiting_on_lock: int = 0
    intake_errors: int = 0
    flagged_double_entries: int = 0
    violations: list[str] = field(default_factory=list)


def check(marketplace_url: str, erp_url: str, process_url: str) -> Check:
    result = Check()
    marketplace, erp, process = (
        sa.create_engine(url, poolclass=sa.NullPool) for url in (marketplace_url, erp_url, process_url)
    )
    try:
        with marketplace.connect() as connection:
            current = {
                (str(invoice_id), version)
                for invoice_id, version in connection.execute(sa.select(mp_invoice.c.invoice_id, mp_invoice.c.version))
            }
        with process.connect() as connection:
            _each_invoice_once(connection, current, result)
            _one_creation_event(connection, result)
            _locks_match(connection, result)
            entered = _entered_once(connection, result)
        with erp.connect() as connection:
            _one_document_per_entry(connection, entered, result)
    finally:
        for engine in (marketplace, erp, process):
            engine.dispose()
    return result


def _rows(connection: sa.Connection, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in connection.execute(sa.text(sql))]


def _each_invoice_once(connection: sa.Connection, current: set[tuple[str, int]], result: Check) -> None:
    result.invoices = len(current)
    places: Counter[tuple[str, int]] = Counter()
    for key in _rows(connection, "SELECT source_invoice_id, version FROM process_scheduler"):
        places[key] += 1
    result.entries = sum(places.values())
    for key in _rows(connection, "SELECT source_invoice_id, version FROM intake_errors"):
        places[key] += 1
        result.intake_errors += 1
    locked_or_behind = """
        SELECT i.source_invoice_id, i.version FROM inbox i WHERE i.state = 'waiting' AND (
          EXISTS (SELECT 1 FROM po_locks l JOIN process_scheduler e ON e.id = l.entry_id
                  WHERE l.po_number = i.po_number AND e.source_invoice_id <> i.source_invoice_id)
          OR EXISTS (SELECT 1 FROM process_scheduler e WHERE e.source_invoice_id = i.source_invoice_id
                     AND e.version < i.version AND e.status = 'dispatched'))"""
    held = set(_rows(connection, locked_or_behind))
    for key in held:
        places[key] += 1
    result.waiting_on_lock = len(held)
    for invoice_id, version in _rows(
        connection, "SELECT source_invoice_id, version FROM inbox WHERE state = 'waiting'"
    ):
        if (invoice_id, version) not in held:
            result.violations.append(f"invoice {invoice_id} v{version} waits in the inbox with nothing holding it")
    for invoice_id, version, error in _rows(
        connection, "SELECT source_invoice_id, version, error FROM inbox WHERE state = 'failed'"
    ):
        result.violations.append(f"invoice {invoice_id} v{version} could not be recorded: {error}")
    for key in sorted(current):
        if places[key] != 1:
            result.violations.append(
                f"invoice {key[0]} v{key[1]} is in {places[key]} places (entry, intake error, waiting)"
            )


def _one_creation_event(connection: sa.Connection, result: Check) -> None:
    created = dict(
        _rows(connection, "SELECT entry_id, count(*) FROM entry_events WHERE from_status IS NULL GROUP BY entry_id")
    )
    for (entry_id,) in _rows(connection, "SELECT id FROM process_scheduler"):
        if created.get(entry_id) != 1:
            result.violations.append(f"entry {entry_id} has {created.get(entry_id, 0)} creation events")


def _in(statuses: frozenset[EntryStatus]) -> str:
    return ", ".join(f"'{status.value}'" for status in sorted(statuses))


def _locks_match(connection: sa.Connection, result: Check) -> None:
    locking = set(
        _rows(connection, f"SELECT id, po_number FROM process_scheduler WHERE status IN ({_in(PO_LOCKING_STATUSES)})")
    )
    po_locks = set(_rows(connection, "SELECT entry_id, po_number FROM po_locks"))
    for entry_id, po_number in sorted(locking ^ po_locks):
        what = "holds no lock" if (entry_id, po_number) in locking else "holds a lock it should not"
        result.violations.append(f"entry {entry_id} on {po_number} {what} (PO)")
    holding = set(
        _rows(connection, f"SELECT id FROM process_scheduler WHERE status IN ({_in(VERSION_HOLDING_STATUSES)})")
    )
    version_locks = set(_rows(connection, "SELECT entry_id FROM version_locks"))
    for (entry_id,) in sorted(holding ^ version_locks):
        what = "holds no version lock" if (entry_id,) in holding else "holds a version lock it should not"
        result.violations.append(f"entry {entry_id} {what}")


def _entered_once(connection: sa.Connection, result: Check) -> dict[tuple[str, str], tuple[int, bool]]:
    """The entered entries by vendor and normalised number → (entry id, flagged)."""
    entered = _rows(
        connection,
        "SELECT id, source_invoice_id, vendor_id, normalised_invoice_number, possible_double_entry "
        "FROM process_scheduler WHERE status = 'entered'",
    )
    result.entered = len(entered)
    result.flagged_double_entries = sum(1 for *_rest, flagged in entered if flagged)
    for label, keys in (
        ("invoice", Counter(invoice_id for _id, invoice_id, *_rest in entered)),
        ("vendor and number", Counter((vendor, number) for _id, _invoice, vendor, number, _flag in entered)),
    ):
        result.violations.extend(f"{label} {key} entered {n} times" for key, n in keys.items() if n > 1)
    return {(vendor, number): (entry_id, bool(flagged)) for entry_id, _invoice, vendor, number, flagged in entered}


def _one_document_per_entry(
    connection: sa.Connection, entered: dict[tuple[str, str], tuple[int, bool]], result: Check
) -> None:
    documents = Counter(
        (vendor, normalise_invoice_number(number))
        for vendor, number in connection.execute(sa.select(ap_invoice.c.vendor_id, ap_invoice.c.vendor_invoice_no))
    )
    for key, (entry_id, flagged) in entered.items():
        if documents[key] > 1 and not flagged:
            result.violations.append(f"entry {entry_id} is in the ERP {documents[key]} times and nobody was told")
