"""The engine's layering: no SQL in the engine (the store's repositories do it), no I/O in the pure stages."""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[3] / "src" / "unilink" / "engine"
NOT_YET_MOVED = {"orders.py", "scheduler.py"}  # moved to application services by another change
PURE_STAGES = ("snapshot.py", "validate.py", "diffing.py", "admit.py", "price.py", "rendering.py")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_engine_module_imports_sqlalchemy() -> None:
    offenders = {str(path.relative_to(ENGINE)): sorted(m for m in _imports(path) if m.split(".")[0] == "sqlalchemy")
                 for path in ENGINE.rglob("*.py") if path.name not in NOT_YET_MOVED}
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_the_pure_stages_import_neither_the_store_nor_the_runtime() -> None:
    for name in PURE_STAGES:
        imported = _imports(ENGINE / "stages" / name)
        assert not {m for m in imported if m.startswith(("unilink.store", "unilink.engine.runtime",
                                                         "unilink.engine.holds", "sqlalchemy"))}, name
