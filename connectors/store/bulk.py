"""Bulk inserts that let the database's unique keys settle conflicts, one dialect at a time.

A SELECT-then-INSERT would let two concurrent pulls insert the same invoice; the unique key
cannot be raced, so new rows are inserted with ON CONFLICT DO NOTHING (PostgreSQL, SQLite)
or INSERT IGNORE (MariaDB/MySQL), and upserts with ON CONFLICT / ON DUPLICATE KEY UPDATE.
Rows go as one executemany per table, which SQLAlchemy sends as multi-row statements.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Insert, Table
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import ReadOnlyColumnCollection

_ON_CONFLICT_INSERTS: dict[str, Callable[[Table], postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}
_MYSQL_FAMILY = {"mysql", "mariadb"}

Row = Mapping[str, Any]


def insert_new_rows(session: Session, table: Table, rows: Sequence[Row], key: Sequence[str]) -> int:
    """Insert the rows whose `key` is not in `table` yet; return how many were inserted."""
    return len(insert_returning_new(session, table, rows, key, returning=key))


def insert_returning_new(
    session: Session, table: Table, rows: Sequence[Row], key: Sequence[str], *, returning: Sequence[str]
) -> list[dict[str, Any]]:
    """Insert the rows whose `key` is not in `table` yet; return the `returning` columns of those inserted.

    Rows whose key exists (or repeats within `rows`) are skipped without an error, so the
    caller learns exactly which rows are its own, even with another writer at work. Sent as
    one executemany: SQLAlchemy's "insertmanyvalues" packs 1000 rows per statement and
    compiles the statement once (a hand-built multi-row VALUES is recompiled for every size).
    """
    if not rows:
        return []
    if _dialect_name(session) in _MYSQL_FAMILY:
        # IGNORE would also let through over-long values, but the domain models bound every
        # column the store fills, so here it only ever skips duplicate keys.
        statement: Insert = mysql.insert(table).prefix_with("IGNORE")
    else:
        statement = _ON_CONFLICT_INSERTS[_dialect_name(session)](table).on_conflict_do_nothing(index_elements=key)
    columns = [table.c[name] for name in returning]
    return [dict(row) for row in session.execute(statement.returning(*columns), list(rows)).mappings()]


def upsert_rows(session: Session, table: Table, rows: Sequence[Row], key: Sequence[str], update: Sequence[str]) -> None:
    """Insert the rows, or overwrite the `update` columns of the row already holding their `key`."""
    if not rows:
        return
    if _dialect_name(session) in _MYSQL_FAMILY:
        insert = mysql.insert(table)
        statement: Insert = insert.on_duplicate_key_update({column: insert.inserted[column] for column in update})
    else:
        on_conflict = _ON_CONFLICT_INSERTS[_dialect_name(session)](table)
        statement = on_conflict.on_conflict_do_update(
            index_elements=key, set_={column: on_conflict.excluded[column] for column in update}
        )
    session.execute(statement, list(rows))


def upsert_row(
    session: Session,
    table: Table,
    row: Row,
    key: Sequence[str],
    changes: Callable[[ReadOnlyColumnCollection[str, Any]], list[tuple[str, Any]]],
) -> None:
    """Insert `row`, or set the row already holding its `key` as `changes(incoming)` says: (column,
    expression) pairs over that row's columns and `incoming`, the row that was to be inserted.
    MariaDB assigns them in order, each seeing the ones before."""
    if _dialect_name(session) in _MYSQL_FAMILY:
        insert = mysql.insert(table)
        statement: Insert = insert.on_duplicate_key_update(changes(insert.inserted))
    else:
        on_conflict = _ON_CONFLICT_INSERTS[_dialect_name(session)](table)
        statement = on_conflict.on_conflict_do_update(index_elements=key, set_=dict(changes(on_conflict.excluded)))
    session.execute(statement, [row])


def _dialect_name(session: Session) -> str:
    name = session.get_bind().dialect.name
    if name not in _ON_CONFLICT_INSERTS and name not in _MYSQL_FAMILY:
        raise NotImplementedError(f"The process store supports SQLite, PostgreSQL and MariaDB, not {name}.")
    return name
