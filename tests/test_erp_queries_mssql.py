"""The ERP runs on SQL Server (mssql+pyodbc, ODBC Driver 18), which cannot run here: every query
is compiled for that dialect and parsed as T-SQL, and constructs SQL Server lacks are refused."""

from datetime import date
from pathlib import Path

import pytest
import sqlglot
from sqlalchemy.dialects.mssql import pyodbc as mssql_pyodbc
from sqlglot import TokenType

from connectors.erp.queries import CONTRACTS, load_queries

# What works on SQLite/PostgreSQL/MariaDB but not on SQL Server.
NOT_TSQL = {TokenType.LIMIT: "LIMIT (use TOP)", TokenType.ILIKE: "ILIKE", TokenType.DCOLON: ":: casts (use CAST)"}

EXAMPLE_VALUES = {"po_numbers": ["PO-1", "PO-2"], "vendor_ids": ["V1"], "since": date(2025, 1, 1)}


def compile_for_sql_server(name: str) -> str:
    query = load_queries()[name]
    params = {p: EXAMPLE_VALUES[p] for p in (*query.contract.list_params, *query.contract.scalar_params)}
    compiled = query.statement.bindparams(**params).compile(
        dialect=mssql_pyodbc.dialect(paramstyle="qmark"),  # type: ignore[no-untyped-call]  # unannotated in SQLAlchemy
        compile_kwargs={"render_postcompile": True},
    )
    return str(compiled)


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_query_compiles_and_parses_as_tsql(name: str) -> None:
    sql = compile_for_sql_server(name)

    parsed = sqlglot.parse_one(sql, read="tsql")  # raises on anything T-SQL cannot parse

    assert parsed.find(sqlglot.exp.Select) is not None
    assert "IN (?, ?)" in sql or "IN (?)" in sql, "list parameters must expand to one ? per key (pyodbc's qmark style)"
    offending = [NOT_TSQL[t.token_type] for t in sqlglot.tokenize(sql, read="tsql") if t.token_type in NOT_TSQL]
    assert offending == []
    assert isinstance(parsed, sqlglot.exp.Query)
    selected = {select.alias_or_name for select in parsed.selects}
    assert set(CONTRACTS[name].columns) <= selected


def test_the_check_itself_catches_a_postgres_only_query(tmp_path: Path) -> None:
    bad = "SELECT vendor_id::text FROM vendor WHERE vendor_id IN (?) LIMIT 5"
    offending = [NOT_TSQL[t.token_type] for t in sqlglot.tokenize(bad, read="tsql") if t.token_type in NOT_TSQL]
    assert offending == [":: casts (use CAST)", "LIMIT (use TOP)"]
