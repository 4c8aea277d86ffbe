"""`make bench`: every benchmark, printing its figures (run on an otherwise idle machine).

`python -m benchmarks [foundation] [rules] [flows] [backlog] [rpa] [login] [dashboard] [documents] [pages]` runs only
those sections.
"""

import sys
import tempfile
from datetime import date
from pathlib import Path

from benchmarks import (
    backlog_memory,
    dashboard,
    erp_gateway,
    extraction,
    login_flood,
    page_images,
    poll_backlog,
    rpa_callbacks,
    rule_engine,
    seed,
    validate_api,
)
from benchmarks.databases import SERVERS, bench_database
from demo import seed_demo

INVOICES = 10_000
BACKLOG = 100_000


def foundation() -> None:
    print(f"== foundation: {INVOICES} demo invoices")
    seed.run(INVOICES)
    today = date.today()
    with tempfile.TemporaryDirectory() as folder:
        marketplace, erp = f"sqlite:///{Path(folder) / 'marketplace.db'}", f"sqlite:///{Path(folder) / 'erp.db'}"
        seed_demo(marketplace, erp, invoices=INVOICES, today=today)
        erp_gateway.run(marketplace, erp, today=today, label="sqlite")
        for label, admin_url in SERVERS.items():
            with bench_database(admin_url) as url:
                if url is not None:
                    seed_demo(marketplace, url, invoices=INVOICES, today=today)
                    erp_gateway.run(marketplace, url, today=today, label=label)


def rules() -> None:
    print("== rules")
    rule_engine.run(INVOICES, lines=10)
    validate_api.run(1000)


def flows() -> None:
    print(f"== flows: a backlog of {INVOICES} invoices × 10 lines")
    processes = sorted({1, poll_backlog.CORES})
    with tempfile.TemporaryDirectory() as folder, poll_backlog.prefect_harness():
        marketplace, erp = f"sqlite:///{Path(folder) / 'marketplace.db'}", f"sqlite:///{Path(folder) / 'erp.db'}"
        poll_backlog.write_backlog(marketplace, erp, invoices=INVOICES, lines=10, today=date.today())
        runs = {
            n: poll_backlog.one_poll_run(
                marketplace,
                erp,
                f"sqlite:///{Path(folder) / 'process.db'}",
                label="sqlite",
                invoices=INVOICES,
                judging_processes=n,
            )
            for n in processes
        }
        per_call = poll_backlog.one_call_per_invoice(
            marketplace, erp, f"sqlite:///{Path(folder) / 'process-api.db'}", calls=1000, backlog=INVOICES
        )
        for n, run in runs.items():
            print(
                f"one poll run with {n} judging process{'es' if n > 1 else ''} is "
                f"{per_call['backlog_seconds'] / run['seconds']:.0f}× faster than one call per invoice (target ≥ 20×)"
            )
        with bench_database(SERVERS["postgresql"]) as url:
            if url is not None:
                poll_backlog.write_backlog(url, url, invoices=INVOICES, lines=10, today=date.today())
                for n in processes:
                    poll_backlog.one_poll_run(url, url, url, label="postgresql", invoices=INVOICES, judging_processes=n)


def backlog() -> None:
    print(f"== backlog: {BACKLOG} invoices × 10 lines in one poll run, peak memory per process")
    backlog_memory.run(BACKLOG, sorted({1, poll_backlog.CORES}))


def rpa() -> None:
    print("== rpa: two bots draining 5000 ready entries")
    rpa_callbacks.run(5000)


def login() -> None:
    print(f"== login: authenticated calls during a flood of {login_flood.FLOODERS} wrong-password sign-ins")
    login_flood.run()


def dashboard_pages() -> None:
    print("== dashboard: 100,000 entries and 1,000,000 events; each page 200 times, p95 target 300 ms; the CSV export")
    dashboard.run()


def documents() -> None:
    print("== documents: extraction accuracy per engine and set, speed on one core, peak memory, the flow")
    extraction.run()


def pages() -> None:
    print("== pages: page images of documents, first render and cached read, by the service and over HTTP")
    page_images.run()


def main() -> int:
    sections = {
        "foundation": foundation,
        "rules": rules,
        "flows": flows,
        "backlog": backlog,
        "rpa": rpa,
        "login": login,
        "dashboard": dashboard_pages,
        "documents": documents,
        "pages": pages,
    }
    chosen = sys.argv[1:] or list(sections)
    for name in chosen:
        sections[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main())
