"""The packages' layering (docs/architecture.md), checked by import-linter with the contract in
pyproject.toml: api/flows → services → connectors/rules → settings → domain, never back."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from settings import REPO_ROOT

PACKAGES = ("api", "benchmarks", "chaos", "connectors", "demo", "domain", "flows", "rules", "services", "settings")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=root, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_repository_keeps_its_layers() -> None:
    result = lint_imports(REPO_ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    """The packages and the contract, copied so that a test can break them."""
    for package in PACKAGES:
        shutil.copytree(REPO_ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.parametrize(
    ("module", "bad_import", "named"),
    [
        ("domain/models.py", "import connectors.store", "domain.models -> connectors.store"),
        ("rules/engine.py", "import connectors.erp", "rules.engine -> connectors.erp"),
        ("api/main.py", "import flows.poll", "api.main -> flows.poll"),
        ("services/judging.py", "import api.deps", "services.judging -> api.deps"),
        ("connectors/db.py", "import services.runtime", "connectors.db -> services.runtime"),
    ],
)
def test_an_import_against_the_layers_fails_naming_it(
    tree_copy: Path, module: str, bad_import: str, named: str
) -> None:
    path = tree_copy / module
    path.write_text(f"{bad_import}  # noqa\n{path.read_text()}")

    result = lint_imports(tree_copy)

    assert result.returncode == 1
    assert "0 kept, 1 broken" in result.stdout
    assert named in result.stdout
