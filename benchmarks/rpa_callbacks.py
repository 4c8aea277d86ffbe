"""Two RPA bots draining 5,000 ready entries through the API under uvicorn (2 workers) on PostgreSQL:
each claims (POST /api/v1/rpa/claim) and calls back success, or failure for one entry in ten,
until nothing is ready. Measures callbacks per second and the latency of claims and callbacks,
then checks in the database that the concurrent claims handed out every entry exactly once:
each ended entered or rpa_failed, with one dispatched event (to the bot that got it) and one final event.
"""

import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import httpx
import sqlalchemy as sa

from benchmarks.api_server import api_server, bot_client
from benchmarks.databases import SERVERS, bench_database
from benchmarks.validate_api import percentiles
from connectors.store import ProcessStore
from connectors.store.migrate import upgrade
from connectors.store.tables import EntryEventRow, EntryRow
from demo.factories import make_invoice, make_payload, make_verdict
from domain import EntryStatus, Invoice, RpaPayload, Verdict

PORT = 8767
BOTS = ("bot-a", "bot-b")
FINAL = (EntryStatus.ENTERED.value, EntryStatus.RPA_FAILED.value)


class _Ready(NamedTuple):
    invoice: Invoice
    verdict: Verdict
    payload: RpaPayload


@dataclass
class _BotRun:
    name: str
    claim_ms: list[float] = field(default_factory=list)
    callback_ms: list[float] = field(default_factory=list)
    outcomes: list[tuple[int, str]] = field(default_factory=list)  # (entry id, status its callback answered)


def _fails(entry_id: int) -> bool:
    """The bot fails one entry in ten, the same ones on every run."""
    return entry_id % 10 == 0


def _seed(url: str, entries: int) -> None:
    """`entries` ready entries, each on its own PO, recorded in one batch."""
    verdict = make_verdict(EntryStatus.READY_TO_PROCESS)
    ready = []
    for n in range(1, entries + 1):
        invoice = make_invoice(source_invoice_id=str(n), invoice_number=f"INV-{n:05d}", po_number=f"PO-{n:05d}")
        ready.append(_Ready(invoice, verdict, make_payload(invoice)))
    store = ProcessStore.from_url(url)
    try:
        record = store.verdicts.record_batch(ready, actor="flow:bench")
    finally:
        store.close()
    if len(record.recorded) != entries:
        raise AssertionError(f"seeding recorded {len(record.recorded)} of {entries} entries")


def _elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _expect(response: httpx.Response, status: int) -> None:
    if response.status_code != status:
        raise AssertionError(
            f"{response.request.method} {response.request.url.path}: {response.status_code} {response.text[:200]}"
        )


def _drain(client: httpx.Client, name: str) -> _BotRun:
    """One bot: claim, call back, until a claim answers 204 (nothing ready)."""
    run = _BotRun(name)
    while True:
        started = time.perf_counter()
        claim = client.post("/api/v1/rpa/claim")
        run.claim_ms.append(_elapsed_ms(started))
        if claim.status_code == 204:
            return run
        _expect(claim, 200)
        entry_id = claim.json()["entry_id"]
        if _fails(entry_id):
            path, body = f"/api/v1/rpa/{entry_id}/failure", {"reason": "benchmark: the ERP screen refused the invoice"}
        else:
            path, body = f"/api/v1/rpa/{entry_id}/success", {"erp_document_id": f"AP-{entry_id}"}
        started = time.perf_counter()
        answer = client.post(path, json=body)
        run.callback_ms.append(_elapsed_ms(started))
        _expect(answer, 200)
        run.outcomes.append((entry_id, answer.json()["status"]))


def _check(url: str, runs: list[_BotRun], entries: int) -> None:
    """Raise unless every entry ended entered or rpa_failed as its bot reported, with exactly one
    dispatched event and one final event, both by the one bot that received it."""
    claimed_by: dict[int, str] = {}
    problems: Counter[str] = Counter()
    for run in runs:
        for entry_id, _ in run.outcomes:
            if entry_id in claimed_by:
                problems["claimed twice"] += 1
            claimed_by[entry_id] = f"bot:{run.name}"
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        statuses = dict(conn.execute(sa.select(EntryRow.id, EntryRow.status)).tuples().all())
        events = (
            conn.execute(
                sa.select(EntryEventRow.entry_id, EntryEventRow.to_status, EntryEventRow.actor).where(
                    EntryEventRow.to_status.in_([EntryStatus.DISPATCHED.value, *FINAL])
                )
            )
            .tuples()
            .all()
        )
    engine.dispose()
    dispatched_to: defaultdict[int, list[str]] = defaultdict(list)
    final_events: defaultdict[int, list[tuple[str, str]]] = defaultdict(list)
    for entry_id, to_status, actor in events:
        if to_status == EntryStatus.DISPATCHED.value:
            dispatched_to[entry_id].append(actor)
        else:
            final_events[entry_id].append((to_status, actor))
    if len(statuses) != entries:
        problems[f"{len(statuses)} entries in the database, not {entries}"] += 1
    for entry_id, status in statuses.items():
        expected = EntryStatus.RPA_FAILED.value if _fails(entry_id) else EntryStatus.ENTERED.value
        if status != expected:
            problems[f"ended {status}, not as its bot reported"] += 1
        if dispatched_to[entry_id] != [claimed_by.get(entry_id)]:
            problems["not dispatched exactly once, to the bot that received it"] += 1
        if final_events[entry_id] != [(status, claimed_by.get(entry_id))]:
            problems["not exactly one final event, by the bot that received it"] += 1
    if problems:
        raise AssertionError(f"entries lost or handed out twice: {dict(problems)}")


def run(entries: int = 5000) -> dict[str, float | int | dict[str, dict[str, int]]] | None:
    """The figures, or None when PostgreSQL does not answer (bench_database prints that it was skipped)."""
    with bench_database(SERVERS["postgresql"]) as url, tempfile.TemporaryDirectory() as folder:
        if url is None:
            return None
        upgrade(url)
        started = time.perf_counter()
        _seed(url, entries)
        seed_seconds = time.perf_counter() - started
        # The judging service the app starts with wants a marketplace and an ERP; these routes never read them.
        unused = {name: f"sqlite:///{Path(folder) / f'{name}.db'}" for name in ("marketplace", "erp")}
        with api_server(
            marketplace_url=unused["marketplace"], erp_url=unused["erp"], process_url=url, port=PORT, workers=2
        ) as base_url:
            with ExitStack() as stack, ThreadPoolExecutor(max_workers=len(BOTS)) as pool:
                clients = {name: stack.enter_context(bot_client(base_url, url, name)) for name in BOTS}
                started = time.perf_counter()
                futures = [pool.submit(_drain, client, name) for name, client in clients.items()]
                runs = [future.result() for future in futures]
                seconds = time.perf_counter() - started
        _check(url, runs, entries)
    claims = [ms for run in runs for ms in run.claim_ms]
    callbacks = [ms for run in runs for ms in run.callback_ms]
    (claim_p50, claim_p99), (callback_p50, callback_p99) = percentiles(claims), percentiles(callbacks)
    per_bot = {
        run.name: {"claimed": len(run.outcomes), **Counter(status for _, status in run.outcomes)} for run in runs
    }
    figures: dict[str, float | int | dict[str, dict[str, int]]] = {
        "entries": entries,
        "seed_seconds": round(seed_seconds, 1),
        "seconds": round(seconds, 1),
        "callbacks_per_second": round(len(callbacks) / seconds),
        "claims_per_second": round(len(claims) / seconds),
        "claim_p50_ms": claim_p50,
        "claim_p99_ms": claim_p99,
        "callback_p50_ms": callback_p50,
        "callback_p99_ms": callback_p99,
        "per_bot": per_bot,
    }
    print(
        f"rpa callbacks [postgresql, uvicorn 2 workers, {len(BOTS)} bots]: {entries} entries "
        f"(seeded in {figures['seed_seconds']} s) claimed and called back in {figures['seconds']} s = "
        f"{figures['callbacks_per_second']} callbacks/s, {figures['claims_per_second']} claims/s; "
        f"claim p50 {claim_p50} ms, p99 {claim_p99} ms; callback p50 {callback_p50} ms, p99 {callback_p99} ms; "
        f"per bot {per_bot}"
    )
    print(
        f"rpa callbacks: every one of the {entries} entries entered or rpa_failed exactly once, "
        "dispatched once to the bot that called back, none lost"
    )
    return figures


if __name__ == "__main__":
    run()
