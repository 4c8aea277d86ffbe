"""What every part of the process store shares: its sessions, its clock, how an invoice version is keyed."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import and_, case, func
from sqlalchemy.orm import Session, sessionmaker

from connectors.store.engine import READ_ONLY
from connectors.store.tables import EntryRow, InboxRow
from domain import InvoiceKey
from domain.clock import Clock

# The columns that identify an invoice version, in the inbox and in process_scheduler alike.
INVOICE_KEY = ("source", "source_invoice_id", "version")


class StorePart:
    """One concern of the store: its transactions come from `sessions`, its time from `clock`.

    Every public method of a part is one transaction.
    """

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        """A transaction that only reads. On SQLite it takes no write lock, so the poll's judging
        processes and the API read while another process records (engine.READ_ONLY)."""
        with self._sessions.begin() as session:
            session.connection(execution_options={READ_ONLY: True})
            yield session


def key_of(row: Mapping[str, Any]) -> InvoiceKey:
    return InvoiceKey(source=row["source"], source_invoice_id=row["source_invoice_id"], version=row["version"])


def matches_key(row_class: type[InboxRow] | type[EntryRow], key: InvoiceKey) -> list[Any]:
    return [
        row_class.source == key.source,
        row_class.source_invoice_id == key.source_invoice_id,
        row_class.version == key.version,
    ]


def how_many(*conditions: Any) -> Any:
    """The rows meeting every condition, as a column of an aggregate query (SUM(CASE ...): MariaDB has
    no COUNT(*) FILTER)."""
    return func.coalesce(func.sum(case((and_(*conditions), 1), else_=0)), 0)
