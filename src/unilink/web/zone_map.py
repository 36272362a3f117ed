"""A campaign's zones as one inline SVG, pure: no tiles, no script, nothing fetched from anywhere.

Each zone's polygon ([[lat, lon], …], WGS 84) is projected equirectangularly (longitudes shrunk by the
cosine of the mean latitude, so a village keeps its shape), scaled to fit the picture, filled by the
zone's status and labelled with its name and its count against the target. The count is the one the
view gives: a public view gives `confirmed: None` below 5 (k-anonymity) and the map then prints
`confirmed_label` ("fewer than 5") — it never works a count out of anything else.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any

Point = tuple[float, float]
FILLS = {"open": "#dbe8f6", "reached": "#cfe9d6", "designed": "#b9e0c4", "ordered": "#9fd4ae", "expired": "#eceff2"}
STROKE = "#0b5cad"
PAD = 24.0


def _points(zone: dict[str, Any]) -> list[tuple[float, float]]:
    polygon = zone.get("polygon") or []
    return [(float(lat), float(lon)) for lat, lon in polygon]


def _bounds(rings: Sequence[Sequence[Point]]) -> tuple[float, float, float, float]:
    lats = [lat for ring in rings for lat, _ in ring]
    lons = [lon for ring in rings for _, lon in ring]
    return min(lats), max(lats), min(lons), max(lons)


class _Projection:
    """lat/lon → x/y in a width × height picture, the same scale on both axes (in km)."""

    def __init__(self, rings: Sequence[Sequence[Point]], width: float, height: float) -> None:
        south, north, west, east = _bounds(rings)
        self.kx = math.cos(math.radians((south + north) / 2))
        span_x = max((east - west) * self.kx, 1e-6)
        span_y = max(north - south, 1e-6)
        self.scale = min((width - 2 * PAD) / span_x, (height - 2 * PAD) / span_y)
        self.x0 = (width - span_x * self.scale) / 2 - west * self.kx * self.scale
        self.y0 = (height - span_y * self.scale) / 2 + north * self.scale

    def __call__(self, lat: float, lon: float) -> Point:
        return self.x0 + lon * self.kx * self.scale, self.y0 - lat * self.scale


def count_text(zone: dict[str, Any]) -> str:
    """"12 of 60" — or "fewer than 5 of 60" when the view hides the count."""
    confirmed = zone.get("confirmed")
    shown = str(confirmed) if isinstance(confirmed, int) else str(zone.get("confirmed_label") or "fewer than 5")
    target = zone.get("target_subscribers")
    return f"{shown} of {target}" if isinstance(target, int) else shown


def _centroid(points: Sequence[Point]) -> Point:
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def _zone_shape(zone: dict[str, Any], projected: list[Point]) -> str:
    name = escape(str(zone.get("name", "")))
    status = str(zone.get("status", "open"))
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in projected)
    return (f'<g class="zone" data-zone="{name}" data-status="{escape(status)}">'
            f"<title>{name}: {escape(count_text(zone))} confirmed, {escape(status)}</title>"
            f'<polygon points="{path}" fill="{FILLS.get(status, FILLS["open"])}" stroke="{STROKE}" '
            f'stroke-width="1.5"/></g>')


def _zone_label(zone: dict[str, Any], projected: list[Point]) -> str:
    cx, cy = _centroid(projected)
    name = escape(str(zone.get("name", "")))
    return (f'<g class="label" data-zone="{name}">'
            f'<text x="{cx:.1f}" y="{cy - 4:.1f}" text-anchor="middle" font-size="13" font-weight="700" '
            f'fill="#1b1f24">{name}</text>'
            f'<text x="{cx:.1f}" y="{cy + 12:.1f}" text-anchor="middle" font-size="12" fill="#1b1f24" '
            f'class="count">{escape(count_text(zone))}</text></g>')


def zone_map_svg(zones: Sequence[dict[str, Any]], *, width: int = 640, height: int = 420,
                 title: str = "Map of the zones") -> str:
    """The zones (those with a polygon of 3 points or more) as an inline `<svg>` element."""
    drawn = [zone for zone in zones if len(_points(zone)) >= 3]
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="zone-map" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" role="img" aria-labelledby="zone-map-title">'
            f'<title id="zone-map-title">{escape(title)}</title>'
            f'<rect width="{width}" height="{height}" fill="#f8fafc"/>')
    if not drawn:
        return head + f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle">no zone drawn</text></svg>'
    project = _Projection([_points(z) for z in drawn], width, height)
    shapes = [(zone, [project(lat, lon) for lat, lon in _points(zone)]) for zone in drawn]
    # every shape first, then every label: a neighbour's polygon never hides a zone's count
    return (head + "".join(_zone_shape(z, pts) for z, pts in shapes)
            + "".join(_zone_label(z, pts) for z, pts in shapes) + "</svg>")
