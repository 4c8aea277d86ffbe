"""The databases one scenario run breaks: demo marketplace and ERP (SQLite files in a folder of
its own) and a fresh, migrated process database on a PostgreSQL server; polls run as processes."""

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from chaos.invariants import Check, check
from connectors.store.migrate import upgrade
from demo import seed_demo
from settings import REPO_ROOT, Settings

# Small slices of the pull (~100 invoices), so that faults strike between slices as well as within them.
SLICE_LINES = 1000
POLL_SECONDS = 600  # a poll of a few thousand invoices takes seconds; this only stops a hung one


@dataclass(frozen=True)
class World:
    settings: Settings

    def start_poll(self, batch_size: int, slice_lines: int = SLICE_LINES) -> subprocess.Popen[str]:
        environment = {
            **os.environ,
            "PYTHONPATH": str(REPO_ROOT),
            "MARKETPLACE_DB_URL": self.settings.marketplace_db_url,
            "ERP_DB_URL": self.settings.erp_db_url,
            "PROCESS_DB_URL": self.settings.process_db_url,
            "WEBHOOK_URLS": "[]",
        }
        return subprocess.Popen(
            [sys.executable, "-m", "chaos.poll_process", str(batch_size), str(slice_lines)],
            cwd=REPO_ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )

    def poll_to_the_end(self, batch_size: int = 100) -> int:
        """Run a poll until nothing is left to judge; its exit status."""
        poll = self.start_poll(batch_size)
        poll.communicate(timeout=POLL_SECONDS)
        return poll.returncode

    def check(self) -> Check:
        return check(self.settings.marketplace_db_url, self.settings.erp_db_url, self.settings.process_db_url)


@contextmanager
def world_in(folder: Path, postgres_admin_url: str, *, invoices: int, seed: int) -> Iterator[World]:
    """Seeded demo data and a migrated process database named for this run, dropped afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    marketplace, erp = f"sqlite:///{folder / 'marketplace.db'}", f"sqlite:///{folder / 'erp.db'}"
    seed_demo(
        marketplace, erp, invoices=invoices, seed=seed, today=date.today(), manifest_path=folder / "manifest.json"
    )
    with fresh_database(postgres_admin_url) as process:
        upgrade(process)
        yield World(Settings(_env_file=None, marketplace_db_url=marketplace, erp_db_url=erp, process_db_url=process))


@contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    name = f"ia_chaos_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        try:
            with admin.connect() as connection:
                connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        except sa.exc.OperationalError:
            pass  # a private server the scenario stopped for good
        admin.dispose()
