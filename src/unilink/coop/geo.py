"""Zones on the map: polygons of (lat, lon) points in WGS 84, pure (no I/O).

A zone is small (a village, a few km across), so the plane approximation is good enough: longitudes
are scaled by cos(latitude) where distances matter, and the point-in-polygon test works on degrees
directly (it only asks on which side of each edge a point lies).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from unilink.errors import ValidationError

Point = tuple[float, float]  # (lat, lon)
KM_PER_DEGREE_LAT = 111.32


def hexagon(lat: float, lon: float, radius_km: float) -> list[list[float]]:
    """Six corners `radius_km` from (lat, lon), the first one due north: a commune's default zone."""
    dlat = radius_km / KM_PER_DEGREE_LAT
    dlon = radius_km / (KM_PER_DEGREE_LAT * math.cos(math.radians(lat)))
    corners = []
    for k in range(6):
        angle = math.radians(90 - 60 * k)
        corners.append([round(lat + dlat * math.sin(angle), 6), round(lon + dlon * math.cos(angle), 6)])
    return corners


def parse_polygon(raw: object, *, field: str) -> list[list[float]]:
    """A list of ≥ 3 [lat, lon] pairs, with an area and no crossing edges, else a ValidationError."""
    if not isinstance(raw, list) or len(raw) < 3:
        raise ValidationError("a polygon needs at least 3 [lat, lon] points", field=field, value=str(raw)[:80],
                              accepted="[[lat, lon], [lat, lon], [lat, lon], …]")
    points = [_point(p, field=f"{field}[{i}]") for i, p in enumerate(raw)]
    if points[0] == points[-1]:
        points = points[:-1]  # a closed ring as GeoJSON writes it: the repeated first point goes
    if len(points) < 3 or abs(_signed_area(points)) < 1e-12:
        raise ValidationError("the polygon has no area (points repeated or on one line)", field=field,
                              value=str(raw)[:80])
    if _self_intersects(points):
        raise ValidationError("the polygon's edges cross each other", field=field, value=str(raw)[:80],
                              accepted="the corners in order round the zone")
    return [[lat, lon] for lat, lon in points]


def _point(raw: object, *, field: str) -> Point:
    if not (isinstance(raw, list | tuple) and len(raw) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in raw)):
        raise ValidationError("a point is [lat, lon] in degrees", field=field, value=str(raw)[:40])
    lat, lon = float(raw[0]), float(raw[1])
    check_lat_lon(lat, lon, field=field)
    return lat, lon


def check_lat_lon(lat: float, lon: float, *, field: str = "lat") -> None:
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        raise ValidationError("latitude out of range", field=field, value=lat, accepted="-90 to 90 degrees")
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        raise ValidationError("longitude out of range", field=field.replace("lat", "lon"), value=lon,
                              accepted="-180 to 180 degrees")


def contains(polygon: Sequence[Sequence[float]], lat: float, lon: float) -> bool:
    """Whether (lat, lon) lies inside `polygon` (ray casting; a point on an edge may go either way)."""
    inside = False
    n = len(polygon)
    for i in range(n):
        (y1, x1), (y2, x2) = polygon[i], polygon[(i + 1) % n]
        if (y1 > lat) != (y2 > lat):
            x_cross = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lon < x_cross:
                inside = not inside
    return inside


def centroid(polygon: Sequence[Sequence[float]]) -> Point:
    """The centre of mass of the polygon's area (for a hexagon: its centre)."""
    area = _signed_area([(p[0], p[1]) for p in polygon])
    cy = cx = 0.0
    n = len(polygon)
    for i in range(n):
        (y1, x1), (y2, x2) = polygon[i], polygon[(i + 1) % n]
        cross = x1 * y2 - x2 * y1
        cy += (y1 + y2) * cross
        cx += (x1 + x2) * cross
    return round(cy / (6 * area), 6), round(cx / (6 * area), 6)


def distance_km(a: Point, b: Point) -> float:
    """Great-circle distance (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _signed_area(points: Sequence[Point]) -> float:
    # shoelace on (x=lon, y=lat): positive counter-clockwise
    n = len(points)
    return sum(points[i][1] * points[(i + 1) % n][0] - points[(i + 1) % n][1] * points[i][0] for i in range(n)) / 2


def _self_intersects(points: Sequence[Point]) -> bool:
    n = len(points)
    edges = [(points[i], points[(i + 1) % n]) for i in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            if j == i + 1 or (i == 0 and j == n - 1):
                continue  # neighbours share a corner
            if _cross(*edges[i], *edges[j]):
                return True
    return False


def _cross(a: Point, b: Point, c: Point, d: Point) -> bool:
    def side(p: Point, q: Point, r: Point) -> float:
        return (q[1] - p[1]) * (r[0] - p[0]) - (q[0] - p[0]) * (r[1] - p[1])

    return (side(a, b, c) * side(a, b, d) < 0) and (side(c, d, a) * side(c, d, b) < 0)
