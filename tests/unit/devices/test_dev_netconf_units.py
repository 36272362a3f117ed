"""The netconf driver's pure parts (no server): canonical interfaces, refusals.
The driver itself is proven against a real netconfd in tests/integration/devices/test_dev_netconf.py."""

from __future__ import annotations

import pytest

from unilink.devices.drivers.base import DeviceError
from unilink.devices.drivers.netconf import NetconfDriver, canonical_interfaces, interfaces_as_text
from unilink.devices.render import RenderedConfig

RENDERED = """<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
  <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"
              xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">
    <interface><name>eth1.103</name><description>acme Amsterdam Office</description>
      <type>ianaift:l2vlan</type><enabled>true</enabled>
      <ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ip"><address><ip>10.1.3.0</ip><prefix-length>31</prefix-length>
      </address></ipv4>
    </interface>
  </interfaces>
</config>"""
# the same content as a server prints it: other root, other prefix for the identity, other order
RUNNING = """<data xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">
  <interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces">
    <interface>
      <name>eth1.103</name>
      <type xmlns:if="urn:ietf:params:xml:ns:yang:iana-if-type">if:l2vlan</type>
      <description>acme Amsterdam Office</description>
      <ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ip"><address><ip>10.1.3.0</ip>
      <prefix-length>31</prefix-length></address></ipv4>
      <enabled>true</enabled>
    </interface>
  </interfaces>
  <nacm xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-acm"/>
</data>"""


def test_formatting_does_not_matter_content_does() -> None:
    assert canonical_interfaces(RENDERED) == canonical_interfaces(RUNNING)
    assert canonical_interfaces(RENDERED.replace("10.1.3.0", "10.1.3.2")) != canonical_interfaces(RUNNING)
    assert canonical_interfaces("") == []
    assert interfaces_as_text(RUNNING) == (
        "interface eth1.103 type l2vlan enabled true description 'acme Amsterdam Office' 10.1.3.0/31\n")


def test_the_driver_pushes_only_ietf_xml() -> None:
    driver = NetconfDriver("pe1", "127.0.0.1", connect=lambda **_: pytest.fail("must not connect"))
    with pytest.raises(DeviceError, match="pushes ietf XML, not 'junos'"):
        driver.prepare(RenderedConfig(vendor="junos", text="set interfaces"))


def test_commit_without_prepare_is_refused() -> None:
    driver = NetconfDriver("pe1", "127.0.0.1", connect=lambda **_: pytest.fail("must not connect"))
    with pytest.raises(DeviceError, match="without a prepared candidate"):
        driver.commit()


def test_an_unreachable_server_is_a_device_error_naming_the_router() -> None:
    def refuse(**_: object) -> None:
        raise ConnectionRefusedError("connection refused")

    driver = NetconfDriver("pe1", "127.0.0.1", port=1, connect=refuse)
    with pytest.raises(DeviceError) as err:
        driver.running_config()
    assert err.value.field == "router[pe1]" and "127.0.0.1:1" in str(err.value)
