"""A usage graph as one SVG document, pure: no script, no font or file fetched, readable as it is.

Traffic down (to the site) and up as two curves, the committed rate and the 95th percentile as
horizontal lines labelled with their figures, the y axis in Mbit/s and the x axis in the local dates
and hours of `zone`. A bucket nobody measured is a break in the curve, never a drop to zero.
Everything a reader (or a test) wants to check is also in attributes: `data-bps` on the lines,
`data-mbps` / `data-at` on the ticks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from markupsafe import escape

from unilink.usage.usage_view import UsageGraph

WIDTH, HEIGHT = 820, 340
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 36, 58
COLOURS = {"down": "#0b5cad", "up": "#2e8540", "committed": "#c62828", "p95": "#e08a00"}
TIME_STEPS = [timedelta(hours=h) for h in (1, 2, 3, 6, 12)] + [timedelta(days=d) for d in (1, 2, 5, 7, 14, 30, 91)]
MAX_X_TICKS = 8


def mbps_text(bps: float) -> str:
    """1_500_000 → "1.5 Mbit/s" (one decimal at most, none when whole)."""
    text = f"{bps / 1e6:,.1f}"
    return f"{text[:-2] if text.endswith('.0') else text} Mbit/s"


def nice_step(top: float, ticks: int = 5) -> float:
    """A round step (1, 2, 2.5 or 5 × 10^k) that divides [0, top] in at most `ticks` intervals."""
    if top <= 0:
        return 1.0
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


class Scale:
    """Time → x and bit/s → y in the plot area."""

    def __init__(self, start: datetime, end: datetime, top_mbps: float) -> None:
        self.start, self.span_s = start, max((end - start).total_seconds(), 1.0)
        self.top_mbps = top_mbps
        self.x0, self.x1, self.y0, self.y1 = LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM

    def x(self, at: datetime) -> float:
        return self.x0 + (at - self.start).total_seconds() / self.span_s * (self.x1 - self.x0)

    def y(self, bps: float) -> float:
        return self.y1 - bps / 1e6 / self.top_mbps * (self.y1 - self.y0)


def _top_mbps(values: Iterable[float]) -> tuple[float, float]:
    """(axis top, tick step) in Mbit/s: a round number above every value, with 10 % of headroom."""
    highest = max([v / 1e6 for v in values] + [0.0]) * 1.1 or 1.0
    step = nice_step(highest)
    return math.ceil(highest / step) * step, step


def _curve(graph: UsageGraph, scale: Scale, direction: str) -> str:
    """One path, broken where a bucket is missing; each point at its bucket's middle."""
    step = timedelta(seconds=graph.range.resolution)
    parts, previous = [], None
    for p in graph.points:
        bps = p.out_bps if direction == "down" else p.in_bps
        command = "L" if previous is not None and p.start - previous == step else "M"
        parts.append(f"{command}{scale.x(p.start + step / 2):.1f},{scale.y(bps):.1f}")
        previous = p.start
    return (f'<path class="curve" data-direction="{direction}" d="{" ".join(parts)}" fill="none" '
            f'stroke="{COLOURS[direction]}" stroke-width="1.6"/>')


def _level(scale: Scale, kind: str, bps: int, label: str, direction: str = "") -> str:
    y = scale.y(bps)
    dash = ' stroke-dasharray="6 4"' if kind == "committed" else ""
    extra = f' data-direction="{direction}"' if direction else ""
    return (f'<line class="{kind}" data-bps="{bps}"{extra} x1="{scale.x0}" y1="{y:.1f}" x2="{scale.x1}" '
            f'y2="{y:.1f}" stroke="{COLOURS[kind]}" stroke-width="1.4"{dash}/>'
            f'<text class="{kind}-label" x="{scale.x1 - 4}" y="{y - 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="{COLOURS[kind]}">{escape(label)}</text>')


def _y_axis(scale: Scale, step: float) -> list[str]:
    out = [f'<text class="axis-title" x="14" y="{TOP - 14}" font-size="11">Mbit/s</text>']
    for i in range(int(round(scale.top_mbps / step)) + 1):
        value = i * step
        y = scale.y(value * 1e6)
        text = f"{value:g}"
        out.append(f'<line class="grid" x1="{scale.x0}" y1="{y:.1f}" x2="{scale.x1}" y2="{y:.1f}" '
                   f'stroke="#e3e7ec"/>'
                   f'<text class="y-tick" data-mbps="{text}" x="{scale.x0 - 6}" y="{y + 4:.1f}" text-anchor="end" '
                   f'font-size="11">{text}</text>')
    return out


def time_ticks(start: datetime, end: datetime, zone: str) -> tuple[list[datetime], timedelta]:
    """Instants of round local times (hours, midnights) between start and end, at most MAX_X_TICKS."""
    tz = ZoneInfo(zone)
    span = end - start
    step = next((s for s in TIME_STEPS if span / s <= MAX_X_TICKS), TIME_STEPS[-1])
    local = start.astimezone(tz)
    if step < timedelta(days=1):
        hours = int(step.total_seconds() // 3600)
        at = local.replace(minute=0, second=0, microsecond=0, hour=local.hour - local.hour % hours)
    else:
        at = local.replace(hour=0, minute=0, second=0, microsecond=0)
    ticks = []
    while at < end:
        if at >= start:
            ticks.append(at)
        # wall-clock arithmetic in the zone: midnight stays midnight across a DST change
        at = (at.replace(tzinfo=None) + step).replace(tzinfo=tz)
    return ticks, step


def tick_label(at: datetime, step: timedelta) -> str:
    if step >= timedelta(days=1):
        return f"{at.day} {at:%b}"
    if at.hour == 0:
        return f"{at:%a} {at.day} {at:%b}"
    return f"{at:%H:%M}"


def _x_axis(scale: Scale, start: datetime, end: datetime, zone: str) -> list[str]:
    ticks, step = time_ticks(start, end, zone)
    out = []
    for at in ticks:
        x = scale.x(at)
        out.append(f'<line class="grid" x1="{x:.1f}" y1="{scale.y0}" x2="{x:.1f}" y2="{scale.y1}" stroke="#eef1f4"/>'
                   f'<text class="x-tick" data-at="{at.isoformat()}" x="{x:.1f}" y="{scale.y1 + 16}" '
                   f'text-anchor="middle" font-size="11">{escape(tick_label(at, step))}</text>')
    out.append(f'<text class="axis-title" x="{(scale.x0 + scale.x1) / 2}" y="{HEIGHT - 8}" text-anchor="middle" '
               f'font-size="11">local time ({escape(zone)})</text>')
    return out


def _legend() -> str:
    items = [("down", "down (to the site)"), ("up", "up (from the site)"), ("committed", "committed rate"),
             ("p95", "95th percentile")]
    out, x = [], LEFT
    for kind, label in items:
        out.append(f'<rect x="{x}" y="{TOP - 24}" width="14" height="4" fill="{COLOURS[kind]}"/>'
                   f'<text x="{x + 18}" y="{TOP - 19}" font-size="11">{escape(label)}</text>')
        x += 150
    return "".join(out)


def usage_graph_svg(graph: UsageGraph, *, title: str | None = None) -> str:
    """The whole `<svg>` document of `graph`."""
    s = graph.subject
    levels: Sequence[int] = [s.committed_down_bps, s.committed_up_bps, graph.p95_bps or 0]
    top, step = _top_mbps([*levels, *(max(p.in_bps, p.out_bps) for p in graph.points)])
    scale = Scale(graph.range.start, graph.range.end, top)
    name = title or f"Traffic of {s.kind} {s.name}"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="usage-graph" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="usage-title" font-family="sans-serif">'
             f'<title id="usage-title">{escape(name)}</title>'
             f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>', _legend(),
             *_y_axis(scale, step), *_x_axis(scale, graph.range.start, graph.range.end, graph.zone)]
    if not graph.points:
        parts.append(f'<text class="empty" x="{(scale.x0 + scale.x1) / 2}" y="{(scale.y0 + scale.y1) / 2}" '
                     f'text-anchor="middle">no traffic measured in this range</text>')
    parts += [_curve(graph, scale, "down"), _curve(graph, scale, "up")]
    if s.committed_down_bps == s.committed_up_bps:
        parts.append(_level(scale, "committed", s.committed_down_bps, f"committed {mbps_text(s.committed_down_bps)}"))
    else:
        parts.append(_level(scale, "committed", s.committed_down_bps,
                            f"committed down {mbps_text(s.committed_down_bps)}", "down"))
        parts.append(_level(scale, "committed", s.committed_up_bps,
                            f"committed up {mbps_text(s.committed_up_bps)}", "up"))
    if graph.p95_bps is not None:
        parts.append(_level(scale, "p95", graph.p95_bps, f"95th percentile {mbps_text(graph.p95_bps)}"))
    parts.append(f'<line class="axis" x1="{scale.x0}" y1="{scale.y1}" x2="{scale.x1}" y2="{scale.y1}" '
                 f'stroke="#1b1f24"/><line class="axis" x1="{scale.x0}" y1="{scale.y0}" x2="{scale.x0}" '
                 f'y2="{scale.y1}" stroke="#1b1f24"/></svg>')
    return "".join(parts)
