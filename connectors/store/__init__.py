"""The service's own tables (inbox, intake errors, pull cursors, process_scheduler, audit events,
PO locks, accounts, the webhook outbox): SQLAlchemy models, Alembic migrations
(`python -m connectors.store upgrade`) and `ProcessStore`, whose parts, one per concern, are the
only code that reads and writes them."""

from connectors.store.engine import make_engine
from connectors.store.entry_filter import EntryFilter, EntrySort
from connectors.store.entry_search import EXPORT_COLUMNS
from connectors.store.errors import (
    AlreadyEnteredError,
    CallbackConflictError,
    DuplicateCheckOutdatedError,
    EarlierVersionDispatchedError,
    EntryExistsError,
    EntryNotFoundError,
    EntrySupersededError,
    IllegalTransitionError,
    NewerVersionKnownError,
    NoPayloadError,
    NotClaimHolderError,
    POLockedError,
    StoreError,
    VersionTakenError,
)
from connectors.store.lifecycle import DuplicateRecheck
from connectors.store.read_models import (
    BatchRecord,
    Entry,
    EntryEvent,
    EntryHeader,
    EntrySummary,
    ErpDocument,
    InboxCounts,
    InboxItem,
    JudgedInvoice,
    MetricsSnapshot,
    PollRun,
    PullRecord,
    QueueEntry,
    SearchPage,
    WebhookDelivery,
)
from connectors.store.search_cursor import CURSOR_PATTERN, InvalidCursorError
from connectors.store.store import ProcessStore

__all__ = [
    "CURSOR_PATTERN",
    "EXPORT_COLUMNS",
    "AlreadyEnteredError",
    "BatchRecord",
    "CallbackConflictError",
    "DuplicateCheckOutdatedError",
    "DuplicateRecheck",
    "EarlierVersionDispatchedError",
    "Entry",
    "EntryEvent",
    "EntryExistsError",
    "EntryFilter",
    "EntryHeader",
    "EntryNotFoundError",
    "EntrySort",
    "EntrySummary",
    "EntrySupersededError",
    "ErpDocument",
    "IllegalTransitionError",
    "InboxCounts",
    "InboxItem",
    "InvalidCursorError",
    "JudgedInvoice",
    "MetricsSnapshot",
    "NewerVersionKnownError",
    "NoPayloadError",
    "NotClaimHolderError",
    "POLockedError",
    "PollRun",
    "ProcessStore",
    "PullRecord",
    "QueueEntry",
    "SearchPage",
    "StoreError",
    "VersionTakenError",
    "WebhookDelivery",
    "make_engine",
]
