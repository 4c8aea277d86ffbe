"""Service settings, read once from the environment (and `.env`); `.env.example` documents each one."""

from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = REPO_ROOT / "var"


def _sqlite_under_var(name: str) -> str:
    return f"sqlite:///{VAR_DIR / name}"


class ModelPrice(BaseModel):
    """What one model of a paid extraction engine costs, in the currency the bills come in."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str = Field(min_length=1)
    input_per_million: Decimal = Field(default=Decimal("0"), ge=0, description="Per million input tokens.")
    output_per_million: Decimal = Field(default=Decimal("0"), ge=0, description="Per million output tokens.")
    per_page: Decimal = Field(default=Decimal("0"), ge=0, description="Per page (Azure Document Intelligence).")


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
        default=1000,
        ge=1,
        le=2000,
        description="Invoices per marketplace query page (SQL Server caps parameters at 2100).",
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
    # --- when a database does not answer
    database_connect_timeout_seconds: float = Field(
        default=5, gt=0, description="Give up opening a connection to a database that does not answer."
    )
    database_pool_timeout_seconds: float = Field(
        default=5, gt=0, description="Wait at most this long for a free pooled connection (all busy or stuck)."
    )
    database_statement_timeout_seconds: float = Field(
        default=60, gt=0, description="Longest one SQL statement may run before the database or driver cancels it."
    )
    request_deadline_seconds: float = Field(
        default=15,
        gt=0,
        description="An API request unanswered after this long (a database not answering) gets 503 database_unavailable.",
    )
    # --- monitoring
    metrics_public: bool = Field(
        default=False,
        description="Serve GET /metrics without credentials (to a Prometheus on a network only it reaches); "
        "false: only to a signed-in user or a bot's API key.",
    )
    # --- people
    session_lifetime_minutes: int = Field(
        default=480,
        ge=1,
        description="How long a sign-in (cookie or bearer token) lasts before the user signs in again.",
    )
    session_cookie_secure: bool = Field(
        default=False, description="Send the session cookie over HTTPS only; set true wherever the API is behind TLS."
    )
    # --- failed sign-ins and password checks
    sign_in_lockout_after_failures: int = Field(
        default=5, ge=1, description="Failed sign-ins of one username before it is locked out for a while."
    )
    sign_in_address_lockout_after_failures: int = Field(
        default=20,
        ge=1,
        description="Failed sign-ins from one client address (any usernames) before it is locked out for a while.",
    )
    sign_in_first_lockout_seconds: int = Field(
        default=30, ge=1, le=86_400, description="The first lockout; each further failure doubles it."
    )
    sign_in_longest_lockout_seconds: int = Field(
        default=900, ge=1, le=86_400, description="The doubling stops at this lockout."
    )
    sign_in_forget_failures_after_minutes: int = Field(
        default=1440, ge=1, description="Failures of a username or address with none since this long are forgotten."
    )
    password_checks_at_once: int = Field(
        default=2,
        ge=1,
        description="Password checks (argon2id, 64 MiB of memory each) one API process runs at a time.",
    )
    password_check_wait_seconds: float = Field(
        default=10, gt=0, description="How long a sign-in waits for a password check slot before 503."
    )
    trusted_proxies: tuple[str, ...] = Field(
        default=(),
        description='Addresses of reverse proxies whose X-Forwarded-For names the client, as a JSON list: ["10.0.0.5"].',
    )
    # --- what the API accepts
    max_request_body_bytes: int = Field(
        default=2_000_000, ge=1, description="Largest request body the API reads; a larger one is refused (413) unread."
    )
    max_invoice_lines: int = Field(
        default=5000, ge=1, description="Most lines an invoice posted to the API may have (422 beyond)."
    )
    # --- mail dispatch to the bot's mailbox
    smtp_host: str | None = Field(
        default=None, description="SMTP server that mails payloads to the bot; unset: no mail dispatch."
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP port.")
    smtp_starttls: bool = Field(
        default=True, description="Upgrade the SMTP connection with STARTTLS before signing in."
    )
    smtp_username: str | None = Field(default=None, description="SMTP user, when the server wants one.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_timeout_seconds: float = Field(default=10, gt=0, description="Give up on an SMTP server that does not answer.")
    mail_from: str = Field(default="invoice-automation@localhost", description="Sender of payload mails.")
    rpa_mailbox: str | None = Field(default=None, description="The bot's mailbox, where payloads are mailed.")
    mail_dispatch_auto: bool = Field(
        default=False,
        description="Mail every ready payload to RPA_MAILBOX on a schedule, instead of only when a clerk asks.",
    )
    # --- webhooks
    # A tuple, not a list: Settings is hashed (judging_service caches one service per Settings).
    webhook_urls: tuple[str, ...] = Field(
        default=(),
        description='Receivers of entry.created and entry.status_changed events, as a JSON list: ["https://..."].',
    )
    webhook_secret: SecretStr | None = Field(
        default=None,
        description="Key of the HMAC-SHA256 signature each webhook body carries; required with WEBHOOK_URLS.",
    )
    webhook_max_attempts: int = Field(default=8, ge=1, description="Attempts per delivery before it is marked failed.")
    webhook_retry_seconds: float = Field(
        default=10, gt=0, description="Wait before the first retry; each further retry waits twice as long."
    )
    webhook_timeout_seconds: float = Field(default=5, gt=0, description="Per attempt, for the receiver to answer.")
    # --- Prefect, as the dashboard sees it (the flows read PREFECT_API_URL themselves, through Prefect)
    prefect_api_url: str = Field(
        default="http://127.0.0.1:4200/api",
        description="The Prefect server's API, where the dashboard reads flow runs and starts a poll.",
    )
    prefect_ui_url: str | None = Field(
        default=None,
        description="The Prefect UI that flow run links point to; unset: PREFECT_API_URL without its /api.",
    )
    prefect_api_timeout_seconds: float = Field(
        default=3, gt=0, description="Per request to the Prefect API: the dashboard gives up on it after this long."
    )

    # --- documents: upload and extraction
    documents_dir: Path = Field(
        default=VAR_DIR / "documents", description="Where uploaded files are kept, content-addressed (by SHA-256)."
    )
    documents_max_files: int = Field(default=20, ge=1, description="Most files one upload request may carry (413).")
    documents_max_bytes: int = Field(default=20_000_000, ge=1, description="Largest file an upload may carry (413).")
    documents_max_pages: int = Field(
        default=50, ge=1, description="A document with more pages is not extracted (failed, with the reason)."
    )
    documents_max_pixels: int = Field(
        default=60_000_000,
        ge=1,
        description="Largest image (width × height) decoded; a larger one is refused unread (an image bomb).",
    )
    documents_auto_submit: bool = Field(
        default=False, description="Submit a document into the inbox as soon as it is extracted with confidence."
    )
    extraction_confidence: float = Field(
        default=0.8,
        ge=0,
        le=1,
        description="A field read with less confidence (or a failed cross-check) makes the document needs_review.",
    )
    extraction_batch_size: int = Field(default=20, ge=1, description="Documents one extract-documents batch claims.")
    extraction_concurrency: int = Field(
        default=2, ge=1, description="Documents one extract-documents run extracts at the same time."
    )
    extraction_lease_seconds: int = Field(
        default=600,
        ge=10,
        description="A document held this long by a run that never finished (crashed) is queued again.",
    )
    extraction_max_attempts: int = Field(
        default=3, ge=1, description="Runs that may crash on one document before it is failed."
    )
    ocr_languages: str = Field(
        default="deu+fra+eng+nld",
        description="Tesseract's language models used for scans, joined by '+' (German first keeps umlauts).",
    )
    ocr_dpi: int = Field(
        default=200, ge=72, le=600, description="Resolution scanned PDF pages are rendered at (300: slower, no better)."
    )
    # --- optional cloud and LLM extraction
    extraction_provider: Literal["none", "azure", "gemini", "openai"] = Field(
        default="none",
        description="A paid engine for documents without e-invoice XML; none: offline engines only.",
    )
    extraction_provider_when: Literal["always", "needs_review"] = Field(
        default="needs_review",
        description="Call the provider for every such document, or only when the offline result needs review.",
    )
    extraction_provider_timeout_seconds: float = Field(default=60, gt=0, description="Per provider request.")
    extraction_provider_attempts: int = Field(
        default=3, ge=1, description="Attempts per provider call (429, 5xx, timeouts), with exponential backoff."
    )
    extraction_provider_confidence: float = Field(
        default=0.85, ge=0, le=1, description="Confidence given to an LLM's fields (they report none)."
    )
    azure_di_endpoint: str | None = Field(
        default=None, description="Azure Document Intelligence resource, e.g. https://NAME.cognitiveservices.azure.com"
    )
    azure_di_key: SecretStr | None = Field(default=None, description="Its key (Ocp-Apim-Subscription-Key).")
    gemini_base_url: str = Field(
        default="https://generativelanguage.googleapis.com", description="Google's Gemini API."
    )
    gemini_api_key: SecretStr | None = Field(default=None, description="Gemini API key.")
    gemini_model: str = Field(default="gemini-2.5-flash", description="Gemini model with structured output.")
    openai_base_url: str | None = Field(
        default=None,
        description="An OpenAI-compatible API (DeepSeek https://api.deepseek.com, vLLM or Ollama http://host:11434/v1).",
    )
    openai_api_key: SecretStr | None = Field(default=None, description="Its API key (any text for Ollama).")
    openai_model: str = Field(default="deepseek-chat", description="The chat model asked for the invoice's JSON.")
    openai_structured_output: Literal["json_schema", "json_object"] = Field(
        default="json_schema",
        description="json_schema: the server enforces the invoice schema; json_object for servers without it (DeepSeek).",
    )
    extraction_prices: tuple[ModelPrice, ...] = Field(
        default=(),
        description='Prices per model, as a JSON list: [{"model": "gemini-2.5-flash", "input_per_million": "0.30", '
        '"output_per_million": "2.50"}, {"model": "prebuilt-invoice", "per_page": "0.01"}]; unpriced calls cost unknown.',
    )

    @model_validator(mode="after")
    def _webhooks_are_signed(self) -> "Settings":
        if self.webhook_urls and self.webhook_secret is None:
            raise ValueError(
                "WEBHOOK_SECRET is required when WEBHOOK_URLS is set: receivers verify the signature with it"
            )
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
