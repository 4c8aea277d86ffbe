"""AP's decisions on an entry, the same from the API and (later) the dashboard, each audited
with who decided and why.

A decision can come days after the verdict: meanwhile the same number may have been entered,
another invoice may have used up the PO line, the PO may have been closed. So approve and
requeue, which hand the entry to the bot, judge it again first, against the ERP and the live
entries as they are now: a hard finding stops it; a soft finding the clerk has not seen stops it
until the clerk acknowledges that rule; findings already seen and decided on are not asked again.
"""

from collections.abc import Collection, Iterable

from connectors.store import (
    DuplicateCheckOutdatedError,
    DuplicateRecheck,
    Entry,
    EntrySupersededError,
    IllegalTransitionError,
    ProcessStore,
)
from domain import EntryStatus, Finding, Severity
from services.judging import JUDGING_ATTEMPTS, JudgingService


class DecisionRefusedError(Exception):
    """Judged again, the entry cannot go to the bot as decided: `findings` say why."""

    code = "decision_refused"

    def __init__(self, entry: Entry, findings: Iterable[Finding], message: str) -> None:
        super().__init__(message)
        self.entry = entry
        self.findings = tuple(findings)


class HardFindingsNowError(DecisionRefusedError):
    """Something the invoice cannot be paid with holds now (a duplicate, a closed PO...)."""

    code = "hard_findings"


class ChangedSinceReviewError(DecisionRefusedError):
    """Soft findings the clerk did not see when deciding: acknowledge their rule ids to go on."""

    code = "changed_since_review"


def approve(
    judging: JudgingService, entry_id: int, *, actor: str, reason: str, acknowledge: Collection[str] = ()
) -> Entry:
    """manual_review → ready_to_process: queued for the bot (its PO locked), once judged again."""
    return _to_the_bot(
        judging, entry_id, EntryStatus.MANUAL_REVIEW, actor=actor, reason=reason, acknowledge=acknowledge
    )


def requeue(
    judging: JudgingService, entry_id: int, *, actor: str, reason: str, acknowledge: Collection[str] = ()
) -> Entry:
    """rpa_failed → ready_to_process: the bot tries again, once the entry is judged again."""
    return _to_the_bot(judging, entry_id, EntryStatus.RPA_FAILED, actor=actor, reason=reason, acknowledge=acknowledge)


def reject(store: ProcessStore, entry_id: int, *, actor: str, reason: str) -> Entry:
    """→ rejected, from manual review, ready, or failed by the bot; its PO is released."""
    return store.lifecycle.transition(entry_id, EntryStatus.REJECTED, actor=actor, reason=reason)


def _to_the_bot(
    judging: JudgingService,
    entry_id: int,
    only_from: EntryStatus,
    *,
    actor: str,
    reason: str,
    acknowledge: Collection[str],
) -> Entry:
    store = judging.store
    attempts = 0
    while True:
        entry = store.entries.get(entry_id)
        if entry.status is EntryStatus.SUPERSEDED:
            raise EntrySupersededError(entry.id, EntryStatus.READY_TO_PROCESS, entry.superseded_by_version)
        if entry.status is not only_from:
            raise IllegalTransitionError(entry.id, entry.status, EntryStatus.READY_TO_PROCESS, only_from=only_from)
        judged = judging.judge([entry.invoice])
        [judgement] = judged.judgements
        acknowledged = _check(entry, judgement.verdict.findings, acknowledge)
        try:
            return store.lifecycle.transition(
                entry.id,
                EntryStatus.READY_TO_PROCESS,
                actor=actor,
                reason=f"{reason} (acknowledged: {', '.join(acknowledged)})" if acknowledged else reason,
                only_from=only_from,
                recheck=DuplicateRecheck(entry.invoice, judged.seen_entry_ids),
            )
        except DuplicateCheckOutdatedError:
            # a possible original recorded meanwhile: judge again, against it
            attempts += 1
            if attempts == JUDGING_ATTEMPTS:
                raise


def _check(entry: Entry, findings: Iterable[Finding], acknowledge: Collection[str]) -> list[str]:
    """Raise when the findings of now stop the entry; return the rule ids acknowledged this time."""
    findings = list(findings)
    hard = [f for f in findings if f.severity is Severity.HARD]
    if hard:
        raise HardFindingsNowError(
            entry,
            hard,
            f"Entry {entry.id} cannot go to the bot: judged again now, it has {_count(hard, 'hard finding')}.",
        )
    seen = {_where(f) for f in entry.findings}
    unseen = [f for f in findings if _where(f) not in seen]
    unacknowledged = [f for f in unseen if f.rule_id not in acknowledge]
    if unacknowledged:
        rules = ", ".join(sorted({f.rule_id for f in unacknowledged}))
        raise ChangedSinceReviewError(
            entry,
            unacknowledged,
            f"Entry {entry.id} changed since it was reviewed: {_count(unacknowledged, 'new finding')} ({rules}); "
            "decide again, acknowledging those rules if it should still go to the bot.",
        )
    return sorted({f.rule_id for f in unseen})


def _where(finding: Finding) -> tuple[str, int | None, int | None]:
    """What makes two findings the same matter for a clerk: the rule and the lines it concerns."""
    return (finding.rule_id, finding.invoice_line_no, finding.po_line_no)


def _count(findings: list[Finding], noun: str) -> str:
    return f"{len(findings)} {noun}{'' if len(findings) == 1 else 's'}"
