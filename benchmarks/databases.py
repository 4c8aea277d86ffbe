"""Databases the benchmarks run on: temporary SQLite files, and a dedicated database on each
server that answers (BENCH_POSTGRES_URL / BENCH_MARIADB_URL point at a database to create it from)."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import make_url

SERVERS = {
    "postgresql": os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    "mariadb (pyodbc)": os.environ.get(
        "BENCH_MARIADB_URL", "mysql+pyodbc://root:@127.0.0.1:3306/test?driver=MariaDB+Unicode&charset=utf8mb4"
    ),
}
BENCH_DATABASE = "ia_bench"


@contextmanager
def bench_database(admin_url: str, name: str = BENCH_DATABASE) -> Iterator[str | None]:
    """A fresh database `name` beside `admin_url`'s, dropped afterwards; None when the server does not answer."""
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    postgres = admin.dialect.name == "postgresql"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}" + (" WITH (FORCE)" if postgres else "")))
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
    except Exception as exc:  # a server that is not there is reported, not fatal
        print(
            f"  (skipped {make_url(admin_url).get_backend_name()}: {type(exc).__name__}: {str(exc).splitlines()[0][:120]})"
        )
        yield None
        return
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}" + (" WITH (FORCE)" if postgres else "")))
        admin.dispose()
