"""`python -m connectors.store upgrade [REVISION] | downgrade REVISION | current` for PROCESS_DB_URL."""

import argparse
import logging
import sys

from sqlalchemy.engine import make_url

from connectors.store.migrate import current_revision, downgrade, head_revision, upgrade
from settings import get_settings


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    url = args.url or get_settings().process_db_url
    # Alembic reports each migration it runs through logging.
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(f"Process database: {make_url(url).render_as_string(hide_password=True)}")
    if args.command == "upgrade":
        upgrade(url, args.revision)
    elif args.command == "downgrade":
        downgrade(url, args.revision)
    _print_revision(url)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m connectors.store",
        description="Create or change the service's own tables with their Alembic migrations.",
    )
    parser.add_argument("--url", help="database URL (default: PROCESS_DB_URL from the environment or .env)")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("upgrade", help="apply migrations up to REVISION (default: the newest)")
    up.add_argument("revision", nargs="?", default="head")
    down = commands.add_parser("downgrade", help="undo migrations back to REVISION ('base' drops every table)")
    down.add_argument("revision")
    commands.add_parser("current", help="show the revision the database is at")
    return parser


def _print_revision(url: str) -> None:
    revision = current_revision(url)
    head = head_revision()
    if revision is None:
        print(f"Schema revision: none (no tables yet; run upgrade to reach {head})")
    else:
        print(f"Schema revision: {revision}" + (" (newest)" if revision == head else f" (newest is {head})"))


if __name__ == "__main__":
    sys.exit(main())
