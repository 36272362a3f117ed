"""Golden files: every vendor's rendering of the base state and of each change type, and the
per-device diff from the base state. Regenerate after an intended change with

    UNILINK_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/unit/devices/test_dev_golden.py

and review the files' diff in git before committing them.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import dev_scenarios as scenarios
import pytest
from lxml import etree

from unilink.devices.device_intent import build_device_intents
from unilink.devices.diff import diff_all
from unilink.devices.render import VENDORS, RenderedConfig, render

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UNILINK_UPDATE_GOLDEN") == "1"
STATES = {"base": scenarios.base, **scenarios.CHANGES}


def _linux_ports(atts: list) -> list:
    """FRR routers are Linux: their ports are Linux interface names (eth1, eth2, ...)."""
    names = {port: f"eth{i}" for i, port in enumerate(sorted({a.port for a in atts}), start=1)}
    return [replace(a, port=names[a.port]) for a in atts]


def _render_all(state: str, vendor: str) -> dict[str, RenderedConfig]:
    atts, vpns, elines = STATES[state]()
    if vendor == "frr":
        atts = _linux_ports(atts)
    intents = build_device_intents(scenarios.ROUTERS, atts, vpns, elines)
    return {name: render(vendor, intent) for name, intent in intents.items()}


def _bundle(configs: dict[str, RenderedConfig]) -> str:
    return "".join(f"### {router}\n{config.full_text()}" for router, config in sorted(configs.items()))


def _check(path: Path, text: str) -> None:
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if not path.exists():
        pytest.fail(f"{path} is missing: run with UNILINK_UPDATE_GOLDEN=1 to create it")
    assert text == path.read_text(), f"{path} differs: review, then regenerate with UNILINK_UPDATE_GOLDEN=1"


@pytest.mark.parametrize("vendor", VENDORS)
@pytest.mark.parametrize("state", sorted(STATES))
def test_rendering_matches_golden(state: str, vendor: str) -> None:
    configs = _render_all(state, vendor)
    _check(GOLDEN / state / f"{vendor}.conf", _bundle(configs))
    if vendor == "openconfig":
        for config in configs.values():
            json.loads(config.text)  # well-formed JSON
    if vendor == "ietf":
        for config in configs.values():
            etree.fromstring(config.text.encode())  # well-formed XML


@pytest.mark.parametrize("vendor", VENDORS)
@pytest.mark.parametrize("state", sorted(scenarios.CHANGES))
def test_change_diff_matches_golden(state: str, vendor: str) -> None:
    before, after = _render_all("base", vendor), _render_all(state, vendor)
    changes = diff_all(before, after, {name: vendor for name in after})
    text = "".join(f"### {c.router} +{c.added} -{c.removed}\n{c.diff}" for c in changes)
    _check(GOLDEN / state / f"{vendor}.diff", text)
    if vendor != "ietf":  # ietf-interfaces carries neither rates nor VPNs: some changes are invisible there
        assert changes, "every change type changes at least one router"


def test_rendering_is_deterministic() -> None:
    for vendor in VENDORS:
        assert _bundle(_render_all("hub_spoke_eline", vendor)) == _bundle(_render_all("hub_spoke_eline", vendor))


def test_rate_change_touches_only_rate_lines() -> None:
    before, after = _render_all("base", "junos"), _render_all("rate_change", "junos")
    (change,) = [c for c in diff_all(before, after, {}) if c.router == "fra-pe1"]
    changed = [line for line in change.diff.splitlines()
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed and all("shaping-rate" in line or "policer" in line for line in changed)
    assert "+set class-of-service interfaces GigabitEthernet0/0/0/1 unit 102 shaping-rate 10000000" in changed


def test_vpn_leave_on_frr_detaches_the_port_from_the_bridge() -> None:
    before, after = _render_all("base", "frr"), _render_all("vpn_leave", "frr")
    (change,) = [c for c in diff_all(before, after, {}) if c.router == "mil-pe1"]
    assert "-ip link set dev eth4 master br100" in change.diff
    assert "+ip link set dev eth4 nomaster" in change.diff
    assert "+ ip address 10.1.4.0/31" in change.diff
