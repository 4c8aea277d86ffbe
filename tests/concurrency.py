"""For concurrency tests: a store whose transaction is held open (its row locks kept) until the
block ends, and calls released all at once."""

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from connectors.store import ProcessStore

WAIT_SECONDS = 10
T = TypeVar("T")


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


def all_at_once(pool: ThreadPoolExecutor, calls: list[Callable[[], T]]) -> list[T | Exception]:
    """Run the calls in parallel, released together by a barrier; each result or the error it raised."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T | Exception:
        barrier.wait(timeout=WAIT_SECONDS)
        try:
            return call()
        except Exception as error:  # collected for the test to judge
            return error

    return [future.result(timeout=WAIT_SECONDS * 3) for future in [pool.submit(run, call) for call in calls]]
