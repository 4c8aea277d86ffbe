"""Poll runs: each poll-marketplace run records its duration and counts as it finishes, so that
the API (another process) can tell when the poll last finished and how long it took."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.store.base import StorePart
from connectors.store.read_models import PollRun
from connectors.store.tables import PollRunRow


class PollRuns(StorePart):
    def record(
        self,
        *,
        flow_run_id: str | None,
        duration_ms: int,
        pulled: int,
        unreadable: int,
        recorded: int,
        failed: int,
        waiting: int,
        waiting_on_lock: int,
        batches: int,
    ) -> PollRun:
        """A run that has just finished (now, by the store's clock)."""
        row = PollRunRow(
            flow_run_id=flow_run_id,
            finished_at=self._clock(),
            duration_ms=duration_ms,
            pulled=pulled,
            unreadable=unreadable,
            recorded=recorded,
            failed=failed,
            waiting=waiting,
            waiting_on_lock=waiting_on_lock,
            batches=batches,
        )
        with self._sessions.begin() as session:
            session.add(row)
            return PollRun.model_validate(row, from_attributes=True)

    def latest(self) -> PollRun | None:
        """The run that finished last; None before the first."""
        with self._reading() as session:
            return latest_poll_run(session)


def latest_poll_run(session: Session) -> PollRun | None:
    query = select(PollRunRow).order_by(PollRunRow.finished_at.desc(), PollRunRow.id.desc()).limit(1)
    row = session.scalars(query).one_or_none()
    return None if row is None else PollRun.model_validate(row, from_attributes=True)
