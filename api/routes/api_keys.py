"""The bots' API keys, managed by admins (or with `python -m api.accounts`)."""

from typing import Annotated

from fastapi import APIRouter, Path, status

from api.deps import StoreDep
from api.errors import error_responses
from api.schemas import API_KEY_NAME_PATTERN, ApiKeyView, IssuedApiKeyView, NewApiKey
from api.security import AdminDep

router = APIRouter(prefix="/api-keys", tags=["api-keys"])


@router.get("", response_model=list[ApiKeyView], summary="List API keys (never their secrets)")
def list_api_keys(_admin: AdminDep, store: StoreDep) -> list[ApiKeyView]:
    return [ApiKeyView.model_validate(key, from_attributes=True) for key in store.accounts.list_api_keys()]


@router.post(
    "",
    response_model=IssuedApiKeyView,
    status_code=status.HTTP_201_CREATED,
    summary="Create an API key for a bot; its secret is in this response only",
    responses=error_responses({409: "The name is taken (api_key_exists)."}),
)
def create_api_key(new_key: NewApiKey, admin: AdminDep, store: StoreDep) -> IssuedApiKeyView:
    issued = store.accounts.create_api_key(new_key.name, created_by=admin.actor)
    return IssuedApiKeyView(**issued.key.model_dump(exclude={"id"}), secret=issued.secret)


@router.post(
    "/{name}/revoke",
    response_model=ApiKeyView,
    summary="Revoke an API key at once",
    responses=error_responses({404: "No active key of that name (api_key_not_found)."}),
)
def revoke_api_key(
    name: Annotated[str, Path(pattern=API_KEY_NAME_PATTERN)], _admin: AdminDep, store: StoreDep
) -> ApiKeyView:
    return ApiKeyView.model_validate(store.accounts.revoke_api_key(name), from_attributes=True)
