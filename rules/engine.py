"""The engine: runs the enabled rules over an invoice (or a batch) and returns the judgement.

Outcome by precedence: any hard finding → bad_invoice; else any soft → manual_review; else
ready_to_process with the RPA payload. A rule that raises does not stop anything: it becomes
an `engine.rule_error` finding on that invoice (soft: a person looks) and the batch goes on.
"""

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property

from domain import EntryStatus, Finding, Invoice, RpaPayload, Severity, Verdict
from domain.clock import Clock, system_clock
from domain.models import DuplicateKey
from rules.catalogue import REGISTRY
from rules.config import RuleConfig
from rules.context import ErpReference, InvoiceContext, LiveEntry, build_context
from rules.payload import build_payload
from rules.registry import RuleRegistry

ENGINE_RULE_ID = "engine.rule_error"


@dataclass(frozen=True)
class Judgement:
    context: InvoiceContext
    verdict: Verdict
    judged_at: datetime

    @property
    def invoice(self) -> Invoice:
        return self.context.invoice

    @cached_property
    def payload(self) -> RpaPayload | None:
        """What the bot keys in; present whenever every line maps to a PO line and no hard rule
        failed: ready invoices always, manual-review ones usually (so AP's approval can queue
        them without judging again). Built on first use: a verdict is all most callers need.
        """
        if self.verdict.status is EntryStatus.BAD_INVOICE:
            return None
        return build_payload(self.context, rule_set_version=self.verdict.rule_set_version, judged_at=self.judged_at)


def status_for(findings: Sequence[Finding]) -> EntryStatus:
    severities = {finding.severity for finding in findings}
    if Severity.HARD in severities:
        return EntryStatus.BAD_INVOICE
    if Severity.SOFT in severities:
        return EntryStatus.MANUAL_REVIEW
    return EntryStatus.READY_TO_PROCESS


class RuleEngine:
    def __init__(self, config: RuleConfig, registry: RuleRegistry = REGISTRY, *, clock: Clock = system_clock) -> None:
        self.config = config
        self._clock = clock  # when a judgement is made, unless the caller says
        self._rules = [r for r in registry if r.id not in config.disabled_rules]

    @property
    def rule_ids(self) -> list[str]:
        return [r.id for r in self._rules]

    def findings(self, ctx: InvoiceContext) -> list[Finding]:
        findings: list[Finding] = []
        for rule in self._rules:
            try:
                findings.extend(rule.findings(ctx))
            except Exception as exc:  # a broken rule must not stop the batch: it becomes a finding
                findings.append(
                    Finding(
                        rule_id=ENGINE_RULE_ID,
                        severity=Severity.SOFT,
                        message=f"Rule {rule.id} could not check this invoice ({type(exc).__name__}: {exc}); "
                        "check that point by hand.",
                        expected=rule.id,
                        actual=type(exc).__name__,
                    )
                )
        return findings

    def judge(self, ctx: InvoiceContext, *, judged_at: datetime | None = None) -> Judgement:
        findings = self.findings(ctx)
        verdict = Verdict(
            status=status_for(findings), findings=tuple(findings), rule_set_version=self.config.rule_set_version
        )
        return Judgement(context=ctx, verdict=verdict, judged_at=judged_at or self._clock())

    def judge_batch(
        self,
        invoices: Sequence[Invoice],
        erp: ErpReference,
        *,
        today: date,
        live_entries: Sequence[LiveEntry] = (),
        in_flight_qty: Mapping[str, Mapping[int, Decimal]] | None = None,
        judged_at: datetime | None = None,
    ) -> list[Judgement]:
        """Judge a batch against the ERP data fetched for it; `in_flight_qty` is keyed by PO number.

        Invoices are judged in order, and each sees the ones of its vendor judged before it in the
        batch (unless bad) as live entries, as if they had been judged and recorded one by one: two
        copies of a bill on different POs in one batch make the second a duplicate, not two payments.
        """
        live_by_vendor: dict[str, list[LiveEntry]] = defaultdict(list)
        for entry in live_entries:
            live_by_vendor[entry.vendor_id].append(entry)
        in_flight_qty = in_flight_qty or {}
        judged_at = judged_at or self._clock()
        shared = _shared_within_batch(invoices)
        judgements = []
        for invoice in invoices:
            judgement = self.judge(
                build_context(
                    invoice,
                    erp,
                    self.config,
                    today=today,
                    live_entries=live_by_vendor.get(invoice.vendor_id, ()),
                    in_flight_qty=in_flight_qty.get(invoice.po_number),
                ),
                judged_at=judged_at,
            )
            judgements.append(judgement)
            if judgement.verdict.status is not EntryStatus.BAD_INVOICE and not shared.isdisjoint(
                invoice.duplicate_keys
            ):
                live_by_vendor[invoice.vendor_id].append(LiveEntry.judged_in_batch(invoice, judgement.verdict.status))
        return judgements


def _shared_within_batch(invoices: Sequence[Invoice]) -> set[DuplicateKey]:
    """Duplicate keys that more than one invoice of the batch has: only those invoices can be
    duplicates of each other, so only they are carried forward as live (a batch stays linear)."""
    counts = Counter(key for invoice in invoices for key in invoice.duplicate_keys)
    return {key for key, count in counts.items() if count > 1}
