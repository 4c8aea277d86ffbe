"""The ERP's SQL, loaded from editable query files, each held to a column contract.

The ERP schema belongs to the customer, so the gateway never names its tables: it runs these
files and reads the columns the contract promises. IT edits the files (or points
ERP_QUERIES_DIR at a folder with edited copies) to map their Sampro installation onto the
contract; README.md beside the files documents it.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeEngine

SHIPPED_QUERIES_DIR = Path(__file__).resolve().parent / "queries"

_AMOUNT = sa.Numeric(19, 4, asdecimal=True)
_TEXT = sa.String()


@dataclass(frozen=True)
class QueryContract:
    """What one query file must accept and return."""

    name: str
    list_params: tuple[str, ...]
    scalar_params: dict[str, TypeEngine[Any]]
    columns: dict[str, TypeEngine[Any]]

    @property
    def file_name(self) -> str:
        return f"{self.name}.sql"


CONTRACTS: dict[str, QueryContract] = {
    contract.name: contract
    for contract in (
        QueryContract(
            name="purchase_orders",
            list_params=("po_numbers",),
            scalar_params={},
            columns={
                "po_number": _TEXT,
                "vendor_id": _TEXT,
                "currency": _TEXT,
                "status": _TEXT,
                "po_date": sa.Date(),
            },
        ),
        QueryContract(
            name="purchase_order_lines",
            list_params=("po_numbers",),
            scalar_params={},
            columns={
                "po_number": _TEXT,
                "line_no": sa.Integer(),
                "part_number": _TEXT,
                "erp_item_id": _TEXT,
                "description": _TEXT,
                "uom": _TEXT,
                "ordered_qty": _AMOUNT,
                "received_qty": _AMOUNT,
                "invoiced_qty": _AMOUNT,
                "unit_price": _AMOUNT,
            },
        ),
        QueryContract(
            name="vendors",
            list_params=("vendor_ids",),
            scalar_params={},
            columns={"vendor_id": _TEXT, "name": _TEXT, "currency": _TEXT, "active": sa.Integer()},
        ),
        QueryContract(
            name="entered_invoices",
            list_params=("vendor_ids",),
            scalar_params={"since": sa.Date()},
            columns={
                "erp_document_id": _TEXT,
                "vendor_id": _TEXT,
                "invoice_number": _TEXT,
                "invoice_date": sa.Date(),
                "po_number": _TEXT,
                "currency": _TEXT,
                "total": _AMOUNT,
            },
        ),
    )
}


class ErpQueryError(Exception):
    """A query file is missing, malformed, or returns columns that break its contract."""


@dataclass(frozen=True)
class ErpQuery:
    contract: QueryContract
    source_path: Path
    statement: sa.TextualSelect

    def check_columns(self, returned: list[str]) -> None:
        missing = [c for c in self.contract.columns if c not in returned]
        if missing:
            raise ErpQueryError(
                f"{self.source_path} returned no column(s) {', '.join(missing)}; it returned "
                f"{', '.join(returned) or 'nothing'}. See connectors/erp/queries/README.md for the column contract."
            )


def _without_comment_lines(sql: str) -> str:
    # The files document their parameters in comments; ":name" there must not become a bind.
    return "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))


def _load_query(contract: QueryContract, queries_dir: Path | None) -> ErpQuery:
    override = queries_dir / contract.file_name if queries_dir else None
    path = override if override and override.is_file() else SHIPPED_QUERIES_DIR / contract.file_name
    try:
        sql = _without_comment_lines(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ErpQueryError(f"cannot read ERP query file {path}: {exc.strerror}") from exc
    for param in (*contract.list_params, *contract.scalar_params):
        if f":{param}" not in sql:
            raise ErpQueryError(f"{path} must use the parameter :{param} (see connectors/erp/queries/README.md)")
    statement = (
        sa.text(sql)
        .bindparams(
            *(sa.bindparam(p, expanding=True) for p in contract.list_params),
            *(sa.bindparam(p, type_=t) for p, t in contract.scalar_params.items()),
        )
        # Typed result columns: Decimal and date on every backend, SQLite included.
        .columns(**contract.columns)
    )
    return ErpQuery(contract=contract, source_path=path, statement=statement)


def load_queries(queries_dir: Path | None = None) -> dict[str, ErpQuery]:
    """Every ERP query, from `queries_dir` where it holds an edited copy, else the shipped file."""
    return {name: _load_query(contract, queries_dir) for name, contract in CONTRACTS.items()}
