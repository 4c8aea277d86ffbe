"""Users and API keys in the store, and the `python -m api.accounts` command line."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from api.accounts import main
from connectors.store import ProcessStore
from connectors.store.accounts import WeakPasswordError
from connectors.store.migrate import upgrade

PASSWORD = "a long enough password"


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'process.db'}"
    upgrade(url)
    return url


def test_create_user_asks_twice_and_the_user_can_sign_in(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    answers = iter([PASSWORD, PASSWORD])

    assert main(["--url", url, "create-user", "alice", "--role", "admin"], read_password=lambda _: next(answers)) == 0

    store = ProcessStore.from_url(url)
    assert store.accounts.sign_in("alice", PASSWORD, lifetime=timedelta(minutes=5)) is not None
    store.close()
    assert "Created admin alice." in capsys.readouterr().out


def test_mismatched_or_weak_passwords_create_nothing(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    answers = iter([PASSWORD, PASSWORD + "!"])

    assert main(["--url", url, "create-user", "bob", "--role", "clerk"], read_password=lambda _: next(answers)) == 1
    assert main(["--url", url, "create-user", "bob", "--role", "clerk"], read_password=lambda _: "short") == 1

    assert "differ" in capsys.readouterr().err
    store = ProcessStore.from_url(url)
    assert store.accounts.list_users() == []
    with pytest.raises(WeakPasswordError):
        store.accounts.create_user("bob", "short", "clerk")
    store.close()


def test_password_from_stdin_set_password_and_deactivate(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["--url", url, "create-user", "carol", "--role", "clerk", "--password-stdin"]) == 0
    store = ProcessStore.from_url(url)
    session = store.accounts.sign_in("carol", PASSWORD, lifetime=timedelta(minutes=5))
    assert session is not None

    monkeypatch.setattr("sys.stdin", io.StringIO("another long password\n"))
    assert main(["--url", url, "set-password", "carol", "--password-stdin"]) == 0

    assert store.accounts.user_for_token(session.token) is None  # a new password ends the sessions
    assert store.accounts.sign_in("carol", PASSWORD, lifetime=timedelta(minutes=5)) is None
    assert store.accounts.sign_in("carol", "another long password", lifetime=timedelta(minutes=5)) is not None
    assert main(["--url", url, "deactivate-user", "carol"]) == 0
    assert store.accounts.sign_in("carol", "another long password", lifetime=timedelta(minutes=5)) is None
    store.close()


def test_a_key_is_printed_once_works_and_stops_working_when_revoked(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--url", url, "create-key", "uipath-01"]) == 0
    secret = capsys.readouterr().out.strip()
    store = ProcessStore.from_url(url)
    key = store.accounts.bot_for_key(secret)
    assert key is not None
    assert key.name == "uipath-01"
    assert store.accounts.bot_for_key(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None

    assert main(["--url", url, "list-keys"]) == 0
    listing = capsys.readouterr().out
    assert "uipath-01" in listing and secret not in listing
    assert main(["--url", url, "revoke-key", "uipath-01"]) == 0
    assert store.accounts.bot_for_key(secret) is None
    assert main(["--url", url, "revoke-key", "uipath-01"]) == 1  # nothing active left to revoke
    store.close()


def test_a_vendor_user_is_bound_to_its_vendor_and_only_vendor_users_are(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter([PASSWORD, PASSWORD])
    create = ["--url", url, "create-user", "acme", "--role", "vendor", "--vendor-id", "V1"]

    assert main(create, read_password=lambda _: next(answers)) == 0
    assert "Created vendor acme for vendor V1." in capsys.readouterr().out

    store = ProcessStore.from_url(url)
    try:
        issued = store.accounts.sign_in("acme", PASSWORD, lifetime=timedelta(minutes=5))
        assert issued is not None and issued.user.vendor_id == "V1"
        with pytest.raises(ValueError, match="vendor id"):
            store.accounts.create_user("nobody", PASSWORD, "vendor")
        with pytest.raises(ValueError, match="vendor id"):
            store.accounts.create_user("clerk", PASSWORD, "clerk", vendor_id="V1")
    finally:
        store.close()
    # the database holds the rule too: a clerk row with a vendor is refused
    engine = sa.create_engine(url)
    with engine.begin() as connection, pytest.raises(sa.exc.IntegrityError):
        connection.execute(sa.text("UPDATE users SET role = 'clerk' WHERE username = 'acme'"))
    engine.dispose()
