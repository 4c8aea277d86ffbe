"""The product's rule set: importing this module registers every rule in `REGISTRY`, and
`load_rule_config` reads a configuration checked against those rules."""

from pathlib import Path

from rules import amounts, dates, duplicates, lines, po  # noqa: F401 - imported for their @rule side effect
from rules.config import DEFAULT_CONFIG_PATH, RuleConfig, read_rule_config
from rules.registry import REGISTRY

__all__ = ["REGISTRY", "load_rule_config"]


def load_rule_config(path: Path = DEFAULT_CONFIG_PATH) -> RuleConfig:
    """The rule set's configuration in `path`; ConfigError naming the file and every bad key."""
    return read_rule_config(path, rule_ids=REGISTRY.ids())
