"""Column types that keep money exact and timestamps precise on every supported database."""

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from sqlalchemy import BigInteger, DateTime, Dialect, Numeric
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeDecorator, TypeEngine

MONEY_SCALE = 4
MONEY_QUANTUM = Decimal(1).scaleb(-MONEY_SCALE)  # 0.0001: every stored amount has 4 decimals
_MYSQL_FAMILY = ("mysql", "mariadb")


class MoneyType(TypeDecorator[Decimal]):
    """NUMERIC(19, 4); on SQLite an integer count of ten-thousandths.

    SQLite keeps NUMERIC values as binary floats (123456789012345.6789 comes back as
    ...6719), so there the amount is stored scaled as an exact integer; sums and
    comparisons in SQL stay exact, and amounts read back as Decimal on every database.
    (SQLite's 64-bit integers hold about 922 trillion; amounts have 14 integer digits at most, see
    domain.money.)
    """

    impl = Numeric(19, MONEY_SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(19, MONEY_SCALE, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Decimal | int | None:
        if value is None or dialect.name != "sqlite":
            return value
        # Half away from zero, as PostgreSQL and MariaDB round a NUMERIC(19, 4).
        return int(Decimal(value).quantize(MONEY_QUANTUM, rounding=ROUND_HALF_UP).scaleb(MONEY_SCALE))

    def process_result_value(self, value: Decimal | int | None, dialect: Dialect) -> Decimal | None:
        if value is None or dialect.name != "sqlite":
            # Only SQLite's BigInteger reads an int; Numeric(asdecimal=True) reads a Decimal.
            return cast(Decimal | None, value)
        return Decimal(int(value)).scaleb(-MONEY_SCALE)


class UtcTimestamp(TypeDecorator[datetime]):
    """A moment stored as naive UTC with microseconds; Python sees timezone-aware UTC datetimes.

    Naive UTC is the one timestamp form all three databases store alike. MariaDB needs
    DATETIME(6) to keep microseconds, and through pyodbc the MariaDB ODBC driver drops them
    from datetime parameters, so there they are sent as ISO text, which MariaDB parses exactly.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in _MYSQL_FAMILY:
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"{value!r} has no time zone; the process store only takes aware datetimes")
        naive_utc = value.astimezone(UTC).replace(tzinfo=None)
        if dialect.name in _MYSQL_FAMILY and dialect.driver == "pyodbc":
            return naive_utc.isoformat(sep=" ", timespec="microseconds")
        return naive_utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)
