"""Interface counters over NETCONF: a <get> of the ietf-interfaces statistics (RFC 7223 / RFC 8343).

    targets = load_targets("/etc/unilink/netconf.yaml")   # router -> how to reach it
    reader = NetconfCounterReader(targets, carries)       # carries: router -> interface -> Carries
    reader.read_counters("ams-pe1")                       # [Counter(...), ...]

Per interface: `in-octets` / `out-octets` (YANG counter64: width 64), `discontinuity-time` as the
reset marker (a new value means the counters restarted, whatever their values say) and `speed`
(bit/s, gauge64) when the server gives it. The read time is the wall clock when the reply came
(these are real devices, measured now; a caller may pass its own `now`). One SSH session per router
is kept between polls and re-opened when it dropped.

The targets file (YAML; `UNILINK_NETCONF_TARGETS` names it for `--source netconf`):

    routers:
      ams-pe1: {host: 192.0.2.10, port: 830, username: unilink, key_filename: /etc/unilink/nc.key}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from lxml import etree

from unilink.devices.counters import UNKNOWN, Carries, Counter
from unilink.devices.drivers.base import DeviceError
from unilink.devices.drivers.netconf import IF_NS, NetconfDriver
from unilink.errors import ValidationError

TARGETS_ENV = "UNILINK_NETCONF_TARGETS"
COUNTER64 = 1 << 64


@dataclass(frozen=True, slots=True)
class NetconfTarget:
    """How to reach one router's NETCONF server (what `NetconfDriver` takes)."""

    host: str
    port: int = 830
    username: str = "root"
    key_filename: str | None = None
    password: str | None = None
    hostkey_verify: bool = True
    timeout_s: float = 30.0


def _leaf(node: Any, path: str) -> str | None:
    found = node.find(path, {"if": IF_NS})
    return None if found is None or found.text is None else found.text.strip()


def _unsigned(router: str, interface: str, leaf: str, text: str, top: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < top:
        raise DeviceError(router, f"{interface}: {leaf} {text!r} is not an unsigned 64-bit integer")
    return value


def parse_statistics(xml_text: str, router: str, at: datetime,
                     carries: Mapping[str, Carries] | None = None) -> list[Counter]:
    """The counters in a <get> reply's <data> (or any document holding ietf-interfaces interfaces).

    Only interfaces with both octet counters count (a server may omit optional leaves). With
    `carries`, only the interfaces it names, labelled; without, every interface, as `other`. An
    interface listed twice (an NMDA server that still offers the deprecated /interfaces-state) is
    taken once, from its first entry.
    """
    try:
        root = etree.fromstring(xml_text.encode())
    except etree.XMLSyntaxError as exc:
        raise DeviceError(router, f"the statistics reply is not XML: {exc}") from exc
    out: dict[str, Counter] = {}
    for iface in root.iter(f"{{{IF_NS}}}interface"):
        name = _leaf(iface, "if:name")
        stats = iface.find("if:statistics", {"if": IF_NS})
        if not name or stats is None or name in out or (carries is not None and name not in carries):
            continue
        octets_in, octets_out = _leaf(stats, "if:in-octets"), _leaf(stats, "if:out-octets")
        if octets_in is None or octets_out is None:
            continue
        speed = _leaf(iface, "if:speed")
        out[name] = Counter(router, name, _unsigned(router, name, "in-octets", octets_in, COUNTER64),
                            _unsigned(router, name, "out-octets", octets_out, COUNTER64), at, width=64,
                            marker=_leaf(stats, "if:discontinuity-time") or "",
                            carries=carries[name] if carries is not None else UNKNOWN,
                            speed_bps=_unsigned(router, name, "speed", speed, COUNTER64) if speed else None)
    return list(out.values())


def _wall_clock() -> datetime:
    return datetime.now(UTC)


class NetconfCounterReader:
    """`read_counters(router)` for routers reached over NETCONF.

    `carries[router]` names the interfaces to measure on that router and what they carry; a router
    absent from it has every interface measured, labelled `other` (not in the usage metrics).
    """

    def __init__(self, targets: Mapping[str, NetconfTarget],
                 carries: Mapping[str, Mapping[str, Carries]] | None = None, *,
                 now: Callable[[], datetime] = _wall_clock, connect: Callable[..., Any] | None = None) -> None:
        self.targets = dict(targets)
        self.carries = {r: dict(c) for r, c in (carries or {}).items()}
        self.now = now
        self._connect = connect
        self._drivers: dict[str, NetconfDriver] = {}

    def routers(self) -> list[str]:
        return sorted(self.targets)

    def _driver(self, router: str) -> NetconfDriver:
        if router not in self._drivers:
            t = self.targets.get(router)
            if t is None:
                raise DeviceError(router, "no NETCONF target for this router (add it to the targets file)")
            self._drivers[router] = NetconfDriver(router, t.host, port=t.port, username=t.username,
                                                  key_filename=t.key_filename, password=t.password,
                                                  hostkey_verify=t.hostkey_verify, timeout_s=t.timeout_s,
                                                  connect=self._connect)
        return self._drivers[router]

    def read_counters(self, router: str) -> list[Counter]:
        driver = self._driver(router)
        try:
            reply = driver.interface_statistics()
        except DeviceError:
            driver.close_quietly()   # the next poll opens a fresh session
            raise
        return parse_statistics(reply, router, self.now(), self.carries.get(router))

    def close(self) -> None:
        for driver in self._drivers.values():
            driver.close_quietly()
        self._drivers.clear()


_TARGET_KEYS = {f.name for f in fields(NetconfTarget)}
_TARGET_TYPES: dict[str, tuple[type, ...]] = {"host": (str,), "port": (int,), "username": (str,),
                                             "key_filename": (str,), "password": (str,),
                                             "hostkey_verify": (bool,), "timeout_s": (int, float)}


def _type_ok(key: str, value: object) -> bool:
    if value is None:
        return key in ("key_filename", "password")
    if key == "hostkey_verify":
        return isinstance(value, bool)
    return not isinstance(value, bool) and isinstance(value, _TARGET_TYPES[key])   # True is no port


def _target(router: str, entry: object) -> NetconfTarget:
    where = f"routers.{router}"
    if not isinstance(entry, dict):
        raise ValidationError("a NETCONF target is a mapping", field=where, value=entry,
                              accepted="{host: ..., port: 830, username: ..., key_filename: ...}")
    for key, value in entry.items():
        if key not in _TARGET_KEYS:
            raise ValidationError("unknown NETCONF target key", field=f"{where}.{key}", value=key,
                                  accepted=", ".join(sorted(_TARGET_KEYS)))
        if not _type_ok(key, value):
            raise ValidationError("wrong type", field=f"{where}.{key}", value=value,
                                  accepted=" or ".join(t.__name__ for t in _TARGET_TYPES[key]))
    if not entry.get("host"):
        raise ValidationError("a NETCONF target needs a host", field=f"{where}.host", value=entry.get("host"),
                              accepted="a host name or IP address")
    if not 1 <= entry.get("port", 830) <= 65535:
        raise ValidationError("port out of range", field=f"{where}.port", value=entry["port"], accepted="1-65535")
    return NetconfTarget(**entry)


def parse_targets(document: object) -> dict[str, NetconfTarget]:
    """Router name → target, from the loaded YAML document `{routers: {name: {host: ..., ...}}}`."""
    routers = document.get("routers") if isinstance(document, dict) else None
    if not isinstance(routers, dict) or not routers:
        raise ValidationError("the NETCONF targets file needs a non-empty 'routers' mapping", field="routers",
                              value=routers, accepted="routers: {ams-pe1: {host: 192.0.2.10, port: 830}}")
    return {str(name): _target(str(name), entry) for name, entry in routers.items()}


def load_targets(path: str | Path | None) -> dict[str, NetconfTarget]:
    if not path:
        raise ValidationError("the netconf counter source needs its targets file", field=TARGETS_ENV,
                              value=path, accepted="the path of a YAML file: routers: {name: {host: ...}}")
    try:
        document = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ValidationError(f"cannot read the NETCONF targets file: {exc}", field=TARGETS_ENV,
                              value=str(path), accepted="a readable YAML file") from exc
    return parse_targets(document)
