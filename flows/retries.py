"""Tasks that talk to a database: retried with backoff when it did not answer, never on a bug."""

from collections.abc import Callable
from typing import ParamSpec, TypeVar

import sqlalchemy as sa
from prefect import State, Task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import TaskRun
from prefect.tasks import exponential_backoff
from prefect.utilities.annotations import NotSet

P = ParamSpec("P")
R = TypeVar("R")

RETRIES = 3


def connector_failed(_task: Task[..., object], _run: TaskRun, state: State) -> bool:
    """Retry when a database did not answer or dropped the connection, not on a bug: a bug fails
    the run at once (its batch rolled back), to be seen and fixed rather than retried."""
    try:
        state.result()
    except sa.exc.DBAPIError as error:
        return isinstance(error, sa.exc.OperationalError | sa.exc.InterfaceError) or error.connection_invalidated
    except Exception:
        return False
    return False


def connector_task(*, cached: bool = True) -> Callable[[Callable[P, R]], Task[P, R]]:
    """`@connector_task()`: a Prefect task with the connector retries, its signature kept for
    type checkers. `cached=False`: never answered from a cache (arguments that cannot be hashed)."""

    def decorate(fn: Callable[P, R]) -> Task[P, R]:
        return Task(
            fn,
            retries=RETRIES,
            retry_delay_seconds=exponential_backoff(backoff_factor=10),
            retry_jitter_factor=0.5,
            retry_condition_fn=connector_failed,
            cache_policy=NotSet if cached else NO_CACHE,
        )

    return decorate
