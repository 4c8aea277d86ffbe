"""`ProcessStore`: the service's own tables, one part per concern, sharing sessions and a clock.

- `inbox`: pulled invoices waiting, unreadable rows, pull cursors (inbox.py)
- `verdicts`: recording judged invoices as entries (recording.py), under vendor locks (vendor_locks.py)
- `lifecycle`: status changes, PO locks, the audit trail (lifecycle.py)
- `bot`: the RPA bot's claims, dispatches and callbacks (bot_queue.py)
- `outbox`: webhook deliveries written with each change (outbox.py)
- `entries`: read queries over entries, history and PO locks (queries.py)
- `kpis`: the dashboard's figures as SQL aggregates (kpis.py)
- `entry_search`: the work queue: entries by filter and sort, a page at a time, counts per status, exports (entry_search.py)
- `accounts`: users, sign-in tokens and API keys (accounts.py)
- `sign_ins`: failed sign-ins per username and client address, and their lockouts (sign_in_throttle.py)
- `poll_runs`: each finished poll-marketplace run's duration and counts (poll_runs.py)
- `metrics`: the counts the service's metrics show, read at scrape time (metrics.py)
- `documents`: uploaded documents, corrections, submissions and their audit trail (documents.py)
- `document_runs`: which extract-documents run extracts which document, leases, results (document_runs.py)
- `extraction_usage`: what the paid extraction calls cost, and what extracted documents read (extraction_usage.py)

Every public method of a part is one transaction; every status change writes exactly one audit
event in that transaction. The PO lock lives in `po_locks`, whose primary key lets the database,
not this process, decide which of two concurrent writers gets a PO.
"""

from collections.abc import Sequence
from typing import Self

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from connectors.db import DatabaseTimeouts
from connectors.store.accounts import AccountStore
from connectors.store.bot_queue import BotQueue
from connectors.store.document_runs import DocumentRuns
from connectors.store.documents import DocumentStore
from connectors.store.engine import make_engine
from connectors.store.entry_search import EntrySearch
from connectors.store.extraction_usage import ExtractionUsage
from connectors.store.inbox import InboxStore
from connectors.store.kpis import KpiQueries
from connectors.store.lifecycle import EntryLifecycle
from connectors.store.metrics import MetricQueries
from connectors.store.outbox import WebhookOutbox
from connectors.store.poll_runs import PollRuns
from connectors.store.queries import EntryQueries
from connectors.store.recording import VerdictRecorder
from connectors.store.sign_in_throttle import SignInThrottle
from domain.clock import Clock, system_clock


class ProcessStore:
    """Build it with `from_url`, or from a sessionmaker over an engine from `make_engine`
    (tests pass one bound to a connection with join_transaction_mode="create_savepoint")."""

    def __init__(
        self, sessions: sessionmaker[Session], *, webhook_urls: Sequence[str] = (), clock: Clock = system_clock
    ) -> None:
        self._sessions = sessions
        self._own_engine: Engine | None = None
        self.outbox = WebhookOutbox(sessions, clock, webhook_urls=webhook_urls)
        self.inbox = InboxStore(sessions, clock, self.outbox)
        self.lifecycle = EntryLifecycle(sessions, clock, self.outbox)
        self.verdicts = VerdictRecorder(sessions, clock, self.outbox)
        self.bot = BotQueue(sessions, clock, self.lifecycle, self.outbox)
        self.entries = EntryQueries(sessions, clock)
        self.entry_search = EntrySearch(sessions, clock)
        self.kpis = KpiQueries(sessions, clock)
        self.accounts = AccountStore(sessions, clock)
        self.sign_ins = SignInThrottle(sessions, clock)
        self.poll_runs = PollRuns(sessions, clock)
        self.metrics = MetricQueries(sessions, clock)
        self.documents = DocumentStore(sessions, clock)
        self.document_runs = DocumentRuns(sessions, clock)
        self.extraction_usage = ExtractionUsage(sessions, clock)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        webhook_urls: Sequence[str] = (),
        clock: Clock = system_clock,
        timeouts: DatabaseTimeouts | None = None,
    ) -> Self:
        engine = make_engine(url, timeouts)
        store = cls(sessionmaker(bind=engine, expire_on_commit=False), webhook_urls=webhook_urls, clock=clock)
        store._own_engine = engine
        return store

    def close(self) -> None:
        """Close the connections of a store built by `from_url` (nothing to do otherwise)."""
        if self._own_engine is not None:
            self._own_engine.dispose()

    def ping(self) -> None:
        """A round trip to the process database; raises when it does not answer."""
        with self._sessions.begin() as session:
            session.execute(select(1))
