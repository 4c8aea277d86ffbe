"""Importing this module registers every rule of the product's rule set in `REGISTRY`."""

from rules import amounts, dates, duplicates, lines, po  # noqa: F401 - imported for their @rule side effect
from rules.registry import REGISTRY

__all__ = ["REGISTRY"]
