"""The driver-registry examples in docs/devices.md and docs/lab.md run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[3] / "docs"
EXAMPLES = [(name, block) for name in ("devices.md", "lab.md")
            for block in re.findall(r"```python\n(.*?)```", (DOCS / name).read_text(), re.S)
            if "using_driver" in block]


def test_both_documents_carry_an_example() -> None:
    assert sorted({name for name, _ in EXAMPLES}) == ["devices.md", "lab.md"]


@pytest.mark.parametrize(("name", "block"), EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_the_registry_example_runs(name: str, block: str) -> None:
    exec(compile(block, f"docs/{name}", "exec"), {})  # noqa: S102 - our own documentation
