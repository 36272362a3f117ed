"""The NETCONF counter source against a REAL server: netconfd with Debian's ietf-interfaces SIL
(netconfd-module-ietf-interfaces, which reads /proc/net/dev) run in a network namespace of its own,
so that it reports that namespace's interfaces only; sshd on 127.0.0.1 here bridges to it.

The namespace's veth `v14dev` faces a peer namespace. IPv6 is off on both ends and the neighbours
are static, so nothing but what the test sends crosses the pair: flood pings of 1400-byte payloads
are 14 (Ethernet) + 20 (IPv4) + 8 (ICMP) + 1400 = 1442 octets a frame each way.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import dev_netconf_server
import pytest

from unilink.devices.counters import Carries, Counter
from unilink.devices.drivers.netconf_counters import TARGETS_ENV, NetconfCounterReader, NetconfTarget
from unilink.store import usage_samples_repo as repo
from unilink.store.db import Store
from unilink.usage.poller import Poller, reader_for

pytestmark = [pytest.mark.netconf, pytest.mark.slow]

ROUTER = "ams-pe1"
DEV, PEER = "v14dev", "v14peer"
PINGS, PAYLOAD = 2000, 1400
FRAME = 14 + 20 + 8 + PAYLOAD
LINK = Carries.link_end("Amsterdam-Brussels", a_side=True)


def _sh(*argv: str) -> str:
    return subprocess.run(list(argv), check=True, capture_output=True, text=True).stdout


def _veth_pair(dev_ns: str, peer_ns: str) -> None:
    _sh("ip", "-n", dev_ns, "link", "add", DEV, "type", "veth", "peer", "name", PEER, "netns", peer_ns)
    ends = ((dev_ns, DEV, "10.14.0.1"), (peer_ns, PEER, "10.14.0.2"))
    macs = {}
    for ns, ifname, _ in ends:
        _sh("ip", "netns", "exec", ns, "sysctl", "-qw", f"net.ipv6.conf.{ifname}.disable_ipv6=1")
        macs[ifname] = _sh("ip", "netns", "exec", ns, "cat", f"/sys/class/net/{ifname}/address").strip()
    for (ns, ifname, ip), (_, other, other_ip) in zip(ends, reversed(ends), strict=True):
        _sh("ip", "-n", ns, "addr", "add", f"{ip}/30", "dev", ifname)
        _sh("ip", "-n", ns, "neigh", "add", other_ip, "lladdr", macs[other], "nud", "permanent", "dev", ifname)
        _sh("ip", "-n", ns, "link", "set", ifname, "up")


@pytest.fixture(scope="module")
def device(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dev_netconf_server.NetconfServer, str, str]]:
    reason = dev_netconf_server.unavailable_reason()
    if reason:
        pytest.skip(reason)
    if not list(Path("/usr/lib").glob("*/yuma/libietf-interfaces.so")):
        pytest.skip("netconfd's ietf-interfaces SIL is absent: apt-get install -y netconfd-module-ietf-interfaces")
    if shutil.which("ping") is None:
        pytest.skip("ping is absent (iputils-ping)")
    dev_ns, peer_ns = f"ulnc{os.getpid()}d", f"ulnc{os.getpid()}p"
    _sh("ip", "netns", "add", dev_ns)
    _sh("ip", "netns", "add", peer_ns)
    server = None
    try:
        _veth_pair(dev_ns, peer_ns)
        server = dev_netconf_server.start(tmp_path_factory.mktemp("netconfd-counters"), netns=dev_ns)
        yield server, dev_ns, peer_ns
    finally:
        if server is not None:
            server.stop()
        for ns in (dev_ns, peer_ns):
            subprocess.run(["ip", "netns", "del", ns], check=False)


def _target(server: dev_netconf_server.NetconfServer) -> NetconfTarget:
    return NetconfTarget("127.0.0.1", server.port, "root", str(server.client_key), hostkey_verify=False)


def _kernel(dev_ns: str) -> tuple[int, int]:
    """(rx, tx) octets of the veth as the kernel counts them, in its namespace."""
    stats = f"/sys/class/net/{DEV}/statistics"
    out = _sh("ip", "netns", "exec", dev_ns, "cat", f"{stats}/rx_bytes", f"{stats}/tx_bytes").split()
    return int(out[0]), int(out[1])


def _flood(peer_ns: str) -> int:
    """Flood-pings the device from the peer; the replies received."""
    out = _sh("ip", "netns", "exec", peer_ns, "ping", "-q", "-n", "-f", "-c", str(PINGS), "-s", str(PAYLOAD),
              "-W", "1", "10.14.0.1")
    received = int(out.split(" received")[0].rsplit(" ", 1)[1])
    assert received > PINGS * 0.9, out
    return received


def _veth(readings: list[Counter]) -> Counter:
    return next(c for c in readings if c.interface == DEV)


def _settled(reader: NetconfCounterReader, dev_ns: str, timeout_s: float = 5.0) -> tuple[Counter, float]:
    """The veth's reading once NETCONF gives the kernel's figures, and how long that took.

    The SIL refreshes its copy of /proc/net/dev on a timer, so a <get> right after traffic can answer
    the previous figures (measured here: up to about a second). Nothing else flows, so the kernel's
    figures stand still and NETCONF must reach them exactly."""
    started = time.monotonic()
    while True:
        reading, kernel = _veth(reader.read_counters(ROUTER)), _kernel(dev_ns)
        waited = time.monotonic() - started
        if (reading.octets_in, reading.octets_out) == kernel:
            return reading, waited
        assert waited < timeout_s, f"NETCONF {reading.octets_in, reading.octets_out} != kernel {kernel}"
        time.sleep(0.1)


def test_the_counters_read_over_netconf_are_the_kernels_and_grow_by_what_was_sent(device) -> None:
    server, dev_ns, peer_ns = device
    reader = NetconfCounterReader({ROUTER: _target(server)}, {ROUTER: {DEV: LINK}})
    try:
        assert [(c.interface, c.carries, c.width) for c in reader.read_counters(ROUTER)] == [(DEV, LINK, 64)], \
            "only the named port, labelled, 64-bit"
        before, _ = _settled(reader, dev_ns)
        replies = _flood(peer_ns)
        after, lag_s = _settled(reader, dev_ns)
    finally:
        reader.close()
    # the requests came in, the replies went out: 2000 × 1442 = 2,884,000 octets in
    assert after.octets_in - before.octets_in == PINGS * FRAME
    assert after.octets_out - before.octets_out == replies * FRAME
    assert after.read_at > before.read_at and lag_s < 5
    assert server.processes[0].poll() is None, "netconfd still runs (its SIL's ipv4 helper: dev_netconf_server)"


def test_the_netconf_source_of_the_collector_measures_the_flood(device, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    server, dev_ns, peer_ns = device
    t = _target(server)
    (tmp_path / "netconf.yaml").write_text(
        f"routers:\n  {ROUTER}: {{host: {t.host}, port: {t.port}, username: root,"
        f" key_filename: '{t.key_filename}', hostkey_verify: false}}\n")
    monkeypatch.setenv(TARGETS_ENV, str(tmp_path / "netconf.yaml"))
    store = Store.open(f"sqlite:///{tmp_path / 'unilink.db'}")
    try:
        reader, routers = reader_for(store, "netconf")
        assert routers == [ROUTER]
        poller = Poller(store, reader, routers, interval_s=60)
        started = datetime.now(UTC)
        _settled(reader, dev_ns)  # type: ignore[arg-type]
        assert poller.poll_once().readings == 2           # the baseline: lo and the veth (no catalogue: other)
        replies = _flood(peer_ns)
        _settled(reader, dev_ns)  # type: ignore[arg-type]
        second = poller.poll_once()
        assert (second.readings, second.deltas, second.failed_routers) == (2, 2, [])
        with store.session() as session:
            totals = {t.info.interface: t for t in repo.series_totals(session)}
    finally:
        reader.close()  # type: ignore[attr-defined]
        store.close()
    veth = totals[DEV]
    assert veth.info.kind == "other"
    assert (veth.octets_in_total, veth.octets_out_total) == (PINGS * FRAME, replies * FRAME)
    assert veth.last_at is not None and veth.last_at.replace(tzinfo=UTC) >= started
