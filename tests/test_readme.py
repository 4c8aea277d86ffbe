"""The README documents every rule and every setting: it must not drift from the code."""

import re

from rules.catalogue import REGISTRY
from settings import REPO_ROOT, Settings

README = (REPO_ROOT / "README.md").read_text()


def test_every_rule_is_in_the_readme_rule_table() -> None:
    assert [rule_id for rule_id in REGISTRY.ids() if f"| `{rule_id}` |" not in README] == []


def test_the_readme_names_the_main_settings() -> None:
    for name in ("MARKETPLACE_DB_URL", "ERP_DB_URL", "PROCESS_DB_URL", "RULES_CONFIG_PATH"):
        assert name.lower() in Settings.model_fields
        assert f"`{name}`" in README


def test_the_readme_stands_on_its_own_in_a_clone() -> None:
    """Nothing outside the repository, and every file it links to is in it."""
    assert "../" not in README
    linked = re.findall(r"\]\(([^)#]+)\)", README)
    assert [target for target in linked if "://" not in target and not (REPO_ROOT / target).exists()] == []
