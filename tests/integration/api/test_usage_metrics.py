"""`GET /metrics/usage` on the seeded demo: operators get every tenant's per-site and per-link
figures (labelled), tenants get nothing, and the figures are the seeded model's octets."""

from __future__ import annotations

from datetime import timedelta

from demo_api import DemoApi
from prometheus_client.parser import text_string_to_metric_families

from unilink.clock import FrozenClock
from unilink.usage.poller import Poller, reader_for


def _collect(demo: DemoApi, clock: FrozenClock) -> Poller:
    reader, routers = reader_for(demo.store, "sim")
    poller = Poller(demo.store, reader, routers, interval_s=300)
    poller.poll_once()
    clock.advance(timedelta(seconds=300))
    poller.poll_once()
    return poller


def _samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    return [(s.labels, s.value) for family in text_string_to_metric_families(text) for s in family.samples
            if s.name == name]


def test_operators_see_per_site_and_per_link_figures(demo: DemoApi, frozen_clock: FrozenClock) -> None:
    poller = _collect(demo, frozen_clock)
    answer = demo.call("GET", "/metrics/usage", "op-viewer")
    assert answer.status_code == 200, answer.text
    octets = _samples(answer.text, "unilink_usage_octets_total")
    kinds = {labels["kind"] for labels, _ in octets}
    assert kinds == {"site", "link"}
    tenants = {labels["tenant"] for labels, _ in octets if labels["kind"] == "site"}
    assert {"acme-logistics", "nordlink-wholesale"} <= tenants
    assert {labels["direction"] for labels, _ in octets if labels["kind"] == "link"} == {"ab", "ba"}
    # one site's download: the model's octets over the 5 minutes, exactly
    reader = poller.reader
    site_ports = [(router, iface) for router, ifaces in reader.interfaces.items() for iface in ifaces  # type: ignore[attr-defined]
                  if iface.carries.kind == "site"]
    router, iface = site_ports[0]
    _, flow_out = reader.flows(router, iface)  # type: ignore[attr-defined]
    u1 = (frozen_clock.now() - reader.origin).total_seconds()  # type: ignore[attr-defined]
    same = [(r, i) for r, i in site_ports if i.carries == iface.carries]
    want = sum(reader.flows(r, i)[1].octets(u1) - reader.flows(r, i)[1].octets(u1 - 300)  # type: ignore[attr-defined]
               for r, i in same)
    got = [v for labels, v in octets if labels["site"] == iface.carries.site and labels["direction"] == "down"
           and labels["tenant"] == iface.carries.tenant and labels["service"] == iface.carries.service]
    assert got == [want]
    openmetrics = demo.client.get("/metrics/usage", headers={
        "Authorization": f"Bearer {demo.tokens['op-viewer']}", "Accept": "application/openmetrics-text"})
    assert openmetrics.headers["content-type"].startswith("application/openmetrics-text")
    assert openmetrics.text.endswith("# EOF\n")


def test_one_tenants_figures_and_no_tenant_access(demo: DemoApi, frozen_clock: FrozenClock) -> None:
    _collect(demo, frozen_clock)
    only = demo.call("GET", "/metrics/usage?tenant=acme-logistics", "op-admin")
    assert only.status_code == 200
    assert {labels["tenant"] for labels, _ in _samples(only.text, "unilink_usage_octets_total")} == {"acme-logistics"}
    assert demo.call("GET", "/metrics/usage", "acme-admin").status_code == 403
    assert demo.call("GET", "/metrics/usage?tenant=acme-logistics", "nordlink-admin").status_code == 403
    assert demo.call("GET", "/metrics/usage", None).status_code == 401
    assert demo.call("GET", "/metrics/usage?tenant=" + "x" * 65, "op-admin").status_code == 422
