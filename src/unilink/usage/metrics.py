"""The measured figures in the OpenMetrics / Prometheus text format, for an operator's Prometheus.

Two families, one sample per (tenant, site, service, link, direction):

    unilink_usage_octets_total  counter  unilink's own running total since the series began (it
                                         never wraps nor resets, whatever the device counters did)
    unilink_usage_rate_bps      gauge    the rate of the last poll interval, bit/s

Each direction is counted once: a site's access port gives `down` (what the PE sends it) and `up`;
a backbone link gives `ab` and `ba`, each from the interface that sends it (the a side's out, the b
side's out), so a link's traffic is not counted at both ends.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry
from prometheus_client import exposition as text_format
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.openmetrics import exposition as openmetrics

from unilink.store.usage_samples_repo import SeriesTotals

LABELS = ("tenant", "site", "service", "link", "direction", "kind")
Figures = dict[tuple[str, ...], list[int]]   # labels → [octets total, rate]


def figures(series: Iterable[SeriesTotals]) -> Figures:
    """Per (labels) the summed octets and rates of the series that measure it (see module doc)."""
    out: Figures = {}
    for s in series:
        i = s.info
        if i.kind == "other":
            continue
        sides = [(i.out_direction, s.octets_out_total, s.last_out_bps)]
        if i.kind == "site":   # a link's in-direction is measured by the far end's out
            sides.append((i.in_direction, s.octets_in_total, s.last_in_bps))
        for direction, octets, rate in sides:
            found = out.setdefault((i.tenant, i.site, i.service, i.link, direction, i.kind), [0, 0])
            found[0] += octets
            found[1] += rate
    return out


class _UsageCollector:
    def __init__(self, found: Figures) -> None:
        self.found = found

    def collect(self) -> Iterator[Metric]:
        octets = CounterMetricFamily("unilink_usage_octets", "Octets measured on the interface, since the "
                                     "series began (never wraps)", labels=LABELS)
        rate = GaugeMetricFamily("unilink_usage_rate_bps", "Rate of the last poll interval, bit/s", labels=LABELS)
        for labels, (total, bps) in sorted(self.found.items()):
            octets.add_metric(list(labels), total)
            rate.add_metric(list(labels), bps)
        yield octets
        yield rate


def exposition(series: Iterable[SeriesTotals], accept: str = "") -> tuple[bytes, str]:
    """(body, content type): OpenMetrics when the scraper asks for it (Prometheus does), else text 0.0.4."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_UsageCollector(figures(series)))  # type: ignore[arg-type]
    if "application/openmetrics-text" in accept:
        return openmetrics.generate_latest(registry), openmetrics.CONTENT_TYPE_LATEST
    return text_format.generate_latest(registry), text_format.CONTENT_TYPE_LATEST
