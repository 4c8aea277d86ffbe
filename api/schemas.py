"""What the API sends: response models of its own, so no database column or internal field leaks out.

The domain's `Invoice`, `Finding` and `RpaPayload` appear as they are: they are the public
vocabulary (the dry-run request body, the rule findings, the bot's published payload).
Money and quantities are JSON strings ("24.60"), never floats.
"""

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from connectors.store import EntryHeader
from domain import EntryStatus, Finding, Invoice, RpaPayload
from domain.models import Code, FreeText
from rules.catalogue import REGISTRY

# ---------------------------------------------------------------------- errors


class FieldProblem(BaseModel):
    """One field the API could not accept, named by its path: "lines[2].quantity", "query.limit"."""

    field: str
    message: str
    value: str | None = Field(default=None, description="The rejected value, when there was one.")


class POLock(BaseModel):
    """Who holds a PO: the entry that is queued for or with the RPA bot."""

    po_number: str
    holding_entry_id: int | None = Field(description="None only if the holder let go while the refusal was reported.")
    holding_status: EntryStatus | None = Field(
        description="The holder's status: ready_to_process, dispatched or rpa_failed."
    )


class EntryVerdict(BaseModel):
    """An invoice version's recorded verdict: its process entry, status and findings."""

    entry_id: int
    status: EntryStatus
    rule_set_version: str
    findings: list[Finding]


class EntryState(BaseModel):
    """Where an entry stands, when a request contradicts it (409)."""

    entry_id: int
    current_status: EntryStatus


class EnteredAs(BaseModel):
    """An entry already entered in the ERP, when a bot calls back on it again (already_entered)."""

    entry_id: int
    erp_document_id: str | None = Field(description="The document the entry was entered as first.")
    reported_document_id: str | None = Field(
        description="Another document this callback reported: recorded beside the first, the entry flagged as a "
        "possible double entry."
    )


ErrorDetail = FieldProblem | POLock | EntryVerdict | EntryState | EnteredAs


class ErrorBody(BaseModel):
    code: str = Field(description='Stable, machine-readable: "po_locked", "invalid_invoice", "internal_error"...')
    message: str = Field(description="A sentence for people.")
    details: list[ErrorDetail] = Field(
        default_factory=list,
        description="Field problems (invalid_*, invoice_unreadable), the PO lock (po_locked), "
        "the recorded verdict with its findings (manual_review, bad_invoice, rejected, po_not_found), "
        "or the entry's current status (illegal_transition, callback_conflict, no_payload).",
    )


class ErrorResponse(BaseModel):
    """The shape of every error the API returns."""

    error: ErrorBody


# ---------------------------------------------------------------------- validation


class ValidationResponse(EntryVerdict):
    """A recorded verdict the RPA bot acts on, with the payload it receives."""

    payload: RpaPayload | None


class DryRunResponse(BaseModel):
    """What the rules say about an invoice; nothing is recorded."""

    status: EntryStatus
    rule_set_version: str
    findings: list[Finding]
    payload: RpaPayload | None = Field(description="What the RPA bot would receive; only when ready_to_process.")


# ---------------------------------------------------------------------- entries


class EntrySummary(EntryHeader):
    """A process entry as the list shows it."""

    # Built from the store's richer models: their other fields are left out, not refused.
    model_config = ConfigDict(frozen=False, extra="ignore")


class EntryStatusResponse(EntrySummary):
    """The entry after an action, with who holds it and why the bot failed, when that applies."""

    model_config = ConfigDict(from_attributes=True)  # built from the store's Entry

    dispatched_to: str | None = Field(description="The bot or mailbox a dispatched entry is with.")
    failure_reason: str | None = Field(description="What the bot reported, while rpa_failed.")


class QueueItem(EntrySummary):
    """An entry as the work queue lists it."""

    verdict: EntryStatus = Field(description="The status the rules gave when it was judged.")
    failure_reason: str | None = Field(description="What the bot reported, while rpa_failed.")
    pulled_at: datetime | None = Field(description="When its invoice was pulled from the marketplace.")
    entered_at: datetime | None = Field(description="When it was entered in the ERP.")


class EntryPage(BaseModel):
    items: list[QueueItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class HistoryEvent(BaseModel):
    """One audited status change: who moved the entry, when, from where to where, and why."""

    actor: str
    occurred_at: datetime
    from_status: EntryStatus | None = Field(description="null for the entry's creation.")
    to_status: EntryStatus
    reason: str
    flow_run_id: str | None = Field(description="The Prefect flow run that made the change, if one did.")


class ErpDocumentReport(BaseModel):
    """An ERP document the entry was reported entered as: by a bot's callback, or found in the ERP by housekeeping."""

    erp_document_id: str
    reported_by: str
    reported_at: datetime


class EntryDetail(EntrySummary):
    """A process entry with the invoice as judged, its findings, the bot's payload and its history."""

    invoice: Invoice
    findings: list[Finding]
    payload: RpaPayload | None = Field(description="Present once the invoice maps onto its PO (ready or in review).")
    history: list[HistoryEvent] = Field(description="Oldest first; the first event is the verdict.")
    erp_documents: list[ErpDocumentReport] = Field(
        description="Every ERP document it was reported entered as, first first; two or more: possible_double_entry."
    )
    superseded_by_version: int | None = Field(
        description="The version of the same invoice that replaced this one, once superseded."
    )
    dispatched_to: str | None = Field(description="The bot or mailbox a dispatched entry is with.")
    failure_reason: str | None = Field(description="What the bot reported, while rpa_failed.")


class ReviewAction(BaseModel):
    """A clerk's decision on an entry; the reason goes into the audit trail."""

    reason: FreeText = Field(
        min_length=1,
        max_length=2000,
        description="Why, in words a colleague or auditor understands.",
    )


# The schema lists the rule ids there are, as the validator below refuses any other.
_KNOWN_RULE_IDS: dict[str, Any] = {"items": {"type": "string", "enum": sorted(REGISTRY.ids())}}


class ReleaseAction(ReviewAction):
    """A clerk's decision that gives an entry to the bot (approve, requeue): the entry is judged
    again first, and findings the clerk has not seen stop it unless their rules are acknowledged."""

    acknowledge: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Rule ids of findings that appeared since the review and that the clerk accepts "
        '(from a 409 changed_since_review), e.g. ["qty.over_open"]; recorded in the audit trail.',
        json_schema_extra=_KNOWN_RULE_IDS,
    )

    @field_validator("acknowledge")
    @classmethod
    def _known_rules(cls, rule_ids: list[str]) -> list[str]:
        unknown = sorted(set(rule_ids) - set(REGISTRY.ids()))
        if unknown:
            raise ValueError(f"unknown rule id(s): {', '.join(unknown)}")
        return rule_ids


# ---------------------------------------------------------------------- the RPA bot


class ClaimedEntry(BaseModel):
    """The entry handed to the calling bot, now dispatched to it, with what to key into the ERP."""

    entry_id: int
    po_number: str
    invoice_number: str
    payload: RpaPayload


class SuccessCallback(BaseModel):
    erp_document_id: FreeText = Field(min_length=1, max_length=64, description="The ERP document the bot created.")


class FailureCallback(BaseModel):
    reason: FreeText = Field(
        min_length=1, max_length=2000, description="What went wrong, for the clerk who decides next."
    )


# ---------------------------------------------------------------------- people and keys


class LoginRequest(BaseModel):
    username: FreeText = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1000)


class UserView(BaseModel):
    username: str
    role: Literal["admin", "clerk", "vendor"]
    vendor_id: str | None = Field(default=None, description="The vendor a vendor user speaks for.")
    is_active: bool
    created_at: datetime


class LoginResponse(BaseModel):
    """The session: also set as an HttpOnly cookie for the browser."""

    token: str = Field(description="Send as 'Authorization: Bearer <token>' from scripts.")
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    user: UserView


class CallerView(BaseModel):
    """Who the credentials sent belong to."""

    kind: Literal["user", "bot"]
    name: str
    role: Literal["admin", "clerk", "vendor", "bot"]
    vendor_id: str | None = None


USERNAME_PATTERN = r"^[A-Za-z0-9._@-]{1,64}$"
API_KEY_NAME_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"


class NewUser(BaseModel):
    username: str = Field(pattern=USERNAME_PATTERN)
    password: str = Field(min_length=12, max_length=1000, description="At least 12 characters.")
    role: Literal["admin", "clerk", "vendor"]
    vendor_id: Code | None = Field(
        default=None,
        description="The vendor a vendor user speaks for: required with the role vendor, absent otherwise.",
    )

    @model_validator(mode="after")
    def _vendor_id_with_the_vendor_role(self) -> Self:
        if (self.role == "vendor") != (self.vendor_id is not None):
            raise ValueError("vendor_id is required with the role vendor, and only with it")
        return self


class ApiKeyView(BaseModel):
    name: str
    prefix: str = Field(description="The key's visible start (iak_<prefix>_...), to tell keys apart.")
    created_at: datetime
    created_by: str
    revoked_at: datetime | None


class NewApiKey(BaseModel):
    name: str = Field(pattern=API_KEY_NAME_PATTERN, description="The bot, as the audit trail names it.")


class IssuedApiKeyView(ApiKeyView):
    secret: str = Field(description="Shown this once; store it in the bot's vault. Only its hash is kept.")


class WebhookDeliveryView(BaseModel):
    id: int
    event_id: str
    event_type: str
    entry_id: int
    url: str
    state: Literal["pending", "delivered", "failed"]
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None


# ---------------------------------------------------------------------- health


class HealthResponse(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = Field(
        description='Per database (marketplace, erp, process): "ok", or "unavailable (<error type>)".'
    )
