"""AP users, managed by admins (there is no sign-up)."""

from typing import Annotated

from fastapi import APIRouter, Path, status

from api.deps import StoreDep
from api.errors import error_responses
from api.schemas import USERNAME_PATTERN, NewUser, UserView
from api.security import AdminDep

router = APIRouter(prefix="/users", tags=["users"])


@router.get("", response_model=list[UserView], summary="List users")
def list_users(_admin: AdminDep, store: StoreDep) -> list[UserView]:
    return [UserView.model_validate(user, from_attributes=True) for user in store.accounts.list_users()]


@router.post(
    "",
    response_model=UserView,
    status_code=status.HTTP_201_CREATED,
    summary="Create a user",
    responses=error_responses({409: "The username is taken (user_exists).", 422: "Invalid fields or weak password."}),
)
def create_user(new_user: NewUser, _admin: AdminDep, store: StoreDep) -> UserView:
    user = store.accounts.create_user(new_user.username, new_user.password, new_user.role, vendor_id=new_user.vendor_id)
    return UserView.model_validate(user, from_attributes=True)


@router.post(
    "/{username}/deactivate",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Deactivate a user and end their sessions",
    responses=error_responses({404: "No such user (user_not_found)."}),
)
def deactivate_user(
    username: Annotated[str, Path(pattern=USERNAME_PATTERN)], _admin: AdminDep, store: StoreDep
) -> None:
    store.accounts.deactivate_user(username)
