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
from collections.abc import Generator, Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page, sync_playwright
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from prefect.testing.utilities import prefect_test_harness
from sqlalchemy.orm import sessionmaker

from chaos.private_postgres import PrivatePostgres, private_postgres
from connectors.store import ProcessStore, make_engine
from connectors.store.migrate import upgrade
from demo.supervisor import answers_ok
from tests.browsing import CALL_REPORT, launch, new_tab, save_failure_screenshot
from tests.databases import KINDS, require_postgres_binaries, scratch_database
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
def own_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL server of the test's own, to freeze and thaw (skipped, or failed under CI=true, where
    none can be started here)."""
    require_postgres_binaries()
    with private_postgres() as server:
        yield server


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
def clocked_store(connection: sa.Connection, clock: FakeClock) -> ProcessStore:
    """`store` on the test's FakeClock."""
    return ProcessStore(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"), clock=clock)


@pytest.fixture
def race_engine(db_url: str) -> Iterator[sa.Engine]:
    """A migrated database of each kind, its own for the test, with no outer transaction: writers
    racing on their own connections see each other's commits."""
    upgrade(db_url)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """Prefect's test harness (its own server), once per session for the modules that run flows;
    they share one xdist worker (group "prefect")."""
    # Heartbeats would add ~1 s to every flow run; tests do not need them. The server gets 120 s to
    # start, not the harness's 30: on the shared 2-core machine it once took longer, under load.
    with (
        temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
        prefect_test_harness(server_startup_timeout=120),
    ):
        yield


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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # The call's report on the test item, so that the browser fixture knows whether to keep a screenshot.
    report: pytest.TestReport = yield
    if report.when == "call":
        item.stash[CALL_REPORT] = report
    return report


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (no browser download: the system one).

    Module-scoped: while Playwright's sync API runs, asyncio sees an event loop running in this
    thread, and Prefect's sync-or-async functions would then hand other tests coroutines."""
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser tab at 1280 × 900; when the test fails, a screenshot of it is kept (the path is printed)."""
    tab = new_tab(browser)
    yield tab
    report = request.node.stash.get(CALL_REPORT, None)
    if report is not None and report.failed:
        print(f"screenshot of the failed test: {save_failure_screenshot(tab, request.node.name)}")
    tab.context.close()
