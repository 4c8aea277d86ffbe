"""Alembic environment for the process store: the ORM metadata, the URL from the caller or PROCESS_DB_URL."""

from logging.config import fileConfig
from typing import TypedDict

from alembic import context
from sqlalchemy import MetaData, NullPool, event
from sqlalchemy.engine import make_url

from connectors.store.engine import make_engine
from connectors.store.tables import Base
from settings import get_settings


class _ConfigureOptions(TypedDict):
    target_metadata: MetaData
    render_as_batch: bool
    compare_type: bool


config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url") or get_settings().process_db_url

options: _ConfigureOptions = {
    "target_metadata": Base.metadata,
    # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
    "render_as_batch": make_url(url).get_backend_name() == "sqlite",
    "compare_type": True,
}

if context.is_offline_mode():
    context.configure(url=url, literal_binds=True, **options)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = make_engine(url, poolclass=NullPool)
    sqlite = engine.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds a table by dropping it, which SQLite refuses while enforcing foreign
        # keys if other rows reference it (entries referenced by the inbox, their events, PO locks).
        # Off for the migration only (it can be switched only outside a transaction), and every
        # reference is checked before the migration commits.
        event.listen(
            engine, "connect", lambda dbapi_connection, _record: dbapi_connection.execute("PRAGMA foreign_keys = OFF")
        )
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, **options)
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(
                            f"The migration left rows referencing missing rows (table, rowid, parent): {broken[:5]}"
                        )
    finally:
        engine.dispose()
