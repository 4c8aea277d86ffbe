"""The README documents every rule and every setting: it must not drift from the code."""

from rules.catalogue import REGISTRY
from settings import REPO_ROOT, Settings

README = (REPO_ROOT / "README.md").read_text()


def test_every_rule_is_in_the_readme_rule_table() -> None:
    assert [rule_id for rule_id in REGISTRY.ids() if f"| `{rule_id}` |" not in README] == []


def test_the_readme_names_the_main_settings() -> None:
    for name in ("MARKETPLACE_DB_URL", "ERP_DB_URL", "PROCESS_DB_URL", "RULES_CONFIG_PATH"):
        assert name.lower() in Settings.model_fields
        assert f"`{name}`" in README
