"""The rule set's configuration: one YAML file, validated at start, every knob documented there.

A bad file fails at start with the offending key named (`ConfigError`), never in the middle of
a batch. Per-vendor overrides replace whole sections (price tolerance, quantities, charges)
for that vendor only.
"""

from collections.abc import Collection
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Self, cast

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, model_validator

from domain import ChargeKind, Invoice
from domain.money import NonNegativeMoney, Percent

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent / "rules.yaml"

# Validation context key: the ids `disabled_rules` may name.
RULE_IDS_CONTEXT = "rule_ids"

Days = Annotated[int, Field(ge=0, le=36500)]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PriceTolerance(_Section):
    """How far an invoice unit price may stray from the PO price, as four limits.

    A limit of null means "do not check" in that direction and measure. A variance is accepted
    only when it is within every limit that is set. All zeros (the default) means exact match.
    """

    lower_absolute: NonNegativeMoney | None = Decimal("0")
    upper_absolute: NonNegativeMoney | None = Decimal("0")
    lower_percent: Percent | None = Decimal("0")
    upper_percent: Percent | None = Decimal("0")


class QuantityPolicy(_Section):
    # Over-delivery allowance: invoiced + in flight + this invoice may reach ordered × (100 + pct) / 100.
    over_billing_allowance_percent: Percent = Decimal("0")
    # Three-way match: also hold quantities to what was received, where receipts are tracked.
    check_received: bool = True


class ChargeRule(StrEnum):
    NEVER = "never"
    UP_TO_AMOUNT = "up_to_amount"
    UP_TO_PERCENT = "up_to_percent"
    ALWAYS = "always"


class ChargePolicy(_Section):
    allowed: ChargeRule = ChargeRule.NEVER
    amount: NonNegativeMoney | None = None
    percent: Percent | None = None

    @model_validator(mode="after")
    def _limit_given(self) -> Self:
        if self.allowed is ChargeRule.UP_TO_AMOUNT and self.amount is None:
            raise ValueError("up_to_amount needs `amount`")
        if self.allowed is ChargeRule.UP_TO_PERCENT and self.percent is None:
            raise ValueError("up_to_percent needs `percent` (of the invoice subtotal)")
        return self


def _no_charges_allowed() -> dict[ChargeKind, ChargePolicy]:
    return {kind: ChargePolicy() for kind in ChargeKind}


class DuplicateScope(StrEnum):
    EVER = "ever"
    FISCAL_YEAR = "fiscal_year"


class DuplicatePolicy(_Section):
    exact_scope: DuplicateScope = DuplicateScope.EVER
    fiscal_year_start_month: int = Field(default=1, ge=1, le=12)
    # Same vendor, same total, invoice dates at most this many days apart, different number.
    possible_window_days: Days = 7


class DatePolicy(_Section):
    max_age_days: Days = 365
    allow_future_days: Days = 0


class UomConversion(_Section):
    """1 `from_uom` = `factor` `to_uom` (a BOX of 12: from BOX to EA, factor 12), for one part or all."""

    from_uom: str = Field(min_length=1)
    to_uom: str = Field(min_length=1)
    factor: Decimal = Field(gt=0, allow_inf_nan=False)
    part_number: str | None = None


class VendorOverride(_Section):
    price_tolerance: PriceTolerance | None = None
    quantity: QuantityPolicy | None = None
    charges: dict[ChargeKind, ChargePolicy] | None = None


class RuleConfig(_Section):
    rule_set_version: str = Field(min_length=1, max_length=64)
    disabled_rules: frozenset[str] = frozenset()
    price_tolerance: PriceTolerance = PriceTolerance()
    quantity: QuantityPolicy = QuantityPolicy()
    # Slack for rounding in qty × price = line total and lines + tax + charges = total.
    rounding_tolerance: NonNegativeMoney = Decimal("0")
    charges: dict[ChargeKind, ChargePolicy] = Field(default_factory=_no_charges_allowed)
    duplicates: DuplicatePolicy = DuplicatePolicy()
    dates: DatePolicy = DatePolicy()
    required_fields: frozenset[str] = frozenset()
    uom_conversions: tuple[UomConversion, ...] = ()
    vendor_overrides: dict[str, VendorOverride] = {}

    @model_validator(mode="after")
    def _known_names(self, info: ValidationInfo) -> Self:
        # The rule ids come from the caller (rules.catalogue.load_rule_config): the rule modules
        # import this one, so it cannot import them.
        rule_ids = (info.context or {}).get(RULE_IDS_CONTEXT)
        unknown = [] if rule_ids is None else sorted(self.disabled_rules - set(rule_ids))
        if unknown:
            raise ValueError(f"disabled_rules names unknown rule id(s): {', '.join(unknown)}")
        bad_fields = sorted(self.required_fields - set(Invoice.model_fields))
        if bad_fields:
            raise ValueError(f"required_fields names unknown invoice field(s): {', '.join(bad_fields)}")
        return self

    def for_vendor(self, vendor_id: str) -> "RuleConfig":
        """This config with the vendor's overrides applied (charge policies merge per kind)."""
        override = self.vendor_overrides.get(vendor_id)
        if override is None:
            return self
        update: dict[str, object] = {}
        if override.price_tolerance is not None:
            update["price_tolerance"] = override.price_tolerance
        if override.quantity is not None:
            update["quantity"] = override.quantity
        if override.charges is not None:
            update["charges"] = {**self.charges, **override.charges}
        return self.model_copy(update=update)


class ConfigError(Exception):
    """The rules file is unreadable or invalid; the message names the file and every bad key."""


class _ExactLoader(yaml.SafeLoader):
    """YAML with numbers like 0.05 read as Decimal: money in the config is exact too."""


def _exact_float(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal:
    # The float tag only ever marks a scalar.
    return Decimal(loader.construct_scalar(cast(yaml.ScalarNode, node)))


_ExactLoader.add_constructor("tag:yaml.org,2002:float", _exact_float)


def read_rule_config(path: Path, *, rule_ids: Collection[str]) -> RuleConfig:
    """The configuration in `path`, whose switched-off rules must be among `rule_ids`."""
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_ExactLoader)
    except OSError as exc:
        raise ConfigError(f"cannot read rules config {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"rules config {path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"rules config {path} must be a mapping of settings")
    try:
        return RuleConfig.model_validate(raw, context={RULE_IDS_CONTEXT: rule_ids})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(top level)'}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"rules config {path} is invalid: {problems}") from exc
