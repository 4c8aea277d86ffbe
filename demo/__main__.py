"""Seed the demo databases, or report what they hold.

    python -m demo [--invoices N] [--seed S] [--today YYYY-MM-DD] [--if-absent] [--manifest PATH]
                   [--documents-dir DIR | --no-documents]
    python -m demo report [--manifest PATH]

The databases are MARKETPLACE_DB_URL and ERP_DB_URL (SQLite files under var/ by default).
"""

import argparse
import sys
from datetime import date
from pathlib import Path

from demo.documents.canvas import missing_fonts
from demo.report import display_url, marketplace_invoice_count, summarise
from demo.seed import DEMO_DOCUMENTS_DIR, MANIFEST_NAME, manifest_path_for, seed_demo
from settings import VAR_DIR, Settings, get_settings


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = settings or get_settings()
    manifest = args.manifest or manifest_path_for(settings.marketplace_db_url) or VAR_DIR / MANIFEST_NAME
    if args.command == "report":
        print(summarise(settings.marketplace_db_url, settings.erp_db_url, manifest))
        return 0
    if args.if_absent:
        present = marketplace_invoice_count(settings.marketplace_db_url)
        if present:
            print(f"The marketplace already has {present} invoices: nothing seeded (leave out --if-absent to reseed).")
            return 0
    documents_dir = None if args.no_documents else args.documents_dir
    if documents_dir is not None and missing_fonts():
        print("No demo documents: their PDFs need Debian's fonts-dejavu-core (apt-get install fonts-dejavu-core).")
        documents_dir = None
    report = seed_demo(
        settings.marketplace_db_url,
        settings.erp_db_url,
        invoices=args.invoices,
        seed=args.seed,
        today=args.today or date.today(),
        manifest_path=manifest,
        documents_dir=documents_dir,
    )
    rows = report.rows
    print(
        f"Seeded {report.invoices} invoices ({rows['mp_invoice_line']} lines) against {rows['po_header']} POs "
        f"of {rows['vendor']} vendors in {report.seconds:.2f} s (seed {report.seed}, today {report.today})."
    )
    print(f"  marketplace  {display_url(settings.marketplace_db_url)}")
    print(f"  ERP          {display_url(settings.erp_db_url)}")
    print(f"  manifest     {report.manifest_path}")
    if report.documents:
        print(
            f"  documents    {len(report.documents)} invoices sent as PDFs, scans and e-invoices: {args.documents_dir}"
        )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m demo", description="Seed or report the demo databases.")
    parser.add_argument("command", nargs="?", choices=("seed", "report"), default="seed")
    parser.add_argument("--invoices", type=int, default=2000, help="marketplace invoices to create (default 2000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed: the same seed and size give the same data")
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="the demo's today (default: the real date, so the service, which judges by the real clock, sees "
        "future-dated and stale invoices as planted; tests pass a fixed date)",
    )
    parser.add_argument("--if-absent", action="store_true", help="do nothing when the marketplace already has invoices")
    parser.add_argument(
        "--documents-dir",
        type=Path,
        default=DEMO_DOCUMENTS_DIR,
        help="where some invoices are rendered as documents (PDFs, scans, e-invoices) for the demo to upload, "
        "instead of being marketplace rows (default: var/demo-documents)",
    )
    parser.add_argument("--no-documents", action="store_true", help="every invoice a marketplace row, no documents")
    parser.add_argument(
        "--manifest",
        type=Path,
        help="the planted-problem manifest (default: beside a SQLite marketplace DB, else var/)",
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
