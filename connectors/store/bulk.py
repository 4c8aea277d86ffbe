"""Bulk inserts that let the database's unique keys settle conflicts, one dialect at a time.

A SELECT-then-INSERT would let two concurrent pulls insert the same invoice; the unique key
cannot be raced, so new rows are inserted with ON CONFLICT DO NOTHING (PostgreSQL, SQLite)
or INSERT IGNORE (MariaDB/MySQL), and upserts with ON CONFLICT / ON DUPLICATE KEY UPDATE.
Rows go in multi-row statements: one statement per table for a page of a few thousand rows.
"""

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.orm import Session

# Bound parameters per statement: under SQLite's 32,766 (PostgreSQL and MariaDB allow 65,535).
MAX_PARAMETERS = 30_000

_ON_CONFLICT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_MYSQL_FAMILY = {"mysql", "mariadb"}

Row = Mapping[str, Any]


def insert_new_rows(session: Session, table: Table, rows: Sequence[Row], key: Sequence[str]) -> int:
    """Insert the rows whose `key` is not in `table` yet; return how many were inserted."""
    dialect = _dialect_name(session)
    inserted = 0
    for chunk in _chunks(rows):
        if dialect in _MYSQL_FAMILY:
            # IGNORE would also let through over-long values, but the domain models bound every
            # column the store fills, so here it only ever skips duplicate keys.
            statement = mysql.insert(table).prefix_with("IGNORE").values(chunk)
        else:
            statement = _ON_CONFLICT_INSERTS[dialect](table).values(chunk).on_conflict_do_nothing(index_elements=key)
        # SQLAlchemy keeps an INSERT's row count only when asked to.
        inserted += session.execute(statement.execution_options(preserve_rowcount=True)).rowcount
    return inserted


def insert_returning_new(
    session: Session, table: Table, rows: Sequence[Row], key: Sequence[str], *, returning: Sequence[str]
) -> list[dict[str, Any]]:
    """Insert the rows whose `key` is not in `table` yet; return the `returning` columns of those inserted.

    Rows whose key exists (or repeats within `rows`) are skipped without an error, so the
    caller learns exactly which rows are its own, even with another writer at work.
    """
    dialect = _dialect_name(session)
    inserted: list[dict[str, Any]] = []
    columns = [table.c[name] for name in returning]
    for chunk in _chunks(rows):
        if dialect in _MYSQL_FAMILY:
            statement = mysql.insert(table).prefix_with("IGNORE").values(chunk)
        else:
            statement = _ON_CONFLICT_INSERTS[dialect](table).values(chunk).on_conflict_do_nothing(index_elements=key)
        inserted.extend(dict(row) for row in session.execute(statement.returning(*columns)).mappings())
    return inserted


def upsert_rows(
    session: Session, table: Table, rows: Sequence[Row], key: Sequence[str], update: Sequence[str]
) -> None:
    """Insert the rows, or overwrite the `update` columns of the row already holding their `key`."""
    dialect = _dialect_name(session)
    for chunk in _chunks(rows):
        if dialect in _MYSQL_FAMILY:
            insert = mysql.insert(table).values(chunk)
            statement = insert.on_duplicate_key_update({column: insert.inserted[column] for column in update})
        else:
            insert = _ON_CONFLICT_INSERTS[dialect](table).values(chunk)
            statement = insert.on_conflict_do_update(
                index_elements=key, set_={column: insert.excluded[column] for column in update}
            )
        session.execute(statement)


def _dialect_name(session: Session) -> str:
    name = session.get_bind().dialect.name
    if name not in _ON_CONFLICT_INSERTS and name not in _MYSQL_FAMILY:
        raise NotImplementedError(f"The process store supports SQLite, PostgreSQL and MariaDB, not {name}.")
    return name


def _chunks(rows: Sequence[Row]) -> Iterator[list[Row]]:
    if not rows:
        return
    rows_per_statement = max(1, MAX_PARAMETERS // len(rows[0]))
    for start in range(0, len(rows), rows_per_statement):
        yield list(rows[start : start + rows_per_statement])
