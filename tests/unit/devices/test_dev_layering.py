"""The device layer's boundaries: it never imports the lab (the lab plugs its driver in through the
registry) and holds no SQL (the journal's queries are in store/journal_repo.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DEVICES = Path(__file__).resolve().parents[3] / "src" / "unilink" / "devices"
FORBIDDEN = ("unilink.lab", "sqlalchemy")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(DEVICES.rglob("*.py")), ids=lambda p: str(p.relative_to(DEVICES)))
def test_devices_import_neither_the_lab_nor_sqlalchemy(path: Path) -> None:
    bad = sorted(name for name in _imports(path) if name.split(".")[0] == "sqlalchemy"
                 or any(name == f or name.startswith(f + ".") for f in FORBIDDEN))
    assert not bad, f"{path.relative_to(DEVICES)} imports {bad}"


def test_the_lab_registers_its_driver_when_loaded() -> None:
    import unilink.lab  # noqa: F401
    from unilink.devices.drivers.registry import driver_for
    from unilink.lab.driver import lab_driver

    assert driver_for("lab") is lab_driver
