"""One planned entry's audit events, in order and in time: judged, approved, claimed by a bot, failed
and requeued or released when the bot never called back, and how it ended. Each move comes some
minutes or hours after the one before, as the flows, the bots and the clerks take their time;
an entry's events all lie before `now`, and before its version 2 was judged when it was superseded.
"""

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from benchmarks.dashboard_plan import DISPATCHED, ENTERED, MANUAL_REVIEW, READY, RPA_FAILED, PlannedEntry
from domain import EntryStatus

POLL = "flow:poll-marketplace"
HOUSEKEEPING = "flow:release-stale-dispatches"
BOTS = ("bot:rpa-bot-1", "bot:rpa-bot-2")
CLERKS = ("user:ap.clerk", "user:ap.lead")
FAILURE_REASONS = (
    "ERP screen timed out while saving the invoice",
    "Vendor is blocked for posting in the ERP",
    "PO line is already fully invoiced in the ERP",
    "ERP session expired during entry",
    "Posting period is closed in the ERP",
)
_DAY = 86_400
# Seconds from the move before: (fewest, most).
_WAITS = {
    "approve": (600, 2 * _DAY),
    "claim": (60, 1800),
    "callback": (60, 600),
    "requeue": (900, _DAY),
    "release": (7200, 10_800),
    "reject": (1800, 3 * _DAY),
}


@dataclass(frozen=True, slots=True)
class Move:
    from_status: EntryStatus | None
    to: EntryStatus
    actor: str
    reason: str
    at: datetime
    flow_run_id: str | None

    @property
    def from_value(self) -> str | None:
        return None if self.from_status is None else self.from_status.value


def flow_run_id(actor: str, moment: datetime) -> str:
    """The run of that flow at that moment: polls every ten minutes, housekeeping every hour."""
    period = 600 if actor == POLL else 3600
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{actor}/{int(moment.timestamp()) // period}"))


def timeline(
    plan: PlannedEntry, entry_id: int, rule_set_version: str, *, now: datetime, rng: random.Random
) -> list[Move]:
    steps: list[tuple[EntryStatus | None, EntryStatus, str, str, str | None]] = [
        (None, plan.verdict, POLL, f"judged by rule set {rule_set_version}", None)
    ]
    clerk = rng.choice(CLERKS)
    if plan.approved:
        steps.append((MANUAL_REVIEW, READY, clerk, "approved: the vendor confirmed the price", "approve"))
    cycles = [True] * plan.failures + [False] * plan.releases  # True: the bot failed
    rng.shuffle(cycles)
    for failed in cycles:
        steps += _claim(rng)
        if failed:
            steps.append((DISPATCHED, RPA_FAILED, steps[-1][2], rng.choice(FAILURE_REASONS), "callback"))
            steps.append((RPA_FAILED, READY, clerk, "requeued: fixed in the ERP", "requeue"))
        else:
            reason = "no callback within 120 minutes and not in the ERP: back to the queue"
            steps.append((DISPATCHED, READY, HOUSEKEEPING, reason, "release"))
    steps += _ending(plan, entry_id, clerk, rng)
    return _in_time(plan, steps, now, rng)


def _claim(rng: random.Random) -> list[tuple[EntryStatus | None, EntryStatus, str, str, str | None]]:
    bot = rng.choice(BOTS)
    return [(READY, DISPATCHED, bot, f"claimed by {bot}", "claim")]


def _ending(
    plan: PlannedEntry, entry_id: int, clerk: str, rng: random.Random
) -> list[tuple[EntryStatus | None, EntryStatus, str, str, str | None]]:
    status, left_from = plan.status, plan.left_from
    if status in (DISPATCHED, ENTERED, RPA_FAILED) or left_from is RPA_FAILED:
        steps = _claim(rng)
        bot = steps[0][2]
        if status is ENTERED:
            return [*steps, (DISPATCHED, ENTERED, bot, f"entered in the ERP as document AP-{entry_id:07d}", "callback")]
        if status is not DISPATCHED:
            steps.append((DISPATCHED, RPA_FAILED, bot, rng.choice(FAILURE_REASONS), "callback"))
    else:
        steps = []
    if left_from is None:
        return steps
    if status is EntryStatus.SUPERSEDED:
        return [*steps, (left_from, status, POLL, "superseded by version 2 of the invoice", None)]
    return [*steps, (left_from, status, clerk, "rejected: the vendor billed this PO twice", "reject")]


def _in_time(
    plan: PlannedEntry,
    steps: list[tuple[EntryStatus | None, EntryStatus, str, str, str | None]],
    now: datetime,
    rng: random.Random,
) -> list[Move]:
    """Each step some time after the one before; squeezed when that would pass `now` (or the
    moment the entry was superseded, which its last step then takes)."""
    end = plan.superseded_at or now
    waits = [0.0] + [rng.uniform(*_WAITS[kind]) if kind else 0.0 for *_, kind in steps[1:]]
    room = (end - plan.created_at).total_seconds() * 0.999
    squeeze = min(1.0, room / sum(waits)) if sum(waits) else 1.0
    moves, moment = [], plan.created_at
    for (from_status, to, actor, reason, _), wait in zip(steps, waits, strict=True):
        moment += timedelta(seconds=wait * squeeze)
        if plan.superseded_at is not None and to is EntryStatus.SUPERSEDED:
            moment = plan.superseded_at
        run = flow_run_id(actor, moment) if actor.startswith("flow:") else None
        moves.append(Move(from_status, to, actor, reason, moment, run))
    return moves
