"""FastAPI dependencies, as Annotated types routes declare: `def route(store: StoreDep)`.

Settings come from the cached `get_settings`; tests replace them with
`app.dependency_overrides[get_settings]` or by passing settings to `create_app`, and the app's
startup opens its services (connections and use cases) from the same source.
"""

from typing import Annotated

from fastapi import Depends, Path, Request

from api.errors import ApiError
from api.sign_in_threads import SignInThreads
from connectors.db import MAX_INTEGER_ID, MIN_INTEGER_ID
from connectors.mail import PayloadMailer
from connectors.prefect_api import PrefectApi
from connectors.store import ProcessStore
from services.judging import JudgingService
from services.runtime import Services
from services.sign_in import SignIns
from settings import Settings, get_settings

# These dependencies are async, though they do not wait: FastAPI runs a sync one in its threadpool,
# and a sign-in must not take a thread there (api.sign_in_threads).


# These dependencies are async so that they run on the event loop, never waiting for a thread:
# a route that needs no database answers even when every thread is stuck on a frozen one.
async def get_services(request: Request) -> Services:
    # Opened once by the app's lifespan, which hands them to every request in its state.
    services: Services = request.state.services
    return services


async def get_store(services: Annotated[Services, Depends(get_services)]) -> ProcessStore:
    return services.store


async def get_judging(services: Annotated[Services, Depends(get_services)]) -> JudgingService:
    return services.judging


async def get_sign_ins(services: Annotated[Services, Depends(get_services)]) -> SignIns:
    return services.sign_ins


async def get_sign_in_threads(request: Request) -> SignInThreads:
    threads: SignInThreads = request.state.sign_in_threads
    return threads


async def get_prefect(request: Request) -> PrefectApi:
    # The app's client of the Prefect API, opened by its lifespan; tests may override this dependency.
    prefect: PrefectApi = request.state.prefect
    return prefect


def get_mailer(settings: Annotated[Settings, Depends(get_settings)]) -> PayloadMailer | None:
    # None when no SMTP server or bot mailbox is configured.
    return PayloadMailer.from_settings(settings)


def configured(mailer: PayloadMailer | None) -> PayloadMailer:
    """The mailer, for a request that mails; 503 mail_not_configured when there is none."""
    if mailer is None:
        raise ApiError(503, "mail_not_configured", "Mail dispatch needs SMTP_HOST and RPA_MAILBOX in the settings.")
    return mailer


# An id beyond the INTEGER columns is refused (422) instead of overflowing the database or its driver (500).
MIN_ID, MAX_ID = MIN_INTEGER_ID, MAX_INTEGER_ID
EntryIdPath = Annotated[int, Path(ge=MIN_ID, le=MAX_ID)]
DocumentIdPath = Annotated[int, Path(ge=MIN_ID, le=MAX_ID)]

SettingsDep = Annotated[Settings, Depends(get_settings)]
MailerDep = Annotated[PayloadMailer | None, Depends(get_mailer)]
ServicesDep = Annotated[Services, Depends(get_services)]
JudgingDep = Annotated[JudgingService, Depends(get_judging)]
StoreDep = Annotated[ProcessStore, Depends(get_store)]
SignInsDep = Annotated[SignIns, Depends(get_sign_ins)]
SignInThreadsDep = Annotated[SignInThreads, Depends(get_sign_in_threads)]
PrefectDep = Annotated[PrefectApi, Depends(get_prefect)]
