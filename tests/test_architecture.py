"""The import order of docs/architecture.md, held by import-linter (pyproject.toml): a change that imports
upward fails here and in `make lint`."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = [
    "bettertogether",
    "core",
    "demo",
    "events",
    "accounts",
    "invitations",
    "artwork",
    "evaluations",
    "actions",
    "records",
]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def tree(tmp_path) -> Path:
    """A copy of the project's packages and pyproject.toml, to break on purpose."""
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_import_order_holds():
    result = lint_imports(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("core/tokens.py", "import events.models  # noqa", "core -> events"),
        ("invitations/services/schedule.py", "import actions.models  # noqa", "invitations -> actions"),
        ("events/services.py", "import bettertogether.settings  # noqa", "events -> bettertogether"),
        ("artwork/services/uploads.py", "import evaluations.models  # noqa", "artwork -> evaluations"),
        ("invitations/services/letters.py", "import invitations.tasks  # noqa", "invitations.tasks"),
        # Staff accounts stand beside invitations, above events: neither imports the other.
        ("accounts/services/invitations.py", "import invitations.models  # noqa", "accounts -> invitations"),
        ("invitations/services/schedule.py", "import accounts.models  # noqa", "invitations -> accounts"),
        ("events/services.py", "import accounts.models  # noqa", "events -> accounts"),
    ],
)
def test_an_upward_import_breaks_a_contract(tree, module, line, broken):
    path = tree / module
    path.write_text(path.read_text() + f"\n{line}\n")

    result = lint_imports(tree)

    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert broken.split(" -> ")[-1] in result.stdout
