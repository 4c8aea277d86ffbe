"""`AccountStore`: AP users with their sign-in tokens, and the bots' API keys.

Secrets never reach the database: passwords as argon2id hashes, session tokens and API keys as
SHA-256 digests (they are long random strings, so a fast digest is enough and lets every request
check one in microseconds). Keys and tokens are compared in constant time.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from connectors.store.base import StorePart
from connectors.store.errors import StoreError
from connectors.store.tables import ROLES, VENDOR_ROLE, ApiKeyRow, UserRow, UserTokenRow

Role = Literal["admin", "clerk", "vendor"]

SESSION_TOKEN_PREFIX = "ias_"
API_KEY_PREFIX = "iak_"
_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 12


class UserExistsError(StoreError):
    def __init__(self, username: str) -> None:
        super().__init__(f"There is already a user named {username!r}.")


class UserNotFoundError(StoreError):
    def __init__(self, username: str) -> None:
        super().__init__(f"There is no user named {username!r}.")


class ApiKeyExistsError(StoreError):
    def __init__(self, name: str) -> None:
        super().__init__(f"There is already an API key named {name!r}; revoke it or choose another name.")


class ApiKeyNotFoundError(StoreError):
    def __init__(self, name: str) -> None:
        super().__init__(f"There is no active API key named {name!r}.")


class WeakPasswordError(StoreError):
    def __init__(self) -> None:
        super().__init__(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")


class _Account(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)


class User(_Account):
    id: int
    username: str
    role: Role
    vendor_id: str | None = None  # the vendor a vendor user speaks for
    is_active: bool
    created_at: datetime


class ApiKey(_Account):
    id: int
    name: str
    prefix: str
    created_at: datetime
    created_by: str
    revoked_at: datetime | None


@dataclass(frozen=True)
class IssuedToken:
    """A session token, given to the user once at login; only its digest is stored."""

    token: str
    expires_at: datetime
    user: User


@dataclass(frozen=True)
class IssuedApiKey:
    """A new API key: `secret` is shown once to whoever created it and never again."""

    key: ApiKey
    secret: str


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class AccountStore(StorePart):
    # ------------------------------------------------------------------ users

    def create_user(self, username: str, password: str, role: Role, *, vendor_id: str | None = None) -> User:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        if (role == VENDOR_ROLE) != (vendor_id is not None):
            raise ValueError("a vendor user needs the vendor id it speaks for, and only a vendor user has one")
        _check_password(password)
        now = self._clock()
        row = UserRow(
            username=username,
            role=role,
            vendor_id=vendor_id,
            password_hash=_hasher.hash(password),
            is_active=True,
            created_at=now,
            updated_at=now,
        )
        try:
            with self._sessions.begin() as session:
                session.add(row)
                session.flush()
                return User.model_validate(row)
        except IntegrityError:
            raise UserExistsError(username) from None

    def list_users(self) -> list[User]:
        with self._sessions.begin() as session:
            return [User.model_validate(row) for row in session.scalars(select(UserRow).order_by(UserRow.username))]

    def set_password(self, username: str, password: str) -> None:
        """A new password; every session of the user ends."""
        _check_password(password)
        self._update_user(username, password_hash=_hasher.hash(password))

    def deactivate_user(self, username: str) -> None:
        """The user can no longer sign in; every session of the user ends."""
        self._update_user(username, is_active=False)

    def _update_user(self, username: str, **values: object) -> None:
        now = self._clock()
        with self._sessions.begin() as session:
            user_id = session.scalar(select(UserRow.id).where(UserRow.username == username).with_for_update())
            if user_id is None:
                raise UserNotFoundError(username)
            session.execute(update(UserRow).where(UserRow.id == user_id).values(updated_at=now, **values))
            session.execute(
                update(UserTokenRow)
                .where(UserTokenRow.user_id == user_id, UserTokenRow.revoked_at.is_(None))
                .values(revoked_at=now)
            )

    # ------------------------------------------------------------------ sessions

    def sign_in(self, username: str, password: str, *, lifetime: timedelta) -> IssuedToken | None:
        """A session token for an active user whose password matches, else None (whatever was wrong)."""
        with self._reading() as session:
            found = session.execute(
                select(UserRow.id, UserRow.password_hash).where(
                    UserRow.username == username, UserRow.is_active.is_(True)
                )
            ).one_or_none()
        # The password is checked outside any transaction: argon2 takes tenths of a second, and on
        # SQLite a transaction that writes would hold up every other writer meanwhile.
        if found is None:
            _verify(_dummy_hash(), password)  # so a wrong username takes as long as a wrong password
            return None
        user_id, password_hash = found
        if not _verify(password_hash, password):
            return None
        # Hashing parameters raised since the password was set: store it hashed with the new ones.
        new_hash = _hasher.hash(password) if _hasher.check_needs_rehash(password_hash) else None
        token = SESSION_TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self._clock()
        with self._sessions.begin() as session:
            row = session.scalars(
                select(UserRow)
                .where(UserRow.id == user_id, UserRow.is_active.is_(True), UserRow.password_hash == password_hash)
                .with_for_update()
            ).one_or_none()
            if row is None:  # deactivated, or given a new password, while this one was checked
                return None
            if new_hash is not None:
                row.password_hash = new_hash
            session.add(
                UserTokenRow(token_hash=digest(token), user_id=row.id, created_at=now, expires_at=now + lifetime)
            )
            return IssuedToken(token=token, expires_at=now + lifetime, user=User.model_validate(row))

    def user_for_token(self, token: str) -> User | None:
        """The active user a live (unexpired, not signed out) session token belongs to."""
        query = (
            select(UserRow)
            .join(UserTokenRow, UserTokenRow.user_id == UserRow.id)
            .where(
                UserTokenRow.token_hash == digest(token),
                UserTokenRow.revoked_at.is_(None),
                UserTokenRow.expires_at > self._clock(),
                UserRow.is_active.is_(True),
            )
        )
        with self._reading() as session:  # on SQLite, no write lock: never waits for a writer
            row = session.scalars(query).one_or_none()
            return None if row is None else User.model_validate(row)

    def sign_out(self, token: str) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(UserTokenRow)
                .where(UserTokenRow.token_hash == digest(token), UserTokenRow.revoked_at.is_(None))
                .values(revoked_at=self._clock())
            )

    # ------------------------------------------------------------------ API keys

    def create_api_key(self, name: str, *, created_by: str) -> IssuedApiKey:
        prefix = secrets.token_hex(4)
        secret = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        row = ApiKeyRow(
            name=name, prefix=prefix, key_hash=digest(secret), created_at=self._clock(), created_by=created_by
        )
        try:
            with self._sessions.begin() as session:
                session.add(row)
                session.flush()
                return IssuedApiKey(key=ApiKey.model_validate(row), secret=secret)
        except IntegrityError:
            raise ApiKeyExistsError(name) from None

    def list_api_keys(self) -> list[ApiKey]:
        with self._sessions.begin() as session:
            return [ApiKey.model_validate(row) for row in session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.name))]

    def revoke_api_key(self, name: str) -> ApiKey:
        """Revoke the key at once; its name stays taken, so the audit trail keeps meaning one bot."""
        with self._sessions.begin() as session:
            row = session.scalars(
                select(ApiKeyRow).where(ApiKeyRow.name == name, ApiKeyRow.revoked_at.is_(None)).with_for_update()
            ).one_or_none()
            if row is None:
                raise ApiKeyNotFoundError(name)
            row.revoked_at = self._clock()
            session.flush()
            return ApiKey.model_validate(row)

    def bot_for_key(self, secret: str) -> ApiKey | None:
        """The active API key `secret` is, or None."""
        prefix = _api_key_prefix(secret)
        if prefix is None:
            return None
        with self._reading() as session:  # on SQLite, no write lock: never waits for a writer
            row = session.scalars(
                select(ApiKeyRow).where(ApiKeyRow.prefix == prefix, ApiKeyRow.revoked_at.is_(None))
            ).one_or_none()
            if row is None or not hmac.compare_digest(row.key_hash, digest(secret)):
                return None
            return ApiKey.model_validate(row)


def _api_key_prefix(secret: str) -> str | None:
    if not secret.startswith(API_KEY_PREFIX):
        return None
    prefix, _, rest = secret.removeprefix(API_KEY_PREFIX).partition("_")
    return prefix if len(prefix) == 8 and rest else None


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError()


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
