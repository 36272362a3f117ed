"""The device integration tests share the unit tests' scenarios (tests/unit/devices/dev_scenarios.py)."""

from __future__ import annotations

import sys
from pathlib import Path

_UNIT_DEVICES = str(Path(__file__).resolve().parents[2] / "unit" / "devices")
if _UNIT_DEVICES not in sys.path:
    sys.path.insert(0, _UNIT_DEVICES)
