import os
import tempfile

# Prefect reads its settings when first imported: keep its files out of ~/.prefect, and no
# telemetry (this machine is offline, and a failed report prints a traceback).
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="prefect-home-"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

import contextlib
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from connectors.store import ProcessStore, make_engine
from connectors.store.migrate import upgrade
from demo.supervisor import answers_ok
from tests.databases import KINDS, scratch_database
from tests.fakes import FakeClock
from tests.mailroom import free_port


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


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Prefect server as `make demo` runs it (`prefect server start`, every service, its own
    SQLite), on a free port; its API URL. The test harness's server is an ephemeral one, which
    leaves some services out (the repossessor of lapsed concurrency leases among them). One per
    module that asks for it: it takes 10-20 s to start on a busy 2-core machine."""
    home = tmp_path_factory.mktemp("prefect-server")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"},
        stdin=subprocess.DEVNULL,
        stdout=(home / "server.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    api_url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 120
        while not answers_ok(f"{api_url}/health"):
            assert server.poll() is None and time.monotonic() < deadline, (home / "server.log").read_text()
            time.sleep(0.5)
        yield api_url
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=15)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait()
