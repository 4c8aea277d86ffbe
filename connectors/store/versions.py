"""One version of an invoice is live or entered at a time.

`version_locks` holds, per invoice (source, source invoice id), the entry that is live or
entered; its primary key lets only one writer give an invoice a live version. A newer version
supersedes an earlier live one (ready, in review, failed by the bot) at once, in the transaction
that pulls or records it; an earlier version with the bot (dispatched) is waited for; an entered
one stays, and the newer version is judged against it (a correction AP settles with a credit note).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, and_, bindparam, func, insert, select, union_all, update
from sqlalchemy.orm import Session

from connectors.store.bulk import insert_returning_new
from connectors.store.outbox import WebhookOutbox, event_data
from connectors.store.tables import (
    INBOX_WAITING,
    INBOX_WITHDRAWN,
    NAME,
    EntryEventRow,
    EntryRow,
    InboxRow,
    POLockRow,
    VersionLockRow,
)
from domain import SUPERSEDABLE_STATUSES, EntryStatus, InvoiceKey

Identity = tuple[str, str]  # (source, source invoice id): every version of one invoice

_IDENTITY_COLUMNS = ("id", "source", "source_invoice_id", "version", "vendor_id", "invoice_number", "po_number")


def identity_of(key: InvoiceKey) -> Identity:
    return (key.source, key.source_invoice_id)


@dataclass(frozen=True)
class VersionHolder:
    """The entry holding an invoice's version lock."""

    entry_id: int
    version: int
    status: EntryStatus


def _of_identities(source_column: Any, id_column: Any, identities: Iterable[Identity]) -> Any:
    """A WHERE clause matching these invoices (by id first: indexed, and portable unlike tuple IN)."""
    wanted = sorted(set(identities))
    by_id = id_column.in_(sorted({invoice_id for _source, invoice_id in wanted}))
    sources = sorted({source for source, _invoice_id in wanted})
    return and_(by_id, source_column.in_(sources))


def version_holders(session: Session, identities: Iterable[Identity]) -> dict[Identity, VersionHolder]:
    """The entries holding these invoices' version locks. A plain read: what it decides (wait for
    the bot) is safe if outdated, because `version_locks`' primary key settles who is live."""
    wanted = set(identities)
    if not wanted:
        return {}
    query = (
        select(VersionLockRow.source, VersionLockRow.source_invoice_id, EntryRow.id, EntryRow.version, EntryRow.status)
        .join(EntryRow, EntryRow.id == VersionLockRow.entry_id)
        .where(_of_identities(VersionLockRow.source, VersionLockRow.source_invoice_id, wanted))
    )
    return {
        (source, invoice_id): VersionHolder(entry_id, version, EntryStatus(status))
        for source, invoice_id, entry_id, version, status in session.execute(query).tuples()
        if (source, invoice_id) in wanted
    }


def newest_known_versions(session: Session, identities: Iterable[Identity]) -> dict[Identity, int]:
    """The newest version pulled or judged of each of these invoices."""
    wanted = set(identities)
    newest: dict[Identity, int] = {}
    if not wanted:
        return newest
    # pulled versions are in the inbox; versions validated through the API only in process_scheduler
    pulled, judged = (
        select(table.source, table.source_invoice_id, func.max(table.version).label("version"))
        .where(_of_identities(table.source, table.source_invoice_id, wanted))
        .group_by(table.source, table.source_invoice_id)
        for table in (InboxRow, EntryRow)
    )
    for source, invoice_id, version in session.execute(union_all(pulled, judged)).tuples():
        if (source, invoice_id) in wanted:
            newest[(source, invoice_id)] = max(newest.get((source, invoice_id), 0), version)
    return newest


def withdraw_earlier_waiting(session: Session, newest: Mapping[Identity, int]) -> None:
    """Inbox rows of these invoices older than their newest version, still waiting: never judged now."""
    if not newest:
        return
    inbox = InboxRow.__table__
    session.execute(
        update(inbox)
        .where(
            inbox.c.source == bindparam("b_source"),
            inbox.c.source_invoice_id == bindparam("b_source_invoice_id"),
            inbox.c.version < bindparam("b_version"),
            inbox.c.state == INBOX_WAITING,
        )
        .values(state=INBOX_WITHDRAWN),
        [{"b_source": s, "b_source_invoice_id": i, "b_version": v} for (s, i), v in sorted(newest.items())],
    )


def supersede_earlier(
    session: Session,
    newest: Mapping[Identity, int],
    outbox: WebhookOutbox,
    *,
    actor: str,
    flow_run_id: str | None,
    now: datetime,
) -> list[int]:
    """Entries of these invoices older than their newest version that are ready, in review or
    failed by the bot become superseded: PO and version locks released, one audit event and its
    webhooks each. A constant number of statements; returns the superseded entries' ids."""
    if not newest:
        return []
    supersedable = [status.value for status in SUPERSEDABLE_STATUSES]
    columns = (*(EntryRow.__table__.c[name] for name in _IDENTITY_COLUMNS), EntryRow.status, EntryRow.erp_document_id)

    def earlier_than_newest(rows: Iterable[RowMapping]) -> list[dict[str, Any]]:
        return [dict(r) for r in rows if r["version"] < newest.get((r["source"], r["source_invoice_id"]), 0)]

    # Found by a plain read, then locked by primary key and read again: a locking read over a range
    # would take gap locks on MariaDB, which concurrent recorders' inserts then deadlock on.
    found = earlier_than_newest(
        session.execute(
            select(*columns).where(
                _of_identities(EntryRow.source, EntryRow.source_invoice_id, newest), EntryRow.status.in_(supersedable)
            )
        ).mappings()
    )
    if not found:
        return []
    # Locked like any entry that changes status, so a concurrent approval waits and then sees it superseded.
    locked = select(*columns).where(EntryRow.id.in_(sorted(row["id"] for row in found))).order_by(EntryRow.id)
    earlier = [
        row
        for row in earlier_than_newest(session.execute(locked.with_for_update()).mappings())
        if row["status"] in supersedable
    ]
    if not earlier:
        return []
    ids = [row["id"] for row in earlier]
    session.execute(
        update(EntryRow.__table__)
        .where(EntryRow.__table__.c.id == bindparam("b_id"))
        .values(
            status=EntryStatus.SUPERSEDED.value,
            superseded_by_version=bindparam("b_by"),
            dispatched_to=None,
            failure_reason=None,
            updated_at=now,
        ),
        [{"b_id": row["id"], "b_by": newest[(row["source"], row["source_invoice_id"])]} for row in earlier],
    )
    session.execute(POLockRow.__table__.delete().where(POLockRow.__table__.c.entry_id.in_(ids)))
    session.execute(VersionLockRow.__table__.delete().where(VersionLockRow.__table__.c.entry_id.in_(ids)))
    events = [
        {
            "entry_id": row["id"],
            "from_status": row["status"],
            "to_status": EntryStatus.SUPERSEDED.value,
            "actor": actor[:NAME],
            "reason": f"superseded by version {newest[(row['source'], row['source_invoice_id'])]} of the invoice",
            "flow_run_id": flow_run_id,
            "occurred_at": now,
        }
        for row in earlier
    ]
    session.execute(insert(EntryEventRow.__table__), events)
    outbox.queue(session, lambda: [event_data(row, event) for row, event in zip(earlier, events, strict=True)], now)
    return ids


def take_version_locks(session: Session, entries: Sequence[Mapping[str, Any]], now: datetime) -> set[int]:
    """Version locks for these freshly recorded entries (each with id, source, source_invoice_id,
    version); returns the ids of those whose invoice another entry holds (they must not stay live)."""
    rows = [
        {
            "source": e["source"],
            "source_invoice_id": e["source_invoice_id"],
            "entry_id": e["id"],
            "version": e["version"],
            "locked_at": now,
        }
        for e in sorted(entries, key=lambda e: (e["source"], e["source_invoice_id"]))
    ]
    taken = insert_returning_new(
        session, VersionLockRow.__table__, rows, ("source", "source_invoice_id"), returning=("entry_id",)
    )
    return {e["id"] for e in entries} - {row["entry_id"] for row in taken}


def release_version_lock(session: Session, entry_id: int) -> None:
    session.execute(VersionLockRow.__table__.delete().where(VersionLockRow.__table__.c.entry_id == entry_id))


@dataclass(frozen=True)
class VersionSettlement:
    """What the versions of a batch's invoices allow."""

    withdrawn: frozenset[InvoiceKey]  # a newer version of it is known: never judged
    waiting: frozenset[InvoiceKey]  # an earlier version is with the bot: waits for its callback


def settle_versions(
    session: Session,
    keys: Iterable[InvoiceKey],
    outbox: WebhookOutbox,
    *,
    actor: str,
    flow_run_id: str | None,
    now: datetime,
) -> VersionSettlement:
    """Before invoice versions are recorded: withdraw those a newer version made outdated (and
    any older version still waiting), supersede earlier versions that are live but not with the
    bot, and name those that must wait for the bot. Only superseded entries are locked (by
    primary key, as every status change locks its entry); who becomes live is settled when the
    recorded entries take their version locks."""
    keys = set(keys)
    newest = newest_known_versions(session, {identity_of(key) for key in keys})
    withdrawn = frozenset(key for key in keys if newest.get(identity_of(key), key.version) > key.version)
    for key in keys:  # the version being recorded counts too: it may be known nowhere else yet (the API)
        newest[identity_of(key)] = max(newest.get(identity_of(key), 0), key.version)
    withdraw_earlier_waiting(session, {identity: version for identity, version in newest.items() if version > 1})
    # a first version has no earlier one to supersede or wait for
    current = {identity_of(key): key.version for key in keys - withdrawn if key.version > 1}
    supersede_earlier(session, current, outbox, actor=actor, flow_run_id=flow_run_id, now=now)
    holders = version_holders(session, current)
    waiting = frozenset(
        key
        for key in keys - withdrawn
        if (holder := holders.get(identity_of(key))) is not None
        and holder.version < key.version
        and holder.status is EntryStatus.DISPATCHED
    )
    return VersionSettlement(withdrawn=withdrawn, waiting=waiting)
