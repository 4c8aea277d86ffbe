"""The rule registry: every rule is a small pure function registered under a stable id.

    @rule("price.unit_mismatch", Severity.SOFT, "Unit price differs from the PO price")
    def unit_price_mismatch(ctx: InvoiceContext) -> Iterator[Breach]:
        ...

A rule yields `Breach`es (what is wrong, where, expected vs actual); the registry turns them
into `Finding`s carrying the rule's id and severity, so a rule cannot misreport either.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain import Finding, Severity

if TYPE_CHECKING:
    from rules.context import InvoiceContext


@dataclass(frozen=True)
class Breach:
    """One thing a rule found wrong, in words a clerk understands."""

    message: str
    invoice_line_no: int | None = None
    po_line_no: int | None = None
    expected: object = None
    actual: object = None


RuleFunction = Callable[["InvoiceContext"], Iterable[Breach]]


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    title: str
    check: RuleFunction

    def findings(self, ctx: "InvoiceContext", severity: Severity | None = None) -> list[Finding]:
        return [
            Finding(
                rule_id=self.id,
                severity=severity or self.severity,
                message=breach.message,
                invoice_line_no=breach.invoice_line_no,
                po_line_no=breach.po_line_no,
                expected=_shown(breach.expected),
                actual=_shown(breach.actual),
            )
            for breach in self.check(ctx)
        ]


def _shown(value: object) -> str | None:
    return None if value is None else format(value, "f") if hasattr(value, "as_tuple") else str(value)


class DuplicateRuleError(Exception):
    pass


class RuleRegistry:
    def __init__(self) -> None:
        self._rules: dict[str, Rule] = {}

    def register(self, new_rule: Rule) -> Rule:
        if new_rule.id in self._rules:
            existing = self._rules[new_rule.id].check
            raise DuplicateRuleError(
                f"rule id {new_rule.id!r} is already registered by {existing.__module__}.{existing.__qualname__}"
            )
        self._rules[new_rule.id] = new_rule
        return new_rule

    def rule(self, rule_id: str, severity: Severity, title: str) -> Callable[[RuleFunction], RuleFunction]:
        def decorate(check: RuleFunction) -> RuleFunction:
            self.register(Rule(id=rule_id, severity=severity, title=title, check=check))
            return check

        return decorate

    def __getitem__(self, rule_id: str) -> Rule:
        return self._rules[rule_id]

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules.values())

    def __len__(self) -> int:
        return len(self._rules)

    def ids(self) -> list[str]:
        return sorted(self._rules)


REGISTRY = RuleRegistry()
rule = REGISTRY.rule
