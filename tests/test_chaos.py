"""The fault scenarios of `make chaos`, once each on PostgreSQL, with the invariants checked after
the recovering poll: kill -9 of the poll, the database stopped mid-poll (a server of the test's
own), two polls at once, two bots racing with replayed and contradicting callbacks, a stale
dispatch whose callback comes late. `pytest -m chaos` runs only these."""

from pathlib import Path

import pytest

from chaos.__main__ import ON_PRIVATE_SERVER, SCENARIOS, run_once
from tests.databases import POSTGRES_ADMIN_URL, require, require_postgres_binaries

pytestmark = [pytest.mark.chaos, pytest.mark.postgres]


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_the_invariants_hold_after_the_fault(scenario: str, tmp_path: Path) -> None:
    require("postgresql")
    if scenario in ON_PRIVATE_SERVER:
        require_postgres_binaries()

    check, outcome = run_once(scenario, postgres_url=POSTGRES_ADMIN_URL, invoices=200, seed=3, folder=tmp_path)

    assert (outcome.problems, check.violations) == ([], [])
    assert outcome.faults >= 1
    assert check.invoices == 200
    assert check.entries > 0
    if scenario in ("bots-racing", "stale-late-callback"):
        assert check.entered > 0
