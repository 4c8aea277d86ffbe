"""Engines for the process store, with SQLite made properly transactional."""

from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from connectors.db import DatabaseTimeouts, limit_statements, refuse_abandoned_commits, with_timeouts

SQLITE_BUSY_TIMEOUT_SECONDS = 30
# SQLSTATEs of a transaction the database rolled back to break a deadlock or a serialization
# conflict (PostgreSQL 40P01/40001, MariaDB through ODBC 40001), and MariaDB's own error number.
_RETRYABLE = {"40001", "40P01", 1213}
# Execution option of a transaction that only reads (ProcessStore._reading): on SQLite a plain
# BEGIN, not BEGIN IMMEDIATE. Such a transaction must not write: it could not wait for the lock.
READ_ONLY = "process_store_read_only"


def make_engine(url: str, timeouts: DatabaseTimeouts | None = None, **engine_options: Any) -> Engine:
    """An engine for `url`, with `timeouts` on every wait when given; always use this one (not a
    bare create_engine) for the process store.

    On SQLite, Python's sqlite3 driver by default delays BEGIN until the first write, which
    breaks SAVEPOINTs and lets two writers read, then collide. Here every transaction starts
    with BEGIN IMMEDIATE instead: writers queue (up to the busy timeout) rather than fail; a
    transaction marked READ_ONLY starts with a plain BEGIN.
    """
    # Bulk inserts send up to 5000 rows per statement (SQLAlchemy still splits them below each
    # database's parameter limit): a batch then costs one statement per table.
    engine_options.setdefault("insertmanyvalues_page_size", 5000)
    engine_options.setdefault("json_serializer", json_text)
    if timeouts is not None:
        engine_options = with_timeouts(url, timeouts, engine_options)
    sqlite = make_url(url).get_backend_name() == "sqlite"
    if sqlite:
        engine_options.setdefault("connect_args", {}).setdefault("timeout", SQLITE_BUSY_TIMEOUT_SECONDS)
    engine = create_engine(url, **engine_options)
    if sqlite:
        event.listen(engine, "connect", _take_over_sqlite_transactions)
        event.listen(engine, "begin", _begin)
    if timeouts is not None:
        limit_statements(engine, timeouts)
        refuse_abandoned_commits(engine)
    return engine


def json_text(document: Any) -> str:
    """JSON columns are written by orjson: ~10x faster than the json module on a poll's entries
    and payloads, and as strict (a Decimal or other non-JSON value raises TypeError, never turns
    into a float; a NaN float, which no model of ours lets through, would become null)."""
    return orjson.dumps(document).decode()


def is_deadlock(error: DBAPIError) -> bool:
    """Whether the database chose this transaction as the victim of a deadlock: it was rolled back
    in full, so running it again is safe."""
    original = error.orig
    code = getattr(original, "sqlstate", None) or (original.args[0] if original is not None and original.args else None)
    return code in _RETRYABLE


def _take_over_sqlite_transactions(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # the driver no longer emits BEGIN; _begin_immediate does
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _begin(connection: Any) -> None:
    # A transaction that only reads takes no write lock, so it neither waits for a writer in
    # another process (a poll's worker, the API) nor holds one up.
    connection.exec_driver_sql("BEGIN" if connection.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")
