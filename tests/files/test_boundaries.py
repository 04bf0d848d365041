"""The file guard is shared: appeals never imports verification, and the guard imports neither."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imported_modules(folder: str) -> set[str]:
    found = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
    return found


def test_appeals_does_not_import_verification():
    assert not {m for m in _imported_modules("appeals") if m.split(".")[0] == "verification"}


def test_the_guard_imports_neither_app():
    apps = {"verification", "appeals", "accounts"}
    assert not {m for m in _imported_modules("portal/files") if m.split(".")[0] in apps}


def test_both_apps_use_the_guard():
    for app in ("appeals", "verification"):
        assert any(m.startswith("portal.files") for m in _imported_modules(app)), app
