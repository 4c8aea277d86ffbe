"""Every engine gives up in time: a statement running past the statement timeout is cancelled by
the database, and a checkout finding no free pooled connection fails at the pool timeout."""

import time
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from connectors.db import DatabaseTimeouts, create_engine_for, is_statement_timeout
from connectors.store import make_engine
from tests.databases import MARIADB_ADMIN_URL, POSTGRES_ADMIN_URL, require

TIMEOUTS = DatabaseTimeouts(connect=2, pool_checkout=1, statement=1)
SLEEP = {"postgresql": "SELECT pg_sleep(5)", "mysql": "SELECT SLEEP(5)"}


SERVERS = {"postgresql": POSTGRES_ADMIN_URL, "mariadb": MARIADB_ADMIN_URL}


@pytest.mark.parametrize("kind", SERVERS)
@pytest.mark.parametrize("factory", [create_engine_for, make_engine], ids=["connectors", "process-store"])
def test_a_statement_past_the_timeout_is_cancelled_as_a_database_outage(
    kind: str, factory: Callable[[str, DatabaseTimeouts], sa.Engine]
) -> None:
    require(kind)
    engine = factory(SERVERS[kind], TIMEOUTS)
    started = time.monotonic()
    try:
        with pytest.raises(sa.exc.DBAPIError) as raised, engine.connect() as connection:
            connection.execute(sa.text(SLEEP[engine.dialect.name]))
    finally:
        engine.dispose()

    assert time.monotonic() - started < 4
    # What the API answers with 503 database_unavailable (api/errors.py).
    assert isinstance(raised.value, sa.exc.OperationalError) or is_statement_timeout(raised.value)


def test_no_free_pooled_connection_fails_at_the_pool_timeout(db_url: str) -> None:
    engine = make_engine(db_url, TIMEOUTS, pool_size=1, max_overflow=0)
    try:
        with engine.connect():
            started = time.monotonic()
            with pytest.raises(sa.exc.TimeoutError):
                engine.connect()
            assert time.monotonic() - started < 3
    finally:
        engine.dispose()
