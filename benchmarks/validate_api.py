"""Latency of POST /api/v1/invoices/{id}/validate over 1,000 calls against uvicorn on 127.0.0.1,
on the demo data in fresh SQLite files (every call judges a new invoice and records its verdict)."""

import statistics
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

from benchmarks.api_server import api_client
from connectors.store.migrate import upgrade
from demo import seed_demo

PORT = 8765
# Answers that judged the invoice and recorded an entry (409: PO locked and 422: unreadable row stop earlier).
JUDGED = {200, 400, 404}


def percentiles(latencies: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(latencies, n=100)
    return round(cuts[49], 1), round(cuts[98], 1)


def run(calls: int = 1000) -> dict[str, float | int | dict[int, int]]:
    with tempfile.TemporaryDirectory() as folder:
        urls = {name: f"sqlite:///{Path(folder) / f'{name}.db'}" for name in ("marketplace", "erp", "process")}
        seed_demo(urls["marketplace"], urls["erp"], invoices=max(calls, 1000), today=date.today())
        upgrade(urls["process"])
        with api_client(
            marketplace_url=urls["marketplace"], erp_url=urls["erp"], process_url=urls["process"], port=PORT
        ) as client:
            latencies, judged, statuses = [], [], Counter[int]()
            for invoice_id in range(1, calls + 1):
                started = time.perf_counter()
                response = client.post(f"/api/v1/invoices/{invoice_id}/validate")
                latencies.append((time.perf_counter() - started) * 1000)
                statuses[response.status_code] += 1
                if response.status_code in JUDGED:
                    judged.append(latencies[-1])
    (p50, p99), (judged_p50, judged_p99) = percentiles(latencies), percentiles(judged)
    figures: dict[str, float | int | dict[int, int]] = {
        "calls": calls,
        "p50_ms": p50,
        "p99_ms": p99,
        "judged_calls": len(judged),
        "judged_p50_ms": judged_p50,
        "judged_p99_ms": judged_p99,
        "statuses": dict(sorted(statuses.items())),
    }
    if 500 in statuses:
        raise AssertionError(f"validate answered 500 {statuses[500]} times")
    print(
        f"validate endpoint (uvicorn, 1 worker, SQLite): {calls} calls p50 {p50} ms, p99 {p99} ms; "
        f"the {len(judged)} that judged and recorded an invoice: p50 {judged_p50} ms, p99 {judged_p99} ms; "
        f"answers {figures['statuses']} (409: PO locked by an earlier invoice of the same PO)"
    )
    return figures


if __name__ == "__main__":
    run()
