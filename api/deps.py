"""FastAPI dependencies, as Annotated types routes declare: `def route(store: StoreDep)`.

Settings come from the cached `get_settings`; tests replace them with
`app.dependency_overrides[get_settings]` or by passing settings to `create_app`, and the app's
startup builds its judging service from the same source.
"""

from typing import Annotated

from fastapi import Depends, Request

from connectors.settings import Settings, get_settings
from connectors.store import ProcessStore
from flows.judging import JudgingService


def get_service(request: Request) -> JudgingService:
    # Opened once by the app's lifespan, which hands it to every request in its state.
    return request.state.service


def get_store(service: Annotated[JudgingService, Depends(get_service)]) -> ProcessStore:
    return service.store


SettingsDep = Annotated[Settings, Depends(get_settings)]
ServiceDep = Annotated[JudgingService, Depends(get_service)]
StoreDep = Annotated[ProcessStore, Depends(get_store)]
