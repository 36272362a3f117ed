"""The NETCONF counter reader without a server: replies written by hand from ietf-interfaces.yang
(the 2014-05-08 /interfaces-state and the NMDA 2018-02-20 /interfaces), the targets file, and the
session handling through a stand-in `connect`. The real server: tests/integration/devices/
test_netconf_counters_server.py."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from unilink.devices.counters import UNKNOWN, Carries
from unilink.devices.drivers.base import DeviceError
from unilink.devices.drivers.netconf import STATISTICS_FILTER
from unilink.devices.drivers.netconf_counters import (
    TARGETS_ENV,
    NetconfCounterReader,
    NetconfTarget,
    load_targets,
    parse_statistics,
    parse_targets,
)
from unilink.errors import ValidationError
from unilink.usage.poller import reader_for

AT = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
NS = 'xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"'

# A 2014-style reply: eth1.103 with a discontinuity, a speed and counters above 2^32; lo without
# out-octets (an optional leaf); eth2 without statistics at all.
STATE_REPLY = f"""<data xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
  <interfaces-state {NS}>
    <interface>
      <name>eth1.103</name>
      <speed>1000000000</speed>
      <statistics>
        <discontinuity-time>2026-12-01T08:15:00+00:00</discontinuity-time>
        <in-octets>18446744073709551615</in-octets>
        <out-octets>5000000000</out-octets>
      </statistics>
    </interface>
    <interface><name>lo</name><statistics><in-octets>12</in-octets></statistics></interface>
    <interface><name>eth2</name></interface>
    <interface>
      <name>eth1.104</name>
      <statistics><in-octets>0</in-octets><out-octets> 42 </out-octets></statistics>
    </interface>
  </interfaces-state>
</data>"""

# The NMDA revision: state under /interfaces; the same name again under the deprecated
# /interfaces-state is taken once (the first).
NMDA_REPLY = f"""<data xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
  <interfaces {NS}>
    <interface><name>ge-0/0/1</name>
      <statistics><in-octets>700</in-octets><out-octets>300</out-octets></statistics></interface>
  </interfaces>
  <interfaces-state {NS}>
    <interface><name>ge-0/0/1</name>
      <statistics><in-octets>1</in-octets><out-octets>1</out-octets></statistics></interface>
  </interfaces-state>
</data>"""


def test_the_2014_reply_gives_the_octets_the_marker_and_the_speed() -> None:
    readings = parse_statistics(STATE_REPLY, "ams-pe1", AT)
    assert [(c.interface, c.octets_in, c.octets_out) for c in readings] == [
        ("eth1.103", 2**64 - 1, 5_000_000_000), ("eth1.104", 0, 42)]
    first = readings[0]
    assert (first.router, first.read_at, first.width, first.speed_bps) == ("ams-pe1", AT, 64, 10**9)
    assert first.marker == "2026-12-01T08:15:00+00:00"
    assert first.carries == UNKNOWN and readings[1].marker == "" and readings[1].speed_bps is None


def test_carries_picks_and_labels_the_interfaces() -> None:
    port = Carries.site_port("acme", "Amsterdam Office", "internet")
    readings = parse_statistics(STATE_REPLY, "ams-pe1", AT, {"eth1.104": port, "absent0": port})
    assert [(c.interface, c.carries) for c in readings] == [("eth1.104", port)]


def test_the_nmda_reply_and_a_duplicate_name() -> None:
    readings = parse_statistics(NMDA_REPLY, "ams-pe1", AT)
    assert [(c.interface, c.octets_in, c.octets_out) for c in readings] == [("ge-0/0/1", 700, 300)]


@pytest.mark.parametrize("value", ["18446744073709551616", "-1", "many"])
def test_a_bad_counter_is_a_device_error_naming_interface_and_value(value: str) -> None:
    bad = STATE_REPLY.replace("<out-octets>5000000000</out-octets>", f"<out-octets>{value}</out-octets>")
    with pytest.raises(DeviceError, match=rf"eth1\.103: out-octets '{value}'") as err:
        parse_statistics(bad, "ams-pe1", AT)
    assert err.value.field == "router[ams-pe1]"


def test_a_reply_that_is_not_xml() -> None:
    with pytest.raises(DeviceError, match="not XML"):
        parse_statistics("<data>", "ams-pe1", AT)


def test_the_filter_asks_both_revisions_for_names_speed_and_counters() -> None:
    from lxml import etree

    tops = [etree.fromstring(f) for f in STATISTICS_FILTER]
    assert [t.tag.split("}")[1] for t in tops] == ["interfaces-state", "interfaces"]
    for top in tops:
        leaves = {e.tag.split("}")[1] for e in top.iter() if len(e) == 0}
        assert leaves == {"name", "speed", "discontinuity-time", "in-octets", "out-octets"}


class FakeManager:
    """What ncclient's manager offers the reader: `get(filter=)` and the session's state."""

    def __init__(self, replies: list[str | Exception]) -> None:
        self.replies, self.connected, self.filters = replies, True, []

    def get(self, filter: Any) -> SimpleNamespace:  # noqa: A002 - ncclient's keyword
        self.filters.append(filter)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            self.connected = False
            raise reply
        return SimpleNamespace(data_xml=reply)

    def close_session(self) -> None:
        self.connected = False


def test_the_reader_keeps_its_session_and_reconnects_after_a_failure() -> None:
    sessions: list[FakeManager] = []
    scripts = [[STATE_REPLY, OSError("connection reset")], [NMDA_REPLY]]

    def connect(**kwargs: Any) -> FakeManager:
        assert (kwargs["host"], kwargs["port"], kwargs["username"]) == ("192.0.2.10", 8300, "unilink")
        sessions.append(FakeManager(scripts[len(sessions)]))
        return sessions[-1]

    reader = NetconfCounterReader({"ams-pe1": NetconfTarget("192.0.2.10", 8300, "unilink")}, now=lambda: AT,
                                  connect=connect)
    assert reader.routers() == ["ams-pe1"]
    assert len(reader.read_counters("ams-pe1")) == 2
    with pytest.raises(DeviceError, match="get statistics failed: connection reset"):
        reader.read_counters("ams-pe1")
    assert [c.interface for c in reader.read_counters("ams-pe1")] == ["ge-0/0/1"]
    assert len(sessions) == 2 and sessions[0].filters[0] == STATISTICS_FILTER
    with pytest.raises(DeviceError, match="no NETCONF target"):
        reader.read_counters("par-pe1")


def test_the_targets_file(tmp_path: Path) -> None:
    path = tmp_path / "netconf.yaml"
    path.write_text("routers:\n  ams-pe1: {host: 192.0.2.10, port: 830, username: unilink,"
                    " key_filename: /etc/unilink/nc.key, hostkey_verify: false}\n")
    assert load_targets(path) == {"ams-pe1": NetconfTarget("192.0.2.10", 830, "unilink", "/etc/unilink/nc.key",
                                                           hostkey_verify=False)}


@pytest.mark.parametrize(("document", "field", "value"), [
    ({}, "routers", None),
    ({"routers": {"ams-pe1": "192.0.2.10"}}, "routers.ams-pe1", "192.0.2.10"),
    ({"routers": {"ams-pe1": {"port": 830}}}, "routers.ams-pe1.host", None),
    ({"routers": {"ams-pe1": {"host": "h", "port": 70000}}}, "routers.ams-pe1.port", 70000),
    ({"routers": {"ams-pe1": {"host": "h", "port": True}}}, "routers.ams-pe1.port", True),
    ({"routers": {"ams-pe1": {"host": "h", "hostkey_verify": "no"}}}, "routers.ams-pe1.hostkey_verify", "no"),
    ({"routers": {"ams-pe1": {"host": "h", "passwd": "x"}}}, "routers.ams-pe1.passwd", "passwd"),
])
def test_a_bad_targets_file_names_the_field(document: object, field: str, value: object) -> None:
    with pytest.raises(ValidationError) as err:
        parse_targets(document)
    assert (err.value.field, err.value.value) == (field, value)
    assert err.value.accepted


def test_the_netconf_source_without_its_targets_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(TARGETS_ENV, raising=False)
    with pytest.raises(ValidationError) as err:
        reader_for(None, "netconf")
    assert err.value.field == TARGETS_ENV
    monkeypatch.setenv(TARGETS_ENV, str(tmp_path / "absent.yaml"))
    with pytest.raises(ValidationError, match="cannot read"):
        reader_for(None, "netconf")
