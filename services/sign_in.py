"""Signing in, throttled: failed sign-ins are counted per username and per client address, and past
a few, each further failure locks that username or address out for twice as long as the one before
(up to a ceiling). A locked-out sign-in is refused before its password is checked; a successful
one clears its username's count. The counts live in the process database (store.sign_ins), so
every API worker process applies the same ones.
"""

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Self

from connectors.store import ProcessStore
from connectors.store.accounts import IssuedToken
from connectors.store.sign_in_throttle import Subject
from domain.clock import Clock
from settings import Settings

USERNAME = "username"
ADDRESS = "address"


@dataclass(frozen=True)
class SignInPolicy:
    """`lockout_after_failures` failures of a username (`address_lockout_after_failures` of an
    address, which a whole office behind one NAT may share) lock it out for `first_lockout`; each
    further failure doubles it, up to `longest_lockout`. Failures are forgotten after a quiet
    `forget_after`."""

    lockout_after_failures: int
    address_lockout_after_failures: int
    first_lockout: timedelta
    longest_lockout: timedelta
    forget_after: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        return cls(
            lockout_after_failures=settings.sign_in_lockout_after_failures,
            address_lockout_after_failures=settings.sign_in_address_lockout_after_failures,
            first_lockout=timedelta(seconds=settings.sign_in_first_lockout_seconds),
            longest_lockout=timedelta(seconds=settings.sign_in_longest_lockout_seconds),
            forget_after=timedelta(minutes=settings.sign_in_forget_failures_after_minutes),
        )

    def lockout(self, kind: str, failures: int) -> timedelta:
        """How long a subject of `kind` is locked out after its `failures`-th failure."""
        allowed = self.lockout_after_failures if kind == USERNAME else self.address_lockout_after_failures
        beyond = failures - allowed
        if beyond < 0:
            return timedelta(0)
        # 2**20 first lockouts pass any ceiling the settings allow (a day); beyond, timedelta would overflow.
        lockout: timedelta = min(self.first_lockout * 2 ** min(beyond, 20), self.longest_lockout)
        return lockout


@dataclass(frozen=True)
class Throttled:
    """A sign-in refused unchecked: its username or address is locked out for `retry_after_seconds` more."""

    retry_after_seconds: int


class SignIns:
    def __init__(self, store: ProcessStore, policy: SignInPolicy, clock: Clock) -> None:
        self._store = store
        self._policy = policy
        self._clock = clock

    def retry_after(self, username: str, address: str) -> Throttled | None:
        """Whether the username or the address is locked out now, and for how long."""
        ends = self._store.sign_ins.locked_until(_subjects(username, address))
        if ends is None:
            return None
        # Whole seconds (Retry-After has no fractions), rounded up so that a client waiting that long is let in.
        return Throttled(max(1, math.ceil((ends - self._clock()).total_seconds())))

    def attempt(
        self, username: str, password: str, address: str, *, lifetime: timedelta
    ) -> IssuedToken | Throttled | None:
        """A session token when the password matches; Throttled when locked out (no password is
        checked); None for a wrong username, password or a deactivated user, which counts a failure."""
        throttled = self.retry_after(username, address)
        if throttled is not None:
            return throttled
        issued = self._store.accounts.sign_in(username, password, lifetime=lifetime)
        if issued is None:
            self._store.sign_ins.record_failure(
                _subjects(username, address),
                forget_before=self._clock() - self._policy.forget_after,
                lockout=self._policy.lockout,
            )
        else:
            self._store.sign_ins.clear((USERNAME, username))
        return issued


def _subjects(username: str, address: str) -> list[Subject]:
    return [(USERNAME, username), (ADDRESS, address)]
