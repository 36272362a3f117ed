"""A cooperative's members on its access router, in every vendor: golden configs and the diff of a
suspension (docs/members.md). Regenerate after an intended change with

    UNILINK_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/unit/devices/test_dev_subscribers.py
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import dev_scenarios as scenarios
import pytest
from lxml import etree

from unilink.devices.device_intent import SubscriberLine, build_device_intents
from unilink.devices.diff import diff_all
from unilink.devices.render import VENDORS, RenderedConfig, render
from unilink.errors import ValidationError

GOLDEN = Path(__file__).parent / "golden" / "subscribers"
UPDATE = os.environ.get("UNILINK_UPDATE_GOLDEN") == "1"
TRICKLE = 256_000

# One access router per vendor (the scenario's four PEs), three members on each: a public address
# at 100M/50M, a CGNAT share at 300M/100M, and one with only an IPv6 prefix at 1G/500M.
MEMBERS = (
    ("flat-1", "m1", "192.0.2.10", None, "2001:db8:10:100::/56", 100_000_000, 50_000_000),
    ("flat-2", "m2", "100.64.0.2", "1024-2047", "2001:db8:10:200::/56", 300_000_000, 100_000_000),
    ("flat-3", "m3", None, None, "2001:db8:10:300::/56", 1_000_000_000, 500_000_000),
)


def _lines(*, suspended: str | None = None) -> list[SubscriberLine]:
    out = []
    for router in scenarios.ROUTERS:
        for line, port, v4, ports, v6, down, up in MEMBERS:
            held = line == suspended
            out.append(SubscriberLine(tenant="village-coop", line=line, router=router.name, port=port,
                                      rate_down_bps=TRICKLE if held else down, rate_up_bps=TRICKLE if held else up,
                                      ipv4=v4, ipv4_ports=ports, ipv6=v6, suspended=held))
    return out


def _render(vendor: str, lines: list[SubscriberLine]) -> dict[str, RenderedConfig]:
    intents = build_device_intents(scenarios.ROUTERS, [], subscribers=lines)
    return {name: render(vendor, intent) for name, intent in intents.items()}


def _check(path: Path, text: str) -> None:
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if not path.exists():
        pytest.fail(f"{path} is missing: run with UNILINK_UPDATE_GOLDEN=1 to create it")
    assert text == path.read_text(), f"{path} differs: review, then regenerate with UNILINK_UPDATE_GOLDEN=1"


@pytest.mark.parametrize("vendor", VENDORS)
def test_members_render_as_golden(vendor: str) -> None:
    configs = _render(vendor, _lines())
    _check(GOLDEN / f"{vendor}.conf",
           "".join(f"### {r}\n{c.full_text()}" for r, c in sorted(configs.items())))
    for config in configs.values():
        if vendor == "openconfig":
            json.loads(config.text)
        if vendor == "ietf":
            etree.fromstring(config.text.encode())


@pytest.mark.parametrize("vendor", VENDORS)
def test_suspension_diff_is_golden(vendor: str) -> None:
    before, after = _render(vendor, _lines()), _render(vendor, _lines(suspended="flat-2"))
    changes = diff_all(before, after, {name: vendor for name in after})
    _check(GOLDEN / f"suspend.{vendor}.diff", "".join(f"### {c.router} +{c.added} -{c.removed}\n{c.diff}"
                                                        for c in changes))
    assert len(changes) == len(scenarios.ROUTERS)  # the description says it everywhere, even in ietf


def test_each_vendor_carries_each_members_rates_and_addresses() -> None:
    """Worked by hand: the rates as each dialect writes them, the /32 and the /56 routed to the port."""
    expected = {
        "junos": ["class-of-service interfaces m2 unit 0 shaping-rate 300000000",
                  "policer ul-sub-m2 if-exceeding bandwidth-limit 100000000",
                  "static route 100.64.0.2/32 qualified-next-hop m2.0",
                  "rib inet6.0 static route 2001:db8:10:200::/56 qualified-next-hop m2.0"],
        "iosxr": ["service-policy output ul-shape-300000000", "service-policy input ul-police-100000000",
                  "shape average 300000000 bps", "100.64.0.2/32 m2"],
        "sros": ['sap-egress "ul-300000000" queue 1 rate pir 300000', 'policy-name "ul-100000000"',
                 'route 100.64.0.2/32 route-type unicast interface "sub-m2"'],
        "frr": ["ip route 100.64.0.2/32 m2", "ipv6 route 2001:db8:10:200::/56 m2",
                "tc qdisc replace dev m2 root tbf rate 300000000bit burst 375000 latency 50ms",
                "description village-coop flat-2 cgnat 100.64.0.2:1024-2047"],
        "openconfig": ['"openconfig-qos-ext:shaping-rate-bps": 300000000', '"prefix": "100.64.0.2/32"'],
        "ietf": ["<name>m2</name>", "village-coop flat-2 cgnat 100.64.0.2:1024-2047"],
    }
    for vendor, needles in expected.items():
        text = _render(vendor, _lines())["mil-pe1"].full_text()
        for needle in needles:
            assert needle in text, (vendor, needle)
    frr = _render("frr", _lines(suspended="flat-2"))["mil-pe1"].full_text()
    assert "tc qdisc replace dev m2 root tbf rate 256000bit burst 32000 latency 50ms" in frr
    assert "(suspended)" in frr


@pytest.mark.parametrize(("change", "field"), [
    ({"port": "m1"}, "subscribers[1].port"),            # two lines on one port
    ({"router": "nowhere"}, "subscribers[1].router"),
    ({"rate_down_bps": 0}, "subscribers[1].rate_down_bps"),
    ({"ipv4": "300.1.1.1"}, "subscribers[1].ipv4"),
    ({"ipv6": "2001:db8:10:201::/56"}, "subscribers[1].ipv6"),  # host bits set
    ({"line": "flat\n2"}, "subscribers[1].line"),
])
def test_bad_lines_are_refused_naming_the_field(change: dict[str, object], field: str) -> None:
    lines = [line for line in _lines() if line.router == "mil-pe1"]
    lines[1] = replace(lines[1], **change)  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as err:
        build_device_intents(scenarios.ROUTERS, [], subscribers=lines)
    assert err.value.field == field
