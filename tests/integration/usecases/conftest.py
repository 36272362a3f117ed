"""The entry-point tests' world: one seeded SQLite template per session, copied per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from usecase_world import make_template


@pytest.fixture(scope="session")
def usecase_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("usecase-template") / "unilink.db"
    return path, make_template(path)
