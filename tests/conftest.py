"""Shared test configuration.

Slow tests (the FRR lab, the browser) carry `@pytest.mark.slow`; CI runs them, a developer can skip
them with `make test FAST=1` (or `pytest -m "not slow"`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"
TOPOLOGY_ZOO = SHARED / "data" / "topology-zoo"


@pytest.fixture
def topology_zoo() -> Path:
    """The Topology Zoo files beside the project; skips when ../shared is absent."""
    if not TOPOLOGY_ZOO.is_dir():
        pytest.skip(f"{TOPOLOGY_ZOO} is absent: these tests read ../shared/data/topology-zoo")
    return TOPOLOGY_ZOO
