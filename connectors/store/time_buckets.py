"""SQL expressions for the dashboard's aggregates that each database spells its own way: the UTC
month, day or hour a moment falls in, and the seconds between two moments.

Moments are stored as naive UTC (column_types.UtcTimestamp), so a bucket is a UTC day or hour.
Buckets come back as text ("2026-12", "2026-12-01", "2026-12-01 09"), the one form all three databases can
format alike; `bucket_start` reads them back. Format strings are rendered as literals, not bound:
PostgreSQL would not see that a GROUP BY and its SELECT, bound separately, are one expression.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Float, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

_MONTH, _DAY, _HOUR = "%Y-%m", "%Y-%m-%d", "%Y-%m-%d %H"
_POSTGRES_FORMATS = {_MONTH: "YYYY-MM", _DAY: "YYYY-MM-DD", _HOUR: "YYYY-MM-DD HH24"}


class _Bucket(FunctionElement[str]):
    """The bucket of a moment as text, in `strftime` terms."""

    type = String()
    inherit_cache = True
    form = _DAY


class month_of(_Bucket):
    inherit_cache = True
    form = _MONTH


class day_of(_Bucket):
    # the cache key holds the class, so a day's statement and an hour's are never mistaken
    inherit_cache = True
    form = _DAY


class hour_of(_Bucket):
    inherit_cache = True
    form = _HOUR


class seconds_between(FunctionElement[float]):
    """seconds_between(start, end): end - start in seconds, to the microsecond (on SQLite, the millisecond)."""

    type = Float()
    inherit_cache = True


def _literal(compiler: SQLCompiler, text: str) -> str:
    return compiler.render_literal_value(text, String())


@compiles(_Bucket)
def _bucket_sqlite(element: _Bucket, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strftime({_literal(compiler, element.form)}, {compiler.process(element.clauses, **kw)})"


@compiles(_Bucket, "postgresql")
def _bucket_postgres(element: _Bucket, compiler: SQLCompiler, **kw: Any) -> str:
    form = _literal(compiler, _POSTGRES_FORMATS[element.form])
    return f"to_char({compiler.process(element.clauses, **kw)}, {form})"


@compiles(_Bucket, "mysql")
@compiles(_Bucket, "mariadb")
def _bucket_mysql(element: _Bucket, compiler: SQLCompiler, **kw: Any) -> str:
    return f"DATE_FORMAT({compiler.process(element.clauses, **kw)}, {_literal(compiler, element.form)})"


@compiles(seconds_between)
def _seconds_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    # julianday is a float of days: rounded to the millisecond, what it measures exactly
    return f"ROUND((julianday({end}) - julianday({start})) * 86400.0, 3)"


@compiles(seconds_between, "postgresql")
def _seconds_postgres(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


@compiles(seconds_between, "mysql")
@compiles(seconds_between, "mariadb")
def _seconds_mysql(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"TIMESTAMPDIFF(MICROSECOND, {start}, {end}) / 1000000.0"


def bucket_start(bucket: str) -> datetime:
    """The first moment of a bucket of `month_of`, `day_of` or `hour_of`."""
    form = {len("2026-12"): _MONTH, len("2026-12-01"): _DAY}.get(len(bucket), _HOUR)
    return datetime.strptime(bucket, form).replace(tzinfo=UTC)
