"""scripts/translations.py, loaded for the tests (scripts/ is not a package): what parents see, and the
checks of each language's catalogue."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "translations.py"
_spec = importlib.util.spec_from_file_location("translations", SCRIPT)
assert _spec is not None and _spec.loader is not None
translations = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(translations)
