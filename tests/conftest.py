import os
import tempfile

# Prefect reads its settings when first imported: keep its files out of ~/.prefect, and no
# telemetry (this machine is offline, and a failed report prints a traceback).
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="prefect-home-"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from connectors.store import ProcessStore, make_engine
from connectors.store.migrate import upgrade
from tests.databases import KINDS, scratch_database
from tests.fakes import FakeClock


@pytest.fixture(params=KINDS)
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a fresh, empty database; the test runs once per kind (SQLite, PostgreSQL, MariaDB/pyodbc)."""
    with scratch_database(request.param, tmp_path_factory) as url:
        yield url


@pytest.fixture
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with scratch_database("postgresql", tmp_path_factory) as url:
        yield url


@pytest.fixture
def db_engine(db_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module", params=KINDS)
def migrated_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    with scratch_database(request.param, tmp_path_factory) as url:
        upgrade(url)
        engine = make_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture
def connection(migrated_engine: sa.Engine) -> Iterator[sa.Connection]:
    with migrated_engine.connect() as connection:
        outer = connection.begin()
        yield connection
        outer.rollback()


@pytest.fixture
def store(connection: sa.Connection) -> ProcessStore:
    return ProcessStore(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def race_engine(db_url: str) -> Iterator[sa.Engine]:
    """A migrated database of each kind, its own for the test, with no outer transaction: writers
    racing on their own connections see each other's commits."""
    upgrade(db_url)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()
