"""What one process works with: the connectors opened once from the settings, and the use cases
over them. The API opens one for its lifetime; flows and worker processes share one per
settings (`services_for`), so nothing holding connections crosses a task boundary."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Self

from connectors.db import DatabaseTimeouts
from connectors.documents import DocumentStorage
from connectors.erp import ErpGateway
from connectors.marketplace import MarketplaceSource
from connectors.store import ProcessStore
from domain.clock import Clock, system_clock
from rules.catalogue import load_rule_config
from rules.engine import RuleEngine
from services.document_intake import IntakePolicy
from services.documents import DocumentService
from services.extraction import ExtractionPolicy
from services.extraction_config import extraction_policy
from services.extraction_runs import RunPolicy
from services.judging import JudgingService
from services.kpis import KpiCache
from services.sign_in import SignInPolicy, SignIns
from settings import Settings


@dataclass(frozen=True)
class DocumentSetup:
    """Where uploaded files are kept, and the policies of their intake and extraction."""

    storage: DocumentStorage
    intake: IntakePolicy
    extraction: ExtractionPolicy
    runs: RunPolicy

    @classmethod
    def from_settings(cls, settings: Settings) -> "DocumentSetup":
        return cls(
            storage=DocumentStorage(settings.documents_dir),
            intake=IntakePolicy.from_settings(settings),
            extraction=extraction_policy(settings),
            runs=RunPolicy.from_settings(settings),
        )


class Services:
    def __init__(
        self,
        *,
        marketplace: MarketplaceSource,
        erp: ErpGateway,
        store: ProcessStore,
        engine: RuleEngine,
        sign_in_policy: SignInPolicy,
        documents: DocumentSetup,
        clock: Clock = system_clock,
    ) -> None:
        self.marketplace = marketplace
        self.erp = erp
        self.store = store
        self.clock = clock
        self.judging = JudgingService(marketplace=marketplace, erp=erp, store=store, engine=engine, clock=clock)
        self.sign_ins = SignIns(store, sign_in_policy, clock)
        self.kpis = KpiCache(store, clock)
        self.documents = DocumentService(
            store=store,
            erp=erp,
            storage=documents.storage,
            intake=documents.intake,
            extraction=documents.extraction,
            runs=documents.runs,
            rule_set_version=engine.config.rule_set_version,
            clock=clock,
        )

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock = system_clock) -> Self:
        return cls(
            marketplace=MarketplaceSource.from_settings(settings),
            erp=ErpGateway.from_settings(settings),
            store=ProcessStore.from_url(
                settings.process_db_url,
                webhook_urls=settings.webhook_urls,
                clock=clock,
                timeouts=DatabaseTimeouts.from_settings(settings),
            ),
            engine=RuleEngine(load_rule_config(settings.rules_config_path), clock=clock),
            sign_in_policy=SignInPolicy.from_settings(settings),
            documents=DocumentSetup.from_settings(settings),
            clock=clock,
        )

    def health_checks(self) -> dict[str, Callable[[], None]]:
        """One round trip per database, by name; each raises when its database does not answer."""
        return {"marketplace": self.marketplace.ping, "erp": self.erp.ping, "process": self.store.ping}

    def close(self) -> None:
        self.store.close()
        self.marketplace.close()
        self.erp.close()


@lru_cache(maxsize=4)
def services_for(settings: Settings) -> Services:
    """One set of connections per process and settings; Prefect tasks look it up rather than receive it."""
    return Services.from_settings(settings)
