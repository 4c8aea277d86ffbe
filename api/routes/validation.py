"""Dry run: judge an invoice posted as JSON, recording nothing."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.deps import JudgingDep, SettingsDep
from api.errors import ApiError, error_responses, field_problems, first_problems
from api.schemas import DryRunResponse, FieldProblem
from api.security import CallerDep
from domain import EntryStatus, Invoice, load_json_exact

router = APIRouter(tags=["validation"])


def _inline_refs(schema: Any, definitions: dict[str, Any]) -> Any:
    """`schema` with every "#/$defs/..." reference replaced by its definition (the Invoice's are not recursive)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _inline_refs(definitions[schema["$ref"].rsplit("/", 1)[-1]], definitions)
        return {key: _inline_refs(value, definitions) for key, value in schema.items() if key != "$defs"}
    if isinstance(schema, list):
        return [_inline_refs(item, definitions) for item in schema]
    return schema


def _invoice_request_schema() -> dict[str, Any]:
    # Self-contained, because OpenAPI resolves "#/$defs/..." against its own document, not this schema.
    schema = Invoice.model_json_schema(mode="validation")
    inlined: dict[str, Any] = _inline_refs(schema, schema.get("$defs", {}))
    return inlined


async def invoice_from_body(request: Request, settings: SettingsDep) -> Invoice:
    """The raw body as an `Invoice`, fractions kept exact: FastAPI's own JSON parsing would turn 0.1 into a float.

    Parsed and validated in a worker thread: a large body must not hold up every other request.
    """
    body = await request.body()
    return await run_in_threadpool(_invoice_from_json, body, max_lines=settings.max_invoice_lines)


def _invoice_from_json(body: bytes, *, max_lines: int) -> Invoice:
    try:
        document = load_json_exact(body)
    except (ValueError, RecursionError) as error:  # JSONDecodeError, bytes that are not UTF-8, or nested too deep
        # 422 like any other unusable body (FastAPI answers unparseable JSON the same way).
        problem = FieldProblem(field="body", message=f"not valid JSON: {error}")
        raise ApiError(422, "malformed_json", f"The request body is not valid JSON: {error}.", [problem]) from None
    lines = document.get("lines") if isinstance(document, dict) else None
    if isinstance(lines, list) and len(lines) > max_lines:
        problem = FieldProblem(field="lines", message=f"has {len(lines)} lines; at most {max_lines} are accepted")
        raise ApiError(
            422, "invalid_invoice", f"The invoice has too many lines: {len(lines)} > {max_lines}.", [problem]
        )
    try:
        return Invoice.model_validate(document)
    except ValidationError as error:
        shown, message = first_problems(
            field_problems(error.errors(), root="invoice"), "The invoice has invalid fields"
        )
        raise ApiError(422, "invalid_invoice", message, shown) from None


InvoiceBody = Annotated[Invoice, Depends(invoice_from_body)]


@router.post(
    "/validate",
    response_model=DryRunResponse,
    summary="Dry run: judge an invoice without recording anything",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _invoice_request_schema()}},
            "description": 'The invoice. Send amounts as JSON strings ("12.50") or whole numbers, as the '
            "schema says; a JSON number with a fraction is read as an exact decimal too, so 0.1 stays 0.1.",
        }
    },
    responses=error_responses(
        {
            422: "The body is not JSON (malformed_json), or not a valid invoice (invalid_invoice); details names "
            "every invalid field, array positions counted from 0 (lines[0] is the first line).",
        }
    ),
)
def dry_run(_caller: CallerDep, invoice: InvoiceBody, judging: JudgingDep) -> DryRunResponse:
    """Judge the invoice against its PO in the ERP and the entries already recorded, as a real run would.

    Always 200 when the invoice could be judged: `status` says what a real run would decide.
    """
    # (The caller is the first parameter so that credentials are checked before the body is read.)
    [judgement] = judging.judge([invoice]).judgements
    verdict = judgement.verdict
    return DryRunResponse(
        status=verdict.status,
        rule_set_version=verdict.rule_set_version,
        findings=list(verdict.findings),
        payload=judgement.payload if verdict.status is EntryStatus.READY_TO_PROCESS else None,
    )
