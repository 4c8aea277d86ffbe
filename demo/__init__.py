"""The demo: deterministic demo data (a marketplace full of vendor invoices and the ERP they are
checked against), the demo RPA bot (`rpa_bot.py`), the supervisor behind `make demo`
(`supervisor.py`), and the factories tests and benchmarks build domain objects with (`factories.py`).

`seed_demo()` fills both databases; most invoices are clean, each of the others carries exactly one
planted problem, listed in the returned `SeedReport` and in the manifest file. `EXPECTED_RULES` says which
rules of the default rule set each planted problem exercises.
"""

from demo.invoices import CHARGE_POLICY
from demo.problems import CLEAN, EXPECTED_RULES, MIN_INVOICES, PROBLEMS
from demo.seed import DEFAULT_TODAY, MANIFEST_NAME, SeedReport, manifest_path_for, seed_demo

__all__ = [
    "CHARGE_POLICY",
    "CLEAN",
    "DEFAULT_TODAY",
    "EXPECTED_RULES",
    "MANIFEST_NAME",
    "MIN_INVOICES",
    "PROBLEMS",
    "SeedReport",
    "manifest_path_for",
    "seed_demo",
]
