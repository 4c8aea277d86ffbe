"""`make bench`: every benchmark, printing its figures (run on an otherwise idle machine)."""

import sys
import tempfile
from datetime import date
from pathlib import Path

from benchmarks import erp_gateway, rule_engine, seed, validate_api
from benchmarks.databases import SERVERS, bench_database
from connectors.demo import seed_demo

INVOICES = 10_000


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


def main() -> int:
    foundation()
    rules()
    return 0


if __name__ == "__main__":
    sys.exit(main())
