"""FastAPI dependencies, as Annotated types routes declare: `def route(store: StoreDep)`.

Settings come from the cached `get_settings`; tests replace them with
`app.dependency_overrides[get_settings]` or by passing settings to `create_app`, and the app's
startup builds its judging service from the same source.
"""

from typing import Annotated

from fastapi import Depends, Path, Request

from connectors.db import MAX_INTEGER_ID, MIN_INTEGER_ID
from connectors.mail import PayloadMailer
from connectors.settings import Settings, get_settings
from connectors.store import ProcessStore
from flows.judging import JudgingService


def get_service(request: Request) -> JudgingService:
    # Opened once by the app's lifespan, which hands it to every request in its state.
    return request.state.service


def get_store(service: Annotated[JudgingService, Depends(get_service)]) -> ProcessStore:
    return service.store


def get_mailer(settings: Annotated[Settings, Depends(get_settings)]) -> PayloadMailer | None:
    # None when no SMTP server or bot mailbox is configured.
    return PayloadMailer.from_settings(settings)


# An id beyond the INTEGER columns is refused (422) instead of overflowing the database or its driver (500).
MIN_ID, MAX_ID = MIN_INTEGER_ID, MAX_INTEGER_ID
EntryIdPath = Annotated[int, Path(ge=MIN_ID, le=MAX_ID)]

SettingsDep = Annotated[Settings, Depends(get_settings)]
MailerDep = Annotated[PayloadMailer | None, Depends(get_mailer)]
ServiceDep = Annotated[JudgingService, Depends(get_service)]
StoreDep = Annotated[ProcessStore, Depends(get_store)]
