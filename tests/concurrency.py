"""Stores for concurrency tests: one whose transaction is held open, its row locks kept, until the block ends."""

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from connectors.store import ProcessStore


@contextmanager
def held_open(engine: sa.Engine, *, commit: bool = True) -> Iterator[ProcessStore]:
    """A store whose calls stay uncommitted (their row locks held) until the block ends."""
    with engine.connect() as connection:
        transaction = connection.begin()
        yield ProcessStore(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
        if commit:
            transaction.commit()
        else:
            transaction.rollback()
