"""The Prefect server's REST API, as the dashboard reads it: our deployments and their schedules,
their flow runs, the poll's artifacts, and a new run of a deployment ("poll now").

A small httpx client rather than Prefect's own: the API process imports no Prefect, and every
request has a short timeout (PREFECT_API_TIMEOUT_SECONDS), so a Prefect server that is stopped or
hangs costs a page that long, not a hung request. Whatever goes wrong on the way (connection
refused, no answer in time, a 5xx, an answer that is not Prefect's) is one `PrefectUnavailableError`
that names the URL and what happened.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self, TypeVar
from uuid import UUID

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from settings import Settings

# Prefect's own state types (prefect.client.schemas.objects.StateType).
SCHEDULED, FAILED, CRASHED, CANCELLED = "SCHEDULED", "FAILED", "CRASHED", "CANCELLED"


class PrefectUnavailableError(Exception):
    """The Prefect API did not answer, or not as Prefect answers."""

    def __init__(self, api_url: str, reason: str) -> None:
        super().__init__(f"The Prefect API at {api_url} is not available: {reason}.")
        self.api_url = api_url
        self.reason = reason


class _PrefectObject(BaseModel):
    # Prefect's answers carry far more than this client reads.
    model_config = ConfigDict(extra="ignore", frozen=True)


class PrefectSchedule(_PrefectObject):
    """One of a deployment's schedules: a cron, an interval or an RRule, active or not."""

    active: bool
    cron: str | None = None
    interval: timedelta | None = None
    rrule: str | None = None
    timezone: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _flatten(cls, data: Any) -> Any:
        # {"active": true, "schedule": {"cron": ..., "timezone": ...}} → one level
        if isinstance(data, dict) and isinstance(data.get("schedule"), dict):
            return {"active": data.get("active"), **data["schedule"]}
        return data


class _PrefectFlow(_PrefectObject):
    id: UUID
    name: str


class PrefectDeployment(_PrefectObject):
    id: UUID
    name: str
    flow_id: UUID
    flow_name: str = ""  # from the flow's own record (`deployments` fills it in)
    paused: bool
    status: str | None = None  # READY while a worker or serving process polls for its runs, else NOT_READY
    schedules: tuple[PrefectSchedule, ...] = ()


class PrefectFlowRun(_PrefectObject):
    id: UUID
    name: str
    deployment_id: UUID | None = None
    state_type: str | None = None  # SCHEDULED, PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, CRASHED...
    state_name: str | None = None  # "Late" is a SCHEDULED run past its time
    state_message: str | None = None
    expected_start_time: datetime | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None

    @model_validator(mode="before")
    @classmethod
    def _state_message(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("state"), dict):
            return {**data, "state_message": data["state"].get("message")}
        return data


class PrefectArtifact(_PrefectObject):
    id: UUID
    key: str | None = None
    type: str | None = None
    description: str | None = None
    data: Any = None
    flow_run_id: UUID | None = None
    created: datetime | None = None


_Model = TypeVar("_Model", bound=BaseModel)


class PrefectApi:
    """A client of one Prefect server's API (`api_url` ends in /api); `ui_url` is where its UI is."""

    def __init__(
        self,
        api_url: str,
        *,
        ui_url: str | None = None,
        timeout_seconds: float = 3,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.ui_url = (ui_url or self.api_url.removesuffix("/api")).rstrip("/")
        self.timeout_seconds = timeout_seconds
        self._http = httpx.Client(base_url=self.api_url, timeout=httpx.Timeout(timeout_seconds), transport=transport)

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        return cls(
            settings.prefect_api_url,
            ui_url=settings.prefect_ui_url,
            timeout_seconds=settings.prefect_api_timeout_seconds,
        )

    def flow_run_url(self, flow_run_id: UUID) -> str:
        return f"{self.ui_url}/runs/flow-run/{flow_run_id}"

    def deployment_url(self, deployment_id: UUID) -> str:
        return f"{self.ui_url}/deployments/deployment/{deployment_id}"

    # ------------------------------------------------------------------ reads

    def deployments(self, names: Sequence[str]) -> list[PrefectDeployment]:
        """The deployments of these names (of any flow), each with its flow's name. Two requests."""
        found = self._list(
            PrefectDeployment,
            "/deployments/filter",
            {"deployments": {"name": {"any_": list(names)}}, "sort": "NAME_ASC"},
        )
        if not found:
            return []
        flow_ids = sorted({str(deployment.flow_id) for deployment in found})
        flows = self._list(_PrefectFlow, "/flows/filter", {"flows": {"id": {"any_": flow_ids}}})
        flow_names = {flow.id: flow.name for flow in flows}
        return [
            deployment.model_copy(update={"flow_name": flow_names.get(deployment.flow_id, "")}) for deployment in found
        ]

    def deployment(self, flow_name: str, name: str) -> PrefectDeployment | None:
        """The deployment `flow_name/name`, or None when the server has none of that name."""
        path = f"/deployments/name/{flow_name}/{name}"
        answer = self._request("GET", path, missing_ok=True)
        if answer is None:
            return None
        return self._parse(PrefectDeployment, {**answer, "flow_name": flow_name}, path)

    def flow_runs(self, deployment_id: UUID, *, started_before: datetime, limit: int) -> list[PrefectFlowRun]:
        """The deployment's latest runs that started (or were due to) by `started_before`, latest first:
        runs scheduled for later are left out."""
        body = {
            "flow_runs": {
                "deployment_id": {"any_": [str(deployment_id)]},
                # Prefect compares coalesce(start_time, expected_start_time), as it sorts.
                "start_time": {"before_": started_before.isoformat()},
            },
            "sort": "START_TIME_DESC",
            "limit": limit,
        }
        return self._list(PrefectFlowRun, "/flow_runs/filter", body)

    def next_scheduled_run(self, deployment_id: UUID, *, after: datetime) -> PrefectFlowRun | None:
        """The deployment's earliest Scheduled run due after `after`, if any."""
        body = {
            "flow_runs": {
                "deployment_id": {"any_": [str(deployment_id)]},
                "state": {"type": {"any_": [SCHEDULED]}},
                "expected_start_time": {"after_": after.isoformat()},
            },
            "sort": "EXPECTED_START_TIME_ASC",
            "limit": 1,
        }
        runs = self._list(PrefectFlowRun, "/flow_runs/filter", body)
        return runs[0] if runs else None

    def artifacts(self, flow_run_ids: Sequence[UUID], key: str) -> list[PrefectArtifact]:
        """The artifacts of this key the runs published, newest first."""
        if not flow_run_ids:
            return []
        body = {
            "artifacts": {
                "key": {"any_": [key]},
                "flow_run_id": {"any_": [str(flow_run_id) for flow_run_id in flow_run_ids]},
            },
            "sort": "CREATED_DESC",
        }
        return self._list(PrefectArtifact, "/artifacts/filter", body)

    # ------------------------------------------------------------------ writes

    def create_flow_run(self, deployment_id: UUID) -> PrefectFlowRun:
        """A new run of the deployment with its default parameters, Scheduled for now: whatever
        serves the deployment picks it up as it does a run of the schedule."""
        path = f"/deployments/{deployment_id}/create_flow_run"
        return self._parse(PrefectFlowRun, self._post(path, {}), path)

    # ------------------------------------------------------------------ plumbing

    def _list(self, model: type[_Model], path: str, body: dict[str, Any]) -> list[_Model]:
        answer = self._post(path, body)
        if not isinstance(answer, list):
            raise self._unavailable(f"{path} answered something other than a list")
        return [self._parse(model, item, path) for item in answer]

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        return self._request("POST", path, json=body)

    def _request(self, method: str, path: str, *, json: dict[str, Any] | None = None, missing_ok: bool = False) -> Any:
        """The answer's JSON; None for a 404 when `missing_ok`."""
        try:
            response = self._http.request(method, path, json=json)
        except httpx.TimeoutException:
            raise self._unavailable(f"no answer within {self.timeout_seconds:g} s") from None
        except httpx.TransportError as error:
            raise self._unavailable(f"{method} {path} failed ({error or type(error).__name__})") from None
        if missing_ok and response.status_code == httpx.codes.NOT_FOUND:
            return None
        if response.is_error:
            raise self._unavailable(f"{method} {path} answered {response.status_code} {response.reason_phrase}")
        try:
            return response.json()
        except ValueError:
            raise self._unavailable(f"{method} {path} answered something that is not JSON") from None

    def _parse(self, model: type[_Model], data: Any, path: str) -> _Model:
        try:
            return model.model_validate(data)
        except ValidationError as error:
            raise self._unavailable(
                f"{path} answered in a shape this client does not know ({error.error_count()} problems)"
            ) from None

    def _unavailable(self, reason: str) -> PrefectUnavailableError:
        return PrefectUnavailableError(self.api_url, reason)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, _type: type[BaseException] | None, _value: BaseException | None, _traceback: TracebackType | None
    ) -> None:
        self.close()
