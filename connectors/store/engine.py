"""Engines for the process store, with SQLite made properly transactional."""

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

SQLITE_BUSY_TIMEOUT_SECONDS = 30


def make_engine(url: str, **engine_options: Any) -> Engine:
    """An engine for `url`; always use this one (not a bare create_engine) for the process store.

    On SQLite, Python's sqlite3 driver by default delays BEGIN until the first write, which
    breaks SAVEPOINTs and lets two writers read, then collide. Here every transaction starts
    with BEGIN IMMEDIATE instead: writers queue (up to the busy timeout) rather than fail.
    """
    # Bulk inserts send up to 5000 rows per statement (SQLAlchemy still splits them below each
    # database's parameter limit): a batch then costs one statement per table.
    engine_options.setdefault("insertmanyvalues_page_size", 5000)
    if make_url(url).get_backend_name() != "sqlite":
        return create_engine(url, **engine_options)
    engine_options.setdefault("connect_args", {}).setdefault("timeout", SQLITE_BUSY_TIMEOUT_SECONDS)
    engine = create_engine(url, **engine_options)
    event.listen(engine, "connect", _take_over_sqlite_transactions)
    event.listen(engine, "begin", _begin_immediate)
    return engine


def _take_over_sqlite_transactions(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # the driver no longer emits BEGIN; _begin_immediate does
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")
