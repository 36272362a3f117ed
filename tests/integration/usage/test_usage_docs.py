"""Every Python example of docs/usage.md runs as it is, and prints what the page says it prints."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[3] / "docs" / "usage.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_the_page_has_its_examples() -> None:
    assert len(python_blocks()) == 3


@pytest.mark.parametrize("index", range(3))
def test_each_example_runs_and_prints_what_the_page_says(index: int, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", python_blocks()[index]], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    page = " ".join(DOC.read_text(encoding="utf-8").split())
    if index == 0:
        assert " ".join(done.stdout.split()) in page
    elif index == 1:
        moves = [line.split() for line in done.stdout.splitlines()]
        assert [m[0] for m in moves if len(m) == 4] == ["14:30", "14:50"]
    else:
        for line in done.stdout.splitlines():
            assert " ".join(line.split()) in page
