"""Service settings, read once from the environment (and `.env`); `.env.example` documents each one."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = REPO_ROOT / "var"


def _sqlite_under_var(name: str) -> str:
    return f"sqlite:///{VAR_DIR / name}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=REPO_ROOT / ".env", extra="ignore", frozen=True)

    marketplace_db_url: str = Field(
        default=_sqlite_under_var("marketplace.db"),
        description="Where vendors' invoices are read from (read only).",
    )
    erp_db_url: str = Field(
        default=_sqlite_under_var("erp.db"),
        description="The ERP (Sampro): purchase orders, vendor master, AP invoices already entered (read only).",
    )
    process_db_url: str = Field(
        default=_sqlite_under_var("process.db"),
        description="The service's own tables: inbox, process_scheduler, entry_events, PO locks.",
    )
    marketplace_source: str = Field(
        default="marketplace",
        min_length=1,
        description="Name recorded as the `source` of every invoice pulled from MARKETPLACE_DB_URL.",
    )
    marketplace_page_size: int = Field(
        default=1000, ge=1, le=2000, description="Invoices per marketplace query page (SQL Server caps parameters at 2100)."
    )
    marketplace_cursor_lookback_seconds: int = Field(
        default=300,
        ge=0,
        description="Each pull re-reads rows changed this long before the cursor, so rows committed out of order are not skipped.",
    )
    erp_queries_dir: Path | None = Field(
        default=None,
        description="Folder of edited ERP query files replacing the shipped ones (see connectors/erp/queries/README.md).",
    )
    erp_in_list_size: int = Field(
        default=2000, ge=1, le=2000, description="PO numbers per ERP query (SQL Server caps parameters at 2100)."
    )
    erp_duplicate_lookback_days: int = Field(
        default=730, ge=1, description="How far back entered AP invoices are loaded for duplicate checks."
    )
    rules_config_path: Path = Field(
        default=REPO_ROOT / "rules" / "rules.yaml",
        description="The rule set's configuration file (tolerances, charge policy, switched-off rules...).",
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
