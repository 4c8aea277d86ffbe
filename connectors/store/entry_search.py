"""The work queue: entries by any `EntryFilter`, in any `EntrySort`, a page at a time; how many
of them are in each status; and all of them for an export, a chunk at a time.

Pages follow each other by keyset (sort key, id), never OFFSET, so the hundredth page costs what
the first does. Summary columns only: the invoice, payload and findings documents stay in the
database.
"""

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from connectors.store.base import StorePart
from connectors.store.entry_filter import EntryFilter, EntrySort, conditions
from connectors.store.read_models import QueueEntry, SearchPage
from connectors.store.search_cursor import CursorPosition, decode_cursor, encode_cursor
from connectors.store.tables import EntryRow
from domain import EntryStatus

# What a queue row holds, in this order: an export's rows are plain tuples of these values.
EXPORT_COLUMNS: tuple[str, ...] = tuple(QueueEntry.model_fields)
_QUEUE_COLUMNS = tuple(getattr(EntryRow, name) for name in EXPORT_COLUMNS)
_ID, _UPDATED_AT = EXPORT_COLUMNS.index("id"), EXPORT_COLUMNS.index("updated_at")
# Entries an export reads per query: its memory stays that of one chunk, however many match.
EXPORT_CHUNK = 1000


class EntrySearch(StorePart):
    def search(
        self,
        filter: EntryFilter | None = None,
        sort: EntrySort | None = None,
        limit: int = 50,
        after: str | None = None,
    ) -> SearchPage:
        """The entries matching `filter` in `sort` order (newest first by default), `limit`
        of them, after the position `after` (the previous page's `next_cursor`).

        One query, plus one look-up of the cursor's entry when sorting by invoice date, total or
        vendor (or by updated_at with a cursor of the first list API). A cursor whose entry does
        not exist gives an empty page. Raises InvalidCursorError for a cursor not issued here.
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        rows, more = self._page(filter, sort, limit, after)
        entries = tuple(QueueEntry.from_columns(dict(zip(EXPORT_COLUMNS, row, strict=True))) for row in rows)
        return SearchPage(entries=entries, next_cursor=_cursor_after(rows) if more else None)

    def status_counts(self, filter: EntryFilter | None = None) -> dict[EntryStatus, int]:
        """How many entries of the filter, its status left out, are in each status (every status,
        zero included): the queue's status tabs. One GROUP BY query."""
        unfiltered = (filter or EntryFilter()).model_copy(update={"status": None, "status_in": None})
        query = select(EntryRow.status, func.count()).where(*conditions(unfiltered)).group_by(EntryRow.status)
        with self._reading() as session:
            counted = dict(session.execute(query).tuples().all())
        return {status: counted.get(status.value, 0) for status in EntryStatus}

    def export_chunks(
        self, filter: EntryFilter | None = None, sort: EntrySort | None = None
    ) -> Iterator[Sequence[tuple[Any, ...]]]:
        """Every entry of the filter in `sort` order, EXPORT_CHUNK at a time (one empty chunk when
        none matches), each as the tuple of its EXPORT_COLUMNS values as the columns read them (a
        status as its text): no model per row, which would take most of a large export's time.

        Each chunk is a page of its own, in a short transaction: a download the client reads
        slowly holds no transaction open (on SQLite, an open read would keep the poll from
        committing). An entry that changes meanwhile moves only in the updated_at order, where it
        may then be listed twice or not at all. The next chunk is read (in a thread of its own)
        while the caller handles this one: the database's time and the caller's overlap.
        """
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-read") as reader:
            coming = reader.submit(self._page, filter, sort, EXPORT_CHUNK, None)
            while True:
                rows, more = coming.result()
                if more:
                    coming = reader.submit(self._page, filter, sort, EXPORT_CHUNK, _cursor_after(rows))
                yield rows
                if not more:
                    return

    def _page(
        self, entry_filter: EntryFilter | None, sort: EntrySort | None, limit: int, after: str | None
    ) -> tuple[Sequence[tuple[Any, ...]], bool]:
        """Up to `limit` rows after `after`, and whether more follow."""
        entry_filter, sort = entry_filter or EntryFilter(), sort or EntrySort()
        position = None if after is None else decode_cursor(after)
        query = _ordered(select(*_QUEUE_COLUMNS).where(*conditions(entry_filter)), sort).limit(limit + 1)
        with self._reading() as session:
            if position is not None:
                anchor = _anchor_value(session, sort, position)
                if anchor is None:
                    return (), False
                query = query.where(_after(sort, anchor, position.entry_id))
            # Core, not the ORM: plain column values need none of its per-row work.
            rows = session.connection().execute(query).tuples().all()
        return rows[:limit], len(rows) > limit


def _cursor_after(rows: Sequence[tuple[Any, ...]]) -> str:
    return encode_cursor(rows[-1][_ID], rows[-1][_UPDATED_AT])


def _sort_column(sort: EntrySort) -> InstrumentedAttribute[Any]:
    column: InstrumentedAttribute[Any] = getattr(EntryRow, sort.key)
    return column


def _ordered(query: Select[Any], sort: EntrySort) -> Select[Any]:
    columns = [_sort_column(sort)] + ([EntryRow.id] if sort.key != "id" else [])
    return query.order_by(*(column.desc() if sort.descending else column.asc() for column in columns))


def _anchor_value(session: Session, sort: EntrySort, position: CursorPosition) -> Any:
    """The sort key's value at the cursor's position: its own, or its entry's (None: no such entry)."""
    if sort.key == "id":
        return position.entry_id
    if sort.key == "updated_at" and position.updated_at is not None:
        return position.updated_at
    return session.scalar(select(_sort_column(sort)).where(EntryRow.id == position.entry_id))


def _after(sort: EntrySort, value: Any, entry_id: int) -> ColumnElement[bool]:
    """Entries after (value, entry_id) in the sort order. Written as `key <= value AND (key < value
    OR id < entry_id)` (descending) so that the (key, id) index bounds the scan on every database."""
    if sort.key == "id":  # the value is the id
        return EntryRow.id < entry_id if sort.descending else EntryRow.id > entry_id
    column = _sort_column(sort)
    if sort.descending:
        return and_(column <= value, or_(column < value, EntryRow.id < entry_id))
    return and_(column >= value, or_(column > value, EntryRow.id > entry_id))
