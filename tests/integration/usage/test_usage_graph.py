"""Usage graphs on hand-made series (SQLite and PostgreSQL): the 95th percentile and the committed rate
worked out by hand, the SVG parsed and its lines found where the axis says those figures are, the
resolution chosen from the range, and bad ranges refused naming the field."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from unilink.errors import ValidationError
from unilink.store.db import Store
from unilink.usage.graph_svg import usage_graph_svg
from unilink.usage.usage_view import Subject, graph_range, usage_graph
from usage_samples import write_rates

DAY0 = datetime(2026, 11, 30, tzinfo=UTC)
NOW = datetime(2026, 11, 30, 23, 59, tzinfo=UTC)
M = 10**6
SVG = "{http://www.w3.org/2000/svg}"
SUBJECT = Subject("acme", "site", "Paris HQ", "Paris HQ", None, 100 * M, 100 * M)


def _ramp(store: Store) -> None:
    """288 samples: down (i + 1) × 250 kbit/s (0.25 … 72 Mbit/s), up half of it."""
    down = [(i + 1) * 250_000 for i in range(288)]
    write_rates(store, tenant="acme", site="Paris HQ", start=DAY0, down_bps=down, up_bps=[d // 2 for d in down])


def test_a_day_graph_has_the_p95_and_committed_worked_by_hand(any_store: Store) -> None:
    _ramp(any_store)
    wanted = graph_range(now=NOW, range_="24h")
    assert (wanted.start, wanted.end, wanted.resolution) == (DAY0, DAY0 + timedelta(days=1), 300)
    graph = usage_graph(any_store, SUBJECT, wanted)
    # 288 samples: the 95th percentile is the ceil(0.95 × 288) = 274th smallest: 274 × 0.25 = 68.5 Mbit/s
    assert (graph.p95_down_bps, graph.p95_up_bps, graph.p95_bps) == (68_500_000, 34_250_000, 68_500_000)
    assert graph.p95_samples == 288 and len(graph.points) == 288
    assert graph.points[0].out_bps == 250_000 and graph.points[-1].out_bps == 72 * M
    body = graph.to_dict()
    assert body["committed"] == {"down_bps": 100 * M, "up_bps": 100 * M}
    assert body["p95"]["billed_bps"] == 68_500_000 and body["series"]["down"][1] == ["2026-11-30T00:05:00Z", 500_000]


def _y_of_ticks(root: ET.Element) -> dict[float, float]:
    """Mbit/s of each y tick → its y (the label sits 4 px below its grid line)."""
    return {float(t.get("data-mbps")): float(t.get("y")) - 4 for t in root.iter(f"{SVG}text")
            if t.get("class") == "y-tick"}


def test_the_svg_draws_committed_and_p95_where_the_axis_says(any_store: Store) -> None:
    _ramp(any_store)
    root = ET.fromstring(usage_graph_svg(usage_graph(any_store, SUBJECT, graph_range(now=NOW, range_="24h"))))
    ticks = _y_of_ticks(root)
    # the top is 110 % of the highest figure (committed 100M) rounded up to the step: 0, 25, … 125 Mbit/s
    assert sorted(ticks) == [0, 25, 50, 75, 100, 125]
    lines = {ln.get("class"): ln for ln in root.iter(f"{SVG}line") if ln.get("class") in ("committed", "p95")}
    committed, p95 = lines["committed"], lines["p95"]
    assert committed.get("data-bps") == str(100 * M) and p95.get("data-bps") == "68500000"
    assert float(committed.get("y1")) == pytest.approx(ticks[100], abs=0.1)
    per_mbps = (ticks[0] - ticks[125]) / 125
    assert float(p95.get("y1")) == pytest.approx(ticks[0] - 68.5 * per_mbps, abs=0.1)
    labels = {t.get("class"): t.text for t in root.iter(f"{SVG}text")}
    assert labels["committed-label"] == "committed 100 Mbit/s"
    assert labels["p95-label"] == "95th percentile 68.5 Mbit/s"
    # the x axis in local time: Paris is UTC+1 in November, so UTC midnight is 01:00 and Paris's
    # midnight (23:00 UTC) is labelled with the day; ticks every 3 hours
    x_ticks = [(t.get("data-at"), t.text) for t in root.iter(f"{SVG}text") if t.get("class") == "x-tick"]
    assert x_ticks[0] == ("2026-11-30T03:00:00+01:00", "03:00")
    assert ("2026-12-01T00:00:00+01:00", "Tue 1 Dec") in x_ticks
    down = next(p for p in root.iter(f"{SVG}path") if p.get("data-direction") == "down").get("d")
    assert down.startswith("M") and down.count("L") == 287   # one unbroken curve of 288 points


def test_a_missing_bucket_breaks_the_curve_instead_of_dropping_to_zero(any_store: Store) -> None:
    write_rates(any_store, tenant="acme", site="Paris HQ", start=DAY0, down_bps=[8 * M] * 10, up_bps=[8 * M] * 10)
    write_rates(any_store, tenant="acme", site="Paris HQ", start=DAY0 + timedelta(hours=1), down_bps=[8 * M] * 10,
                up_bps=[8 * M] * 10)
    graph = usage_graph(any_store, SUBJECT, graph_range(now=NOW, range_="24h"))
    root = ET.fromstring(usage_graph_svg(graph))
    down = next(p for p in root.iter(f"{SVG}path") if p.get("data-direction") == "down").get("d")
    assert down.count("M") == 2 and all(p.out_bps == 8 * M for p in graph.points)


def test_30_days_are_drawn_hourly_with_the_p95_of_the_5_minute_samples(any_store: Store) -> None:
    start = DAY0 - timedelta(days=29)
    # every day: 23 quiet hours at 10 Mbit/s and one busy hour at 80 Mbit/s. 8,640 samples, of which
    # 360 busy (4.2 %): the 8,208th smallest is still quiet → p95 10 Mbit/s, though the hour peaks at 80
    rates = [80 * M if (i % 288) // 12 == 14 else 10 * M for i in range(30 * 288)]
    write_rates(any_store, tenant="acme", site="Paris HQ", start=start, down_bps=rates, up_bps=rates)
    graph = usage_graph(any_store, SUBJECT, graph_range(now=NOW, range_="30d"))
    assert graph.range.resolution == 3600 and len(graph.points) == 720
    assert max(p.out_bps for p in graph.points) == 80 * M
    assert graph.p95_samples == 8640 and graph.p95_bps == 10 * M


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"range_": "10y"}, "range"),
    ({"start": "2016-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z", "resolution": 300}, "resolution"),
    ({"start": "2026-11-31T00:00:00Z", "end": "2026-12-01T00:00:00Z"}, "start"),
    ({"start": "2026-11-01T00:00:00", "end": "2026-12-01T00:00:00Z"}, "start"),
    ({"start": "2026-11-01T00:00:00Z"}, "end"),
    ({"range_": "24h", "start": "2026-11-01T00:00:00Z"}, "range"),
    ({"start": "2026-12-01T00:00:00Z", "end": "2026-11-01T00:00:00Z"}, "end"),
    ({"range_": "24h", "resolution": 60}, "resolution"),
])
def test_bad_ranges_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        graph_range(now=NOW, **kwargs)  # type: ignore[arg-type]
    assert refused.value.field == field and refused.value.accepted


def test_the_resolution_follows_the_range() -> None:
    assert graph_range(now=NOW, range_="7d").resolution == 3600
    ten_years = graph_range(now=NOW, start="2016-01-01T00:00:00Z", end="2026-01-01T00:00:00Z")
    assert ten_years.resolution == 86400 and ten_years.points == 3653
    assert graph_range(now=NOW, start="2026-11-30T00:00:00+01:00", end="2026-11-30T12:00:00+01:00").resolution == 300
