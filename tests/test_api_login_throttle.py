"""Sign-ins under attack, over real HTTP (uvicorn): failures per username and per client address
get 429 with Retry-After before any password is checked, growing until time passes; password
checks (argon2id, 64 MiB each) are capped; authenticated requests keep answering during a flood."""

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from api.main import create_app
from benchmarks.login_flood import during_flood, flooded_api
from connectors.store import ProcessStore, accounts
from tests.api_fixtures import PASSWORD, prepare_databases, served, settings_in
from tests.fakes import FakeClock
from tests.mailroom import free_port

WRONG = "not the password at all"
# A flood from one address, but every sign-in gets as far as its password check (as from many addresses).
ANY_NUMBER_OF_FAILURES = {"sign_in_address_lockout_after_failures": 1000}


class CountingHasher(PasswordHasher):
    """argon2-cffi's own hasher, counting the password checks it runs and how many ran at once."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.checks = self.in_flight = self.most_at_once = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        with self._lock:
            self.checks += 1
            self.in_flight += 1
            self.most_at_once = max(self.most_at_once, self.in_flight)
        try:
            return super().verify(hash, password)
        finally:
            with self._lock:
                self.in_flight -= 1


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    counting = CountingHasher()
    monkeypatch.setattr(accounts, "_hasher", counting)
    return counting


@contextmanager
def api(tmp_path: Path, clock: FakeClock, **setting_values: Any) -> Iterator[httpx.Client]:
    """A client of the API served by uvicorn over fresh databases holding the clerk alice."""
    settings = settings_in(tmp_path, **setting_values)
    prepare_databases(settings)
    store = ProcessStore.from_url(settings.process_db_url)
    store.accounts.create_user("alice", PASSWORD, "clerk")
    store.close()
    with (
        served(create_app(settings, clock=clock), settings) as base_url,
        httpx.Client(base_url=base_url, timeout=60) as client,
    ):
        yield client


def sign_in(client: httpx.Client | TestClient, username: str, password: str, via: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": via} if via else {}
    return client.post("/api/v1/auth/login", json={"username": username, "password": password}, headers=headers)


def refusal(response: httpx.Response) -> tuple[int, str, str | None]:
    return response.status_code, response.json()["error"]["code"], response.headers.get("retry-after")


def test_failures_of_a_username_get_429_with_a_growing_retry_after_and_a_success_resets_them(
    tmp_path: Path, clock: FakeClock, hasher: CountingHasher
) -> None:
    with api(tmp_path, clock) as client:
        assert [sign_in(client, "alice", WRONG).status_code for _ in range(5)] == [401] * 5
        checks = hasher.checks

        assert refusal(sign_in(client, "alice", WRONG)) == (429, "too_many_sign_ins", "30")
        assert refusal(sign_in(client, "alice", PASSWORD)) == (429, "too_many_sign_ins", "30")
        assert hasher.checks == checks  # refused before any password check
        clock.advance(timedelta(seconds=20))
        assert refusal(sign_in(client, "alice", PASSWORD)) == (429, "too_many_sign_ins", "10")

        clock.advance(timedelta(seconds=10))
        assert sign_in(client, "alice", WRONG).status_code == 401  # allowed again, and wrong again
        assert refusal(sign_in(client, "alice", PASSWORD)) == (429, "too_many_sign_ins", "60")  # twice as long

        clock.advance(timedelta(seconds=60))
        assert sign_in(client, "alice", PASSWORD).status_code == 200
        assert [sign_in(client, "alice", WRONG).status_code for _ in range(5)] == [401] * 5  # counted afresh


def test_failures_from_one_address_get_429_whatever_the_username_and_a_forged_forwarded_for_changes_nothing(
    tmp_path: Path, clock: FakeClock
) -> None:
    with api(tmp_path, clock, sign_in_address_lockout_after_failures=3) as client:
        # No trusted proxy: X-Forwarded-For is the client's own claim, so every attempt is 127.0.0.1's.
        answers = [sign_in(client, f"guess-{n}", WRONG, via=f"198.51.100.{n}").status_code for n in range(3)]
        assert answers == [401] * 3

        assert refusal(sign_in(client, "guess-3", WRONG, via="198.51.100.3")) == (429, "too_many_sign_ins", "30")
        assert refusal(sign_in(client, "alice", PASSWORD)) == (429, "too_many_sign_ins", "30")
        clock.advance(timedelta(seconds=30))
        assert sign_in(client, "alice", PASSWORD).status_code == 200


def test_behind_a_trusted_proxy_the_forwarded_client_address_is_counted(tmp_path: Path, clock: FakeClock) -> None:
    with api(tmp_path, clock, sign_in_address_lockout_after_failures=3, trusted_proxies=("127.0.0.1",)) as client:
        assert [sign_in(client, f"guess-{n}", WRONG, via="203.0.113.9").status_code for n in range(3)] == [401] * 3

        assert sign_in(client, "guess-3", WRONG, via="203.0.113.9").status_code == 429
        assert sign_in(client, "alice", PASSWORD, via="198.51.100.1").status_code == 200  # another client


def flood_of_sign_ins(client: httpx.Client, count: int) -> list[httpx.Response]:
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda n: sign_in(client, f"intruder-{n}", WRONG), range(count)))


def test_no_more_password_checks_run_at_once_than_configured(
    tmp_path: Path, clock: FakeClock, hasher: CountingHasher
) -> None:
    with api(
        tmp_path, clock, password_checks_at_once=2, password_check_wait_seconds=60, **ANY_NUMBER_OF_FAILURES
    ) as client:
        answers = flood_of_sign_ins(client, 12)

    assert [answer.status_code for answer in answers] == [401] * 12
    assert hasher.checks == 12
    assert hasher.most_at_once == 2


def test_a_sign_in_that_waits_too_long_for_a_password_check_gets_503_with_retry_after(
    tmp_path: Path, clock: FakeClock, hasher: CountingHasher
) -> None:
    with api(
        tmp_path, clock, password_checks_at_once=1, password_check_wait_seconds=0.05, **ANY_NUMBER_OF_FAILURES
    ) as client:
        answers = flood_of_sign_ins(client, 10)

    busy = [answer for answer in answers if answer.status_code == 503]
    assert busy, "every sign-in found a free password check"
    assert {refusal(answer) for answer in busy} == {(503, "sign_ins_busy", "1")}
    assert {answer.status_code for answer in answers} == {401, 503}
    assert hasher.checks == len(answers) - len(busy)
    assert hasher.most_at_once == 1


def test_authenticated_requests_answer_within_2_s_during_a_login_flood(tmp_path: Path) -> None:
    """`python -m api` with 30 clients signing in with wrong passwords (a new username each time,
    the address limit lifted): a clerk's and a bot's requests still answer, each within 2 s. The
    latencies themselves are `make bench` figures."""
    with flooded_api(tmp_path, free_port()) as (base_url, _, headers):
        flood = during_flood(base_url, headers, calls=20)

    assert max(flood.latencies_ms) < 2000
    assert flood.sign_in_answers[401] >= 10  # the flood did check passwords meanwhile
    assert set(flood.sign_in_answers) <= {401, 503}


def test_api_processes_count_failures_together(tmp_path: Path, clock: FakeClock) -> None:
    """Two apps, as two worker processes have, over one process database: the lockout is shared."""
    settings = settings_in(tmp_path)
    prepare_databases(settings)
    with (
        TestClient(create_app(settings, clock=clock)) as first,
        TestClient(create_app(settings, clock=clock)) as second,
    ):
        answers = [sign_in(client, "nobody", WRONG).status_code for client in (first, second, first, second, first)]

        assert answers == [401] * 5
        assert refusal(sign_in(second, "nobody", WRONG)) == (429, "too_many_sign_ins", "30")
