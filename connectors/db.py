"""Engines for the three databases, reading rows as dicts, and a statement counter for round-trip budgets."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

# Ids are INTEGER columns: 32-bit in PostgreSQL and MariaDB. A larger id is refused before a query,
# where it would overflow the database or its driver.
MIN_INTEGER_ID, MAX_INTEGER_ID = -(2**31), 2**31 - 1


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database on disk; None for an in-memory one or another database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def is_sqlite_in_memory(url: str) -> bool:
    """An in-memory SQLite database: private to the connection (and so to the process) that opened it."""
    return make_url(url).get_backend_name() == "sqlite" and sqlite_file(url) is None


def create_engine_for(url: str, **kwargs: object) -> sa.Engine:
    """An engine for `url`; a SQLite file's folder is created so a fresh clone needs no setup."""
    database = sqlite_file(url)
    if database is not None:
        database.parent.mkdir(parents=True, exist_ok=True)
    else:
        kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(url, **kwargs)


def rows_as_dicts(result: sa.CursorResult[Any]) -> list[dict[str, Any]]:
    """Every row of `result` as a plain dict, fetched at once: ~30 % faster than a dict of each
    RowMapping, which counts over the 200,000 marketplace and ERP rows of a large poll."""
    columns = list(result.keys())
    return [dict(zip(columns, row, strict=True)) for row in result.all()]


@dataclass
class StatementCount:
    statements: int = 0


@contextmanager
def count_statements(engine: sa.Engine | type[sa.Engine]) -> Iterator[StatementCount]:
    """Count the SQL statements (round trips) `engine` sends while the block runs (every engine: `sa.Engine`)."""
    count = StatementCount()

    def _count(*_args: object) -> None:
        count.statements += 1

    sa.event.listen(engine, "before_cursor_execute", _count)
    try:
        yield count
    finally:
        sa.event.remove(engine, "before_cursor_execute", _count)
