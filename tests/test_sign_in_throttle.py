"""Failed sign-ins counted per username and per client address, with lockouts that double, in the
process database (SQLite, PostgreSQL, MariaDB): the use case over the store, and writers racing."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from connectors.store import ProcessStore
from connectors.store.accounts import IssuedToken
from connectors.store.tables import SignInFailureRow
from domain.clock import system_clock
from services.sign_in import ADDRESS, USERNAME, SignInPolicy, SignIns, Throttled
from tests.api_fixtures import PASSWORD
from tests.fakes import FakeClock

POLICY = SignInPolicy(
    lockout_after_failures=3,
    address_lockout_after_failures=5,
    first_lockout=timedelta(seconds=30),
    longest_lockout=timedelta(minutes=4),
    forget_after=timedelta(hours=1),
)
LIFETIME = timedelta(hours=1)
WRONG = "not the password at all"


@pytest.fixture
def sign_ins(connection: sa.Connection, clock: FakeClock) -> SignIns:
    store = ProcessStore(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"), clock=clock)
    store.accounts.create_user("alice", PASSWORD, "clerk")
    return SignIns(store, POLICY, clock)


def test_the_lockout_doubles_from_the_limit_up_to_the_ceiling() -> None:
    by_username = [POLICY.lockout(USERNAME, failures).total_seconds() for failures in range(1, 10)]
    by_address = [POLICY.lockout(ADDRESS, failures).total_seconds() for failures in range(1, 10)]

    assert by_username == [0, 0, 30, 60, 120, 240, 240, 240, 240]
    assert by_address == [0, 0, 0, 0, 30, 60, 120, 240, 240]
    assert POLICY.lockout(USERNAME, 10**9) == timedelta(minutes=4)  # no overflow however long it goes on


def test_failures_of_a_username_lock_it_out_for_longer_each_time_until_it_signs_in(
    sign_ins: SignIns, clock: FakeClock
) -> None:
    for _ in range(3):
        assert sign_ins.attempt("alice", WRONG, "198.51.100.1", lifetime=LIFETIME) is None

    # Locked out from any address, even with the right password, which is not checked.
    assert sign_ins.attempt("alice", PASSWORD, "198.51.100.2", lifetime=LIFETIME) == Throttled(30)
    clock.advance(timedelta(seconds=20))
    assert sign_ins.retry_after("alice", "198.51.100.3") == Throttled(10)
    clock.advance(timedelta(seconds=10))
    assert sign_ins.attempt("alice", WRONG, "198.51.100.1", lifetime=LIFETIME) is None  # allowed again: fails
    assert sign_ins.retry_after("alice", "198.51.100.1") == Throttled(60)  # twice as long
    clock.advance(timedelta(seconds=60))

    assert isinstance(sign_ins.attempt("alice", PASSWORD, "198.51.100.1", lifetime=LIFETIME), IssuedToken)

    # The success cleared the username's count: three more failures before the next lockout.
    for _ in range(2):
        assert sign_ins.attempt("alice", WRONG, "198.51.100.4", lifetime=LIFETIME) is None
    assert sign_ins.retry_after("alice", "198.51.100.4") is None


def test_failures_from_one_address_lock_it_out_whatever_the_usernames(sign_ins: SignIns, clock: FakeClock) -> None:
    for number in range(5):
        assert sign_ins.attempt(f"guess-{number}", WRONG, "203.0.113.9", lifetime=LIFETIME) is None

    assert sign_ins.attempt("alice", PASSWORD, "203.0.113.9", lifetime=LIFETIME) == Throttled(30)
    # Alice herself, from another address, is let in: her username has no failures.
    assert isinstance(sign_ins.attempt("alice", PASSWORD, "198.51.100.1", lifetime=LIFETIME), IssuedToken)
    clock.advance(timedelta(seconds=30))
    assert isinstance(sign_ins.attempt("alice", PASSWORD, "203.0.113.9", lifetime=LIFETIME), IssuedToken)
    # Alice's success cleared her username, not the address: its next failure locks it for longer.
    assert sign_ins.attempt("mallory", WRONG, "203.0.113.9", lifetime=LIFETIME) is None
    assert sign_ins.retry_after("someone", "203.0.113.9") == Throttled(60)


def test_failures_are_forgotten_after_a_quiet_hour_and_their_rows_deleted(
    sign_ins: SignIns, clock: FakeClock, connection: sa.Connection
) -> None:
    for _ in range(2):
        sign_ins.attempt("alice", WRONG, "198.51.100.1", lifetime=LIFETIME)
    sign_ins.attempt("bob", WRONG, "198.51.100.7", lifetime=LIFETIME)
    clock.advance(timedelta(hours=1, seconds=1))

    assert sign_ins.attempt("alice", WRONG, "198.51.100.1", lifetime=LIFETIME) is None

    assert sign_ins.retry_after("alice", "198.51.100.1") is None  # a third failure, but the first two are forgotten
    rows = connection.execute(sa.select(SignInFailureRow.kind, SignInFailureRow.subject, SignInFailureRow.failures))
    assert sorted(rows) == [(ADDRESS, "198.51.100.1", 1), (USERNAME, "alice", 1)]  # bob's quiet rows are gone


def test_failures_recorded_at_once_by_several_processes_are_all_counted(race_engine: sa.Engine) -> None:
    """API worker processes share the counts: writers racing on one username and address lose none."""
    writers, failures_each = 4, 10
    start = threading.Barrier(writers)

    def fail_repeatedly() -> None:
        store = ProcessStore(sessionmaker(bind=race_engine))
        start.wait()
        for _ in range(failures_each):
            store.sign_ins.record_failure(
                [(USERNAME, "alice"), (ADDRESS, "203.0.113.9")],
                forget_before=system_clock() - timedelta(hours=1),
                lockout=POLICY.lockout,
            )

    with ThreadPoolExecutor(max_workers=writers) as pool:
        for future in [pool.submit(fail_repeatedly) for _ in range(writers)]:
            future.result(timeout=120)

    with race_engine.connect() as connection:
        rows = connection.execute(sa.select(SignInFailureRow.kind, SignInFailureRow.failures))
        counts = {row.kind: row.failures for row in rows}
    assert counts == {USERNAME: writers * failures_each, ADDRESS: writers * failures_each}
