"""The provider layer stays free of Home Assistant and ships its type marker."""

from __future__ import annotations

import ast
from pathlib import Path

API = Path(__file__).parents[2] / "custom_components" / "cpms" / "api"


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def test_api_never_imports_homeassistant() -> None:
    files = sorted(API.rglob("*.py"))
    assert len(files) >= 12
    offenders = {
        str(path.relative_to(API)): sorted(
            name
            for name in _imported_modules(path)
            # custom_components.cpms itself imports Home Assistant; api/ uses relative imports.
            if name.split(".")[0] in {"homeassistant", "custom_components"}
        )
        for path in files
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_api_ships_py_typed() -> None:
    assert (API / "py.typed").is_file()
