"""Benchmark: how fast the demo data seeds into fresh SQLite files."""

import tempfile
from pathlib import Path

from demo import seed_demo


def run(invoices: int = 10_000) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        report = seed_demo(
            f"sqlite:///{folder / 'marketplace.db'}", f"sqlite:///{folder / 'erp.db'}", invoices=invoices
        )
    lines = report.rows["mp_invoice_line"]
    result = {
        "invoices": invoices,
        "lines": lines,
        "seconds": round(report.seconds, 2),
        "invoices_per_second": round(invoices / report.seconds),
        "lines_per_second": round(lines / report.seconds),
    }
    print(
        f"seed: {invoices} invoices ({lines} lines) in {result['seconds']} s: "
        f"{result['invoices_per_second']} invoices/s, {result['lines_per_second']} lines/s"
    )
    return result


if __name__ == "__main__":
    run()
