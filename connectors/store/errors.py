"""What the process store refuses to do, in words a clerk or IT person understands."""

from domain import LEGAL_TRANSITIONS, EntryStatus, InvoiceKey


class StoreError(Exception):
    """Base of every error the process store raises on purpose."""


class EntryNotFoundError(StoreError):
    def __init__(self, entry_id: int) -> None:
        self.entry_id = entry_id
        super().__init__(f"There is no process entry with id {entry_id}.")


class EntryExistsError(StoreError):
    """This invoice version was judged before; `entry_id` is the entry holding that verdict."""

    def __init__(self, key: InvoiceKey, entry_id: int) -> None:
        self.key = key
        self.entry_id = entry_id
        super().__init__(f"Invoice {key} has already been judged: see process entry {entry_id}.")


class POLockedError(StoreError):
    """Another entry for the same PO is waiting for (or with) the RPA bot."""

    def __init__(self, po_number: str, holding_entry_id: int | None, holding_status: EntryStatus | None) -> None:
        self.po_number = po_number
        # None only when the holder let go between the refusal and the look-up.
        self.holding_entry_id = holding_entry_id
        self.holding_status = holding_status
        if holding_entry_id is None or holding_status is None:
            holder = "another entry, queued for or with the RPA bot"
        else:
            holder = f"entry {holding_entry_id}, which is {holding_status} ({_LOCK_HOLDER_STATES[holding_status]})"
        super().__init__(
            f"PO {po_number} is locked by {holder}; this invoice waits until that entry is entered or rejected."
        )


_LOCK_HOLDER_STATES = {
    EntryStatus.READY_TO_PROCESS: "queued for the RPA bot",
    EntryStatus.DISPATCHED: "with the RPA bot",
    EntryStatus.RPA_FAILED: "the bot failed on it; AP requeues or rejects it",
}


class IllegalTransitionError(StoreError):
    def __init__(
        self,
        entry_id: int,
        current_status: EntryStatus,
        requested_status: EntryStatus,
        *,
        only_from: EntryStatus | None = None,
    ) -> None:
        """`only_from`: the one status the action that was refused moves from (requeue: rpa_failed)."""
        self.entry_id = entry_id
        self.current_status = current_status
        self.requested_status = requested_status
        if only_from is not None and only_from is not current_status:
            why = f"this action moves only a {only_from} entry to {requested_status}"
        else:
            allowed = sorted(LEGAL_TRANSITIONS[current_status])
            why = f"from there it can only move to {', '.join(allowed)}" if allowed else f"{current_status} is final"
        super().__init__(f"Entry {entry_id} is {current_status} and cannot move to {requested_status} ({why}).")


class EntrySupersededError(IllegalTransitionError):
    """A newer version of the same invoice replaced this entry: nothing can be done with it any more."""

    def __init__(self, entry_id: int, requested_status: EntryStatus, by_version: int | None) -> None:
        super().__init__(entry_id, EntryStatus.SUPERSEDED, requested_status)
        self.by_version = by_version
        newer = f"version {by_version}" if by_version is not None else "a newer version"
        self.args = (
            f"Entry {entry_id} is superseded: {newer} of the same invoice replaced it; act on that version instead.",
        )


class NewerVersionKnownError(StoreError):
    """A newer version of this invoice was pulled or judged already: this one is never judged."""

    def __init__(self, key: InvoiceKey, newest_version: int) -> None:
        self.key = key
        self.newest_version = newest_version
        super().__init__(f"Invoice {key} is outdated: version {newest_version} of it is known; judge that one.")


class VersionTakenError(StoreError):
    """While the invoice was judged, another version of it became live or was entered: judge it again."""

    def __init__(self, key: InvoiceKey) -> None:
        self.key = key
        super().__init__(f"Another version of invoice {key} became live while it was judged; judge it again.")


class EarlierVersionDispatchedError(StoreError):
    """An earlier version of this invoice is with the RPA bot: this one waits for the bot's callback."""

    def __init__(self, key: InvoiceKey, entry_id: int, version: int) -> None:
        self.key = key
        self.entry_id = entry_id
        self.version = version
        super().__init__(
            f"Version {version} of this invoice (entry {entry_id}) is with the RPA bot; version {key.version} "
            "waits for the bot's callback: if the bot entered it, this version is a correction for AP (credit "
            "note); if it failed, this version replaces it."
        )


class CallbackConflictError(StoreError):
    """A bot's callback that contradicts what the entry already is (e.g. success after failure,
    or success with another ERP document id than the one recorded)."""

    def __init__(self, entry_id: int, current_status: EntryStatus, why: str) -> None:
        self.entry_id = entry_id
        self.current_status = current_status
        super().__init__(f"Entry {entry_id} is {current_status}: {why}")


class AlreadyEnteredError(StoreError):
    """A bot called back on an entry that is entered already (by another bot's callback, or found in
    the ERP by housekeeping). A second document it reports is recorded and flagged, never dropped."""

    def __init__(self, entry_id: int, erp_document_id: str | None, reported_document_id: str | None) -> None:
        self.entry_id = entry_id
        self.erp_document_id = erp_document_id
        self.reported_document_id = reported_document_id
        message = f"Entry {entry_id} is entered already, as ERP document {erp_document_id}."
        if reported_document_id is not None:
            message += (
                f" Document {reported_document_id} is recorded beside it and the entry is flagged as a possible "
                "double entry for AP to resolve in the ERP."
            )
        super().__init__(message)


class NotClaimHolderError(StoreError):
    """A bot called back on an entry another bot claimed: only the claim holder reports its outcome."""

    def __init__(self, entry_id: int, bot: str, holder: str) -> None:
        self.entry_id = entry_id
        self.bot = bot
        self.holder = holder
        super().__init__(
            f"Entry {entry_id} was claimed by {holder}, not {bot}: only the bot holding the claim reports its "
            "outcome (an admin can still resolve the entry through AP's actions)."
        )


class NoPayloadError(StoreError):
    """Only an entry with an RPA payload can be queued for the bot."""

    def __init__(self, entry_id: int) -> None:
        self.entry_id = entry_id
        super().__init__(
            f"Entry {entry_id} has no RPA payload (some invoice line maps onto no PO line), so the bot "
            "cannot enter it; reject it and ask the vendor for a corrected invoice."
        )


class DuplicateCheckOutdatedError(StoreError):
    """While the invoice was judged, another writer recorded an entry of its vendor with the same
    number or total: the duplicate check saw an outdated picture, so the verdict is not recorded."""

    def __init__(self, key: InvoiceKey, entry_ids: list[int]) -> None:
        self.key = key
        self.entry_ids = entry_ids
        super().__init__(
            f"Invoice {key} was judged while entries {', '.join(map(str, entry_ids))} of its vendor were being "
            "recorded (same number or total); judge it again."
        )
