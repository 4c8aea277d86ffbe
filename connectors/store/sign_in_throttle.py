"""`SignInThrottle`: failed sign-ins counted per username and per client address, and the lockouts
they earn, in the process database so that every API worker process sees the same counts.

How long a lockout lasts is the caller's policy (services.sign_in); this part counts atomically
(an UPDATE of the row, which the database serialises) and stores the lock in the same transaction.
"""

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from connectors.store.base import StorePart
from connectors.store.bulk import upsert_row
from connectors.store.engine import is_deadlock
from connectors.store.tables import SignInFailureRow

# (kind, subject): ("username", "alice") or ("address", "203.0.113.7")
Subject = tuple[str, str]
# The lockout a subject of this kind earns with this many failures (zero: none yet).
Lockout = Callable[[str, int], timedelta]

_DEADLOCK_RETRIES = 3


class SignInThrottle(StorePart):
    def locked_until(self, subjects: Iterable[Subject]) -> datetime | None:
        """When the longest lockout among `subjects` ends, if one is still running."""
        now = self._clock()
        query = select(SignInFailureRow.locked_until).where(
            or_(*map(_is, subjects)), SignInFailureRow.locked_until > now
        )
        with self._reading() as session:
            ends = [end for end in session.scalars(query) if end is not None]
        return max(ends, default=None)

    def record_failure(self, subjects: Iterable[Subject], *, forget_before: datetime, lockout: Lockout) -> None:
        """One more failure for each subject (its count starts again when its last failure was before
        `forget_before`), locked out for `lockout(kind, failures)` from now; rows quiet since
        `forget_before` and not locked are deleted."""
        ordered = sorted(set(subjects))  # every writer locks rows in one order: no deadlock between them
        # MariaDB may pick a deadlock victim between the purge's range lock and another writer's row:
        # the transaction rolled back in full, so it is simply run again.
        for _ in range(_DEADLOCK_RETRIES):
            try:
                return self._record_failure_once(ordered, forget_before, lockout)
            except DBAPIError as error:
                if not is_deadlock(error):
                    raise
        return self._record_failure_once(ordered, forget_before, lockout)

    def clear(self, subject: Subject) -> None:
        """Forget the failures of `subject` (a user who signed in)."""
        with self._sessions.begin() as session:
            session.execute(delete(SignInFailureRow).where(_is(subject)))

    def _record_failure_once(self, subjects: list[Subject], forget_before: datetime, lockout: Lockout) -> None:
        now = self._clock()
        with self._sessions.begin() as session:
            for kind, subject in subjects:
                failures = _count_failure(session, (kind, subject), now, forget_before)
                delay = lockout(kind, failures)
                if delay > timedelta(0):
                    session.execute(
                        update(SignInFailureRow).where(_is((kind, subject))).values(locked_until=now + delay)
                    )
            session.execute(
                delete(SignInFailureRow).where(
                    SignInFailureRow.last_failure_at < forget_before,
                    or_(SignInFailureRow.locked_until.is_(None), SignInFailureRow.locked_until < now),
                )
            )


def _count_failure(session: Session, subject: Subject, now: datetime, forget_before: datetime) -> int:
    """The subject's failures, this one included; its row stays locked until the transaction ends.
    An upsert, so that two workers counting a subject's first failure at once both count."""
    kind, name = subject
    row = SignInFailureRow.__table__.c
    upsert_row(
        session,
        SignInFailureRow.__table__,
        {"kind": kind, "subject": name, "failures": 1, "last_failure_at": now},
        ("kind", "subject"),
        # `failures` first: MariaDB's next assignment already sees the new `last_failure_at`.
        lambda incoming: [
            ("failures", case((row.last_failure_at < forget_before, 1), else_=row.failures + 1)),
            ("last_failure_at", incoming.last_failure_at),
        ],
    )
    failures: int = session.execute(select(SignInFailureRow.failures).where(_is(subject))).scalar_one()
    return failures


def _is(subject: Subject) -> ColumnElement[bool]:
    kind, name = subject
    return and_(SignInFailureRow.kind == kind, SignInFailureRow.subject == name)
