"""What the dashboard benchmark's process database holds, entry by entry, before any row is written:
each entry's final status, the verdict it was judged with, its PO, when it was judged, and how
many times the bot failed on it or let it go stale, so that the audit events add up to exactly the
number asked for.

Statuses are spread as in production: most entered; the few entries still with the bot or waiting
for it (ready, dispatched) among the newest; those waiting for a clerk (manual review, failed by
the bot) among the newer. An entry holding a PO lock (ready, dispatched, rpa_failed) has a PO of
its own, so each PO has one lock at most. A superseded entry is version 1 of an invoice whose
version 2 is a later entry on the same PO.
"""

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain import EntryStatus

READY, DISPATCHED, ENTERED = EntryStatus.READY_TO_PROCESS, EntryStatus.DISPATCHED, EntryStatus.ENTERED
RPA_FAILED, MANUAL_REVIEW, BAD_INVOICE = EntryStatus.RPA_FAILED, EntryStatus.MANUAL_REVIEW, EntryStatus.BAD_INVOICE
REJECTED, SUPERSEDED = EntryStatus.REJECTED, EntryStatus.SUPERSEDED

# Final statuses' shares (entered takes what rounding leaves).
STATUS_SHARES = {
    ENTERED: 0.82,
    BAD_INVOICE: 0.05,
    REJECTED: 0.04,
    MANUAL_REVIEW: 0.04,
    SUPERSEDED: 0.02,
    RPA_FAILED: 0.015,
    READY: 0.01,
    DISPATCHED: 0.005,
}
# The status a rejected or superseded entry left, and how often.
_LEFT_FROM = {
    REJECTED: ((MANUAL_REVIEW, READY, RPA_FAILED), (60, 15, 25)),
    SUPERSEDED: ((MANUAL_REVIEW, READY, RPA_FAILED), (50, 20, 30)),
}
# Events after the creation (and an approval) and the bot's cycles, by final status and the status it left.
_ENDING_EVENTS = {READY: 0, DISPATCHED: 1, ENTERED: 2, RPA_FAILED: 2, MANUAL_REVIEW: 0, BAD_INVOICE: 0}
_LEAVING_EVENTS = {MANUAL_REVIEW: 1, READY: 1, RPA_FAILED: 3}
FAILURE_EVENTS, RELEASE_EVENTS = 3, 2  # claimed, failed, requeued; claimed, released back to ready
APPROVED_SHARE = 0.3  # of the entries that went to the bot, those judged manual_review first
RELEASE_SHARE = 0.2  # of the bot's extra cycles, those where it never called back
MOST_CYCLES = 12  # drawn per entry; a few more may come to make the total
DAYS = 90


@dataclass(slots=True)
class PlannedEntry:
    status: EntryStatus
    verdict: EntryStatus
    created_at: datetime
    invoice_id: int  # the marketplace invoice's id; a version 2 shares its version 1's
    version: int = 1
    po: int = -1  # index of its purchase order
    left_from: EntryStatus | None = None  # for rejected and superseded: the status it was in before
    approved: bool = False  # judged manual_review, then approved by a clerk
    failures: int = 0  # the bot failed and a clerk requeued it
    releases: int = 0  # the bot never called back and housekeeping put it back to ready
    superseded_at: datetime | None = None  # when its version 2 was judged

    @property
    def reached_bot(self) -> bool:
        return self.status in (READY, DISPATCHED, ENTERED, RPA_FAILED) or self.left_from in (READY, RPA_FAILED)

    @property
    def event_count(self) -> int:
        ending = _ENDING_EVENTS.get(self.status, 0) if self.left_from is None else _LEAVING_EVENTS[self.left_from]
        return 1 + self.approved + FAILURE_EVENTS * self.failures + RELEASE_EVENTS * self.releases + ending


def plan_entries(
    entries: int, events: int, purchase_orders: int, *, now: datetime, rng: random.Random
) -> list[PlannedEntry]:
    """Entries in id order (oldest first), with exactly `events` audit events between them."""
    statuses = _placed_statuses(entries, rng)
    span = timedelta(days=DAYS).total_seconds()
    offsets = sorted(rng.uniform(60, span) for _ in range(entries))
    plans = [
        PlannedEntry(status=status, verdict=status, created_at=now - timedelta(seconds=offset), invoice_id=100_001 + n)
        for n, (status, offset) in enumerate(zip(statuses, reversed(offsets), strict=True))
    ]
    for plan in plans:
        if plan.status in _LEFT_FROM:
            choices, weights = _LEFT_FROM[plan.status]
            plan.left_from = rng.choices(choices, weights)[0]
        if plan.reached_bot:
            plan.approved = rng.random() < APPROVED_SHARE
        if plan.status is not BAD_INVOICE:
            judged_for_review = plan.approved or MANUAL_REVIEW in (plan.status, plan.left_from)
            plan.verdict = MANUAL_REVIEW if judged_for_review else READY
    _pair_versions(plans, rng)
    _assign_purchase_orders(plans, purchase_orders, rng)
    _spread_bot_cycles(plans, events, rng)
    return plans


def _placed_statuses(entries: int, rng: random.Random) -> list[EntryStatus]:
    counts = {status: round(entries * share) for status, share in STATUS_SHARES.items() if status is not ENTERED}
    counts[ENTERED] = entries - sum(counts.values())
    placed: list[EntryStatus | None] = [None] * entries

    def place(status: EntryStatus, first: int, last: int) -> None:
        free = [n for n in range(first, last) if placed[n] is None]
        for n in rng.sample(free, counts[status]):
            placed[n] = status

    newest = max(0, entries - 4 * (counts[READY] + counts[DISPATCHED]))
    place(READY, newest, entries)
    place(DISPATCHED, newest, entries)
    newer = entries * 3 // 4
    place(RPA_FAILED, newer, entries)
    place(MANUAL_REVIEW, newer, entries)
    place(SUPERSEDED, 0, entries * 19 // 20)  # its version 2 comes later
    for status in (BAD_INVOICE, REJECTED, ENTERED):
        place(status, 0, entries)
    return [status for status in placed if status is not None]


def _pair_versions(plans: list[PlannedEntry], rng: random.Random) -> None:
    """Each superseded entry's version 2: a later entry, not superseded itself, of the same invoice."""
    taken: set[int] = set()
    for n, plan in enumerate(plans):
        if plan.status is not SUPERSEDED:
            continue
        later = n + 1 + rng.randrange(min(2000, len(plans) - n - 1))
        while later < len(plans) and (plans[later].status is SUPERSEDED or later in taken):
            later += 1
        if later == len(plans):
            raise ValueError("too few entries after a superseded one to hold its version 2")
        taken.add(later)
        plans[later].invoice_id, plans[later].version = plan.invoice_id, 2
        plan.superseded_at = plans[later].created_at


def _assign_purchase_orders(plans: list[PlannedEntry], purchase_orders: int, rng: random.Random) -> None:
    locking = [plan for plan in plans if plan.status.locks_po]
    if len(locking) > purchase_orders:
        raise ValueError(f"{len(locking)} entries lock a PO each, more than the {purchase_orders} POs")
    for plan, po in zip(locking, rng.sample(range(purchase_orders), len(locking)), strict=True):
        plan.po = po
    for plan in plans:
        if plan.po < 0:
            plan.po = rng.randrange(purchase_orders)
    version_2 = {plan.invoice_id: plan for plan in plans if plan.version == 2}
    for plan in plans:
        if plan.status is SUPERSEDED:  # a correction is billed on the same PO
            plan.po = version_2[plan.invoice_id].po


def _spread_bot_cycles(plans: list[PlannedEntry], events: int, rng: random.Random) -> None:
    """Failures and stale dispatches among the entries that reached the bot, so the events total `events`."""
    cycling = [plan for plan in plans if plan.reached_bot]
    extra = events - sum(plan.event_count for plan in plans)
    if extra < 0 or (extra and not cycling):
        raise ValueError(f"{len(plans)} entries need at least {events - extra} events")
    if cycling:
        mean_cycles = extra / len(cycling) / (FAILURE_EVENTS * (1 - RELEASE_SHARE) + RELEASE_EVENTS * RELEASE_SHARE)
        stop = 1 / (1 + mean_cycles)  # geometric: most entries never fail, a few fail many times
        for plan in cycling:
            for _ in range(min(MOST_CYCLES, _geometric(stop, rng))):
                if rng.random() < RELEASE_SHARE:
                    plan.releases += 1
                else:
                    plan.failures += 1
    _settle_total(cycling, events - sum(plan.event_count for plan in plans), rng)


def _geometric(stop: float, rng: random.Random) -> int:
    return 0 if stop >= 1 else int(math.log(1 - rng.random()) / math.log(1 - stop))


def _settle_total(cycling: list[PlannedEntry], difference: int, rng: random.Random) -> None:
    """Add or take away whole cycles (3 events a failure, 2 a release) until the events total is the one asked for."""
    while difference:
        plan = rng.choice(cycling)
        if difference in (RELEASE_EVENTS, 2 * RELEASE_EVENTS):
            plan.releases += 1
            difference -= RELEASE_EVENTS
        elif difference >= FAILURE_EVENTS:
            plan.failures += 1
            difference -= FAILURE_EVENTS
        elif plan.failures:  # 1 or fewer: one cycle less, then what is missing
            plan.failures -= 1
            difference += FAILURE_EVENTS
        elif plan.releases:
            plan.releases -= 1
            difference += RELEASE_EVENTS
        elif not any(other.failures or other.releases for other in cycling):
            raise ValueError(f"the entries cannot have {difference} events fewer")
