"""Throwaway databases on the real servers: one fresh database per test that asks for one.

Under CI=true a server that does not answer fails the test; elsewhere the test skips with a
one-line reason, so a laptop without PostgreSQL or MariaDB can still run the rest.
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from chaos.private_postgres import PostgresUnavailableError, server_binaries

IN_CI = os.environ.get("CI", "").lower() == "true"

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MARIADB_ODBC_DRIVER = os.environ.get("TEST_MARIADB_ODBC_DRIVER", "MariaDB Unicode")
MARIADB_ADMIN_URL = os.environ.get(
    "TEST_MARIADB_URL",
    "mysql+pyodbc://root:@127.0.0.1:3306/test?driver=" + MARIADB_ODBC_DRIVER.replace(" ", "+") + "&charset=utf8mb4",
)

KINDS = ("sqlite", "postgresql", "mariadb")


@cache
def _unavailable_reason(kind: str) -> str | None:
    """Why `kind` cannot be used here, or None when it answers."""
    if kind == "sqlite":
        return None
    if kind == "mariadb":
        try:
            import pyodbc
        except ImportError as exc:  # the unixODBC library is missing
            return f"pyodbc cannot load unixODBC ({exc}); run .ci/run or apt-get install unixodbc odbc-mariadb"
        if MARIADB_ODBC_DRIVER not in pyodbc.drivers():
            return f"ODBC driver {MARIADB_ODBC_DRIVER!r} not installed (apt-get install odbc-mariadb)"
    url = POSTGRES_ADMIN_URL if kind == "postgresql" else MARIADB_ADMIN_URL
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any failure to reach the server means "not available"
        return f"{kind} not reachable at {make_url(url).render_as_string(hide_password=True)}: {type(exc).__name__}"
    finally:
        engine.dispose()
    return None


def require(kind: str) -> None:
    """Skip (or, under CI=true, fail) the calling test when `kind` is not available."""
    reason = _unavailable_reason(kind)
    if reason is not None:
        _skip_or_fail(reason)


def _skip_or_fail(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def require_postgres_binaries() -> None:
    """Skip (or, under CI=true, fail) the calling test when no PostgreSQL server of its own can be
    started here (chaos.private_postgres needs the installed server's initdb and pg_ctl)."""
    try:
        server_binaries()
    except PostgresUnavailableError as missing:
        _skip_or_fail(str(missing))


@contextmanager
def scratch_database(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Create an empty database of `kind`, yield its SQLAlchemy URL, drop it afterwards."""
    require(kind)
    name = f"ia_{uuid.uuid4().hex[:16]}"
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / (name + '.db')}"
        return
    admin_url = POSTGRES_ADMIN_URL if kind == "postgresql" else MARIADB_ADMIN_URL
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    create = f"CREATE DATABASE {name}" + (" CHARACTER SET utf8mb4" if kind == "mariadb" else "")
    drop = f"DROP DATABASE IF EXISTS {name}" + (" WITH (FORCE)" if kind == "postgresql" else "")
    with admin.connect() as conn:
        conn.execute(sa.text(create))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(drop))
        admin.dispose()
