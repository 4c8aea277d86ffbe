import re

import pytest

from settings import REPO_ROOT, Settings, get_settings


def test_env_example_documents_every_setting() -> None:
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (REPO_ROOT / ".env.example").read_text(), re.MULTILINE))

    assert documented == {name.upper() for name in Settings.model_fields}


def test_defaults_need_no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)

    settings = Settings(_env_file=None)

    for url in (settings.marketplace_db_url, settings.erp_db_url, settings.process_db_url):
        assert url.startswith(f"sqlite:///{REPO_ROOT / 'var'}/")


def test_environment_overrides_and_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROCESS_DB_URL", "postgresql+psycopg://u@db/ia")
    assert Settings(_env_file=None).process_db_url == "postgresql+psycopg://u@db/ia"

    monkeypatch.setenv("ERP_IN_LIST_SIZE", "5000")
    with pytest.raises(ValueError, match="erp_in_list_size"):
        Settings(_env_file=None)


def test_settings_are_read_once() -> None:
    assert get_settings() is get_settings()
