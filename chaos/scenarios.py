"""The faults, one function each: break a run and return what went wrong beyond what the invariants
check (a poll that did not exit cleanly, a callback answered other than promised). The next poll,
which recovers as in production, runs after each (chaos/__main__.py)."""

import random
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from subprocess import Popen
from typing import Any

import sqlalchemy as sa

from chaos.poll_process import JUDGED
from chaos.private_postgres import PrivatePostgres
from chaos.world import World
from connectors.erp import ErpGateway
from connectors.store import AlreadyEnteredError, CallbackConflictError, Entry, ProcessStore
from demo.rpa_bot import key_in_ap_invoice
from domain import EntryStatus
from services import rpa

HOUSEKEEPING = "flow:release-stale-dispatches"
# When a fault strikes a poll, from its start: a poll of 600 demo invoices takes ~1.5 s on the
# development machine (~0.5 s of imports, then the pull, then the judging), so most strike mid-run;
# the table counts those that did.
POLL_STRIKE_SECONDS = (0.5, 1.5)


@dataclass
class Outcome:
    """What a scenario saw: how many of its faults struck mid-run (a poll killed before it finished,
    a database stopped under a running poll...), and anything answered other than promised."""

    faults: int = 0
    struck: int = 0
    problems: list[str] = field(default_factory=list)


def _still_running_after(poll: Popen[str], seconds: float) -> bool:
    """Wait `seconds` from the poll's start; whether it is still at work then."""
    time.sleep(seconds)
    return poll.poll() is None


def kill_the_poll(world: World, rng: random.Random, _server: PrivatePostgres | None = None) -> Outcome:
    """kill -9 of the poll at a random step, twice."""
    outcome = Outcome()
    for _ in range(2):
        poll = world.start_poll(batch_size=rng.choice([10, 25, 50]))
        outcome.faults += 1
        outcome.struck += _still_running_after(poll, rng.uniform(*POLL_STRIKE_SECONDS))
        poll.send_signal(signal.SIGKILL)
        poll.wait()
    return outcome


def stop_the_database(world: World, rng: random.Random, server: PrivatePostgres | None = None) -> Outcome:
    """The process database stopped as by a crash mid-poll, then started again."""
    assert server is not None, "this scenario runs on a server of its own"
    poll = world.start_poll(batch_size=rng.choice([10, 25]))
    running = _still_running_after(poll, rng.uniform(*POLL_STRIKE_SECONDS))
    server.stop("immediate")
    poll.communicate(timeout=120)
    server.start()
    # struck: the poll was running and failed for it (its database was gone)
    return Outcome(faults=1, struck=int(running and poll.returncode != 0))


def two_polls_at_once(world: World, rng: random.Random, _server: PrivatePostgres | None = None) -> Outcome:
    """Two polls over the same backlog at the same time (a slow run and the next scheduled one)."""
    polls = [world.start_poll(batch_size=rng.choice([10, 25, 50])) for _ in range(2)]
    outcome = Outcome(faults=1)
    judged = []
    for poll in polls:
        output, _ = poll.communicate(timeout=600)
        judged.append(sum(int(line.split()[1]) for line in output.splitlines() if line.startswith(JUDGED)))
        if poll.returncode != 0:
            outcome.problems.append(f"one of two overlapping polls exited with {poll.returncode}")
    outcome.struck = int(all(judged))  # both judged invoices: they did overlap
    return outcome


def keyed_fields(entry: Entry) -> dict[str, Any]:
    """What a bot keys into the ERP of an entry."""
    return {
        "vendor_id": entry.vendor_id,
        "invoice_number": entry.invoice_number,
        "invoice_date": entry.invoice_date,
        "po_number": entry.po_number,
        "currency": entry.currency,
        "total": entry.total,
    }


class _Bot:
    """A bot keying into the ERP and calling back, now and then twice, now and then contradicting itself."""

    def __init__(self, name: str, world: World, rng: random.Random, erp_lock: threading.Lock) -> None:
        self.name = name
        self.store = ProcessStore.from_url(world.settings.process_db_url)
        self._erp = sa.create_engine(world.settings.erp_db_url)
        self._rng = rng
        self._erp_lock = erp_lock
        self.problems: list[str] = []
        self.replays = self.contradictions = 0

    def close(self) -> None:
        self.store.close()
        self._erp.dispose()

    def work(self) -> None:
        try:
            while (entry := self.store.bot.claim_next(self.name)) is not None:
                self._handle(entry)
        except Exception as error:  # anything unexpected is a finding of the scenario
            self.problems.append(f"{self.name}: {type(error).__name__}: {error}")

    def key_in(self, entry: Entry) -> str:
        document = f"AP-{entry.id}-{self.name.removeprefix('bot:')}-{self._rng.randrange(10**6)}"
        with self._erp_lock, self._erp.begin() as connection:
            key_in_ap_invoice(connection, document, **keyed_fields(entry))
        return document

    def expect(self, refusal: type[Exception], callback: Callable[[], object]) -> None:
        self.contradictions += 1
        try:
            callback()
        except refusal:
            return
        self.problems.append(f"{self.name}: a callback the store must refuse was not refused with {refusal.__name__}")

    def _replay(self, callback: Callable[..., Entry], entry_id: int, value: str) -> Entry:
        self.replays += 1
        return callback(entry_id, value, bot=self.name)

    def _handle(self, entry: Entry) -> None:
        bot = self.store.bot
        if self._rng.random() < 0.8:
            document = self.key_in(entry)
            first = bot.record_success(entry.id, document, bot=self.name)
            if self._rng.random() < 0.3 and self._replay(bot.record_success, entry.id, document) != first:
                self.problems.append(f"entry {entry.id}: a replayed success answered differently")
            if self._rng.random() < 0.1:
                self.expect(AlreadyEnteredError, lambda: bot.record_failure(entry.id, "timed out", bot=self.name))
        else:
            first = bot.record_failure(entry.id, "ERP screen timed out", bot=self.name)
            if (
                self._rng.random() < 0.3
                and bot.record_failure(entry.id, "ERP screen timed out", bot=self.name) != first
            ):
                self.problems.append(f"entry {entry.id}: a replayed failure answered differently")
            if self._rng.random() < 0.1:  # never keyed: a success now is a lie the store must refuse
                self.expect(CallbackConflictError, lambda: bot.record_success(entry.id, "AP-LIE", bot=self.name))


def bots_racing(world: World, rng: random.Random, _server: PrivatePostgres | None = None) -> Outcome:
    """Two bots claiming at once, round after round (each round's entered invoices free their POs)."""
    problems: list[str] = []
    erp_lock = threading.Lock()  # the demo ERP is a SQLite file: one writer at a time, as its screens would
    every_bot: list[_Bot] = []
    for _ in range(3):
        status = world.poll_to_the_end()
        if status != 0:
            problems.append(f"a poll between the rounds exited with {status}")
        bots = [_Bot(f"bot:racer-{n}", world, random.Random(rng.random()), erp_lock) for n in (1, 2)]
        every_bot.extend(bots)
        threads = [threading.Thread(target=bot.work) for bot in bots]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for bot in bots:
            bot.close()
            problems.extend(bot.problems)
    # a fault per contradicting or replayed callback
    faults = sum(bot.contradictions + bot.replays for bot in every_bot)
    return Outcome(faults=faults, struck=faults, problems=problems)


def stale_dispatch_late_callback(world: World, rng: random.Random, _server: PrivatePostgres | None = None) -> Outcome:
    """A bot takes every ready entry and goes quiet; housekeeping looks them up in the ERP; a second
    bot takes what went back to the queue; the first bot's callbacks come late, some for invoices it
    keyed after housekeeping had looked (the second bot keys those too: a double entry AP must be told of)."""
    if (status := world.poll_to_the_end()) != 0:
        return Outcome(problems=[f"the poll exited with {status}"])
    erp_lock = threading.Lock()
    quiet, second = (_Bot(name, world, random.Random(rng.random()), erp_lock) for name in ("bot:quiet", "bot:second"))
    store = quiet.store
    erp = ErpGateway.from_settings(world.settings)
    problems: list[str] = []
    try:
        fates: dict[int, str] = {}
        taken: dict[int, Entry] = {}
        while (entry := store.bot.claim_next(quiet.name)) is not None:
            taken[entry.id] = entry
            fates[entry.id] = rng.choice(["callback lost", "crashed before keying", "keyed too late"])
        lost = {entry_id: quiet.key_in(taken[entry_id]) for entry_id, fate in fates.items() if fate == "callback lost"}
        found = rpa.release_stale_dispatches(
            store, erp, lambda: datetime.now(UTC) + timedelta(seconds=1), stale_after_minutes=0, actor=HOUSEKEEPING
        )
        if sorted(found.entered) != sorted(lost):
            problems.append(f"housekeeping entered {sorted(found.entered)}, the ERP had {sorted(lost)}")
        while (claimed := second.store.bot.claim_next(second.name)) is not None:
            report = partial(second.store.bot.record_success, claimed.id, bot=second.name)
            if fates.get(claimed.id) != "keyed too late":
                report(second.key_in(claimed))
                continue
            store.bot.record_success(claimed.id, quiet.key_in(claimed), bot=quiet.name)  # late, but first
            second.expect(AlreadyEnteredError, partial(report, second.key_in(claimed)))
        for entry_id, document in lost.items():  # the quiet bot's callbacks, late: the same documents
            if store.bot.record_success(entry_id, document, bot=quiet.name).status is not EntryStatus.ENTERED:
                problems.append(f"entry {entry_id}: the late callback did not find it entered")
        flagged = {entry_id for entry_id in taken if store.entries.get(entry_id).possible_double_entry}
        expected = {entry_id for entry_id, fate in fates.items() if fate == "keyed too late"}
        if flagged != expected:
            problems.append(f"flagged as possible double entries: {sorted(flagged)}, keyed twice: {sorted(expected)}")
    finally:
        quiet.close()
        second.close()
        erp.close()
    late = sum(1 for fate in fates.values() if fate != "crashed before keying")
    return Outcome(faults=len(fates), struck=late, problems=problems + second.problems + quiet.problems)
