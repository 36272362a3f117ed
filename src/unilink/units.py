"""Units at the edges: bandwidth, distance and time.

Inside unilink bandwidth is always an ``int`` number of bit/s, lengths are km (float) and latency is
milliseconds (float). Strings such as "10G", "500M", "2.5Gbit/s" or "100000000" are parsed here and
only here; `format_bandwidth` prints them back.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

from unilink.errors import ValidationError

# Decimal SI prefixes, as operators use them for line rates (1G = 10^9 bit/s, never 2^30).
_PREFIX = {"": 1, "k": 10**3, "K": 10**3, "m": 10**6, "M": 10**6, "g": 10**9, "G": 10**9,
           "t": 10**12, "T": 10**12}
_BANDWIDTH_RE = re.compile(
    r"^\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<prefix>[kKmMgGtT]?)\s*(?P<unit>bit/s|bps|b/s|bit|b)?\s*$"
)
BANDWIDTH_ACCEPTED = "an integer bit/s or a number with k/M/G/T, e.g. 100000000, 500M, 10G, 2.5Gbit/s"

# Light in fibre travels at about c/1.47 ≈ 204,000 km/s, i.e. 4.9 µs per km; the industry rounds
# this to 5 µs/km, and so do we so that users can predict every latency figure by hand.
FIBRE_MS_PER_KM = 0.005
EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)


def parse_bandwidth(value: str | int | float, *, field: str = "bandwidth") -> int:
    """Parse a bandwidth into an integer number of bit/s.

    >>> parse_bandwidth("2.5Gbit/s")
    2500000000
    >>> parse_bandwidth("500M")
    500000000
    """
    if isinstance(value, bool):
        raise ValidationError("is not a bandwidth", field=field, value=value, accepted=BANDWIDTH_ACCEPTED)
    if isinstance(value, int):
        bits = value
    elif isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise ValidationError(f"{value!r} is not a whole number of bit/s", field=field, value=value,
                                  accepted=BANDWIDTH_ACCEPTED)
        bits = int(value)
    elif isinstance(value, str):
        match = _BANDWIDTH_RE.match(value)
        if not match:
            raise ValidationError(f"{value!r} is not a bandwidth", field=field, value=value,
                                  accepted=BANDWIDTH_ACCEPTED)
        try:
            exact = Decimal(match["num"]) * _PREFIX[match["prefix"]]
        except InvalidOperation as exc:  # pragma: no cover - the regex already guards this
            raise ValidationError(f"{value!r} is not a bandwidth", field=field, value=value,
                                  accepted=BANDWIDTH_ACCEPTED) from exc
        if exact != exact.to_integral_value():
            raise ValidationError(f"{value!r} is not a whole number of bit/s", field=field, value=value,
                                  accepted=BANDWIDTH_ACCEPTED)
        bits = int(exact)
    else:
        raise ValidationError(f"{value!r} is not a bandwidth", field=field, value=value,
                              accepted=BANDWIDTH_ACCEPTED)
    if bits < 0:
        raise ValidationError(f"{value!r} is negative", field=field, value=value, accepted=BANDWIDTH_ACCEPTED)
    return bits


def parse_positive_bandwidth(value: str | int | float, *, field: str = "bandwidth") -> int:
    """Like `parse_bandwidth`, but zero is refused too (a rate of a service, a link capacity)."""
    bits = parse_bandwidth(value, field=field)
    if bits == 0:
        raise ValidationError("must be greater than zero", field=field, value=value,
                              accepted=BANDWIDTH_ACCEPTED)
    return bits


def format_bandwidth(bits_per_second: int) -> str:
    """Print a bandwidth with the largest prefix that keeps it readable: 2500000000 → '2.5G'."""
    for suffix, factor in (("T", 10**12), ("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if bits_per_second >= factor:
            text = f"{Decimal(bits_per_second) / factor:f}"
            if "." in text:  # strip trailing zeros of the fraction only: 250T stays 250T
                text = text.rstrip("0").rstrip(".")
            return f"{text}{suffix}"
    return str(bits_per_second)


def describe_bandwidth(bits_per_second: int) -> str:
    """A bandwidth in words for people: 900000000 → '900 Mbit/s', 2500000000 → '2.5 Gbit/s'."""
    text = format_bandwidth(bits_per_second)
    if text[-1:].isalpha():
        return f"{text[:-1]} {text[-1]}bit/s"
    return f"{text} bit/s"


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance between two points (haversine), in km."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def latency_ms_for_length(length_km: float) -> float:
    """One-way propagation latency of a fibre of `length_km`: 0.005 ms per km."""
    return round(length_km * FIBRE_MS_PER_KM, 6)


def parse_duration_ms(value: str | int | float, *, field: str = "latency") -> float:
    """Parse a latency: a number of ms, or '12ms', '1.5 ms', '300us', '0.2s'."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value < 0 or not math.isfinite(value):
            raise ValidationError("must be a non-negative number of ms", field=field, value=value)
        return float(value)
    match = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(ms|us|µs|s)?\s*$", str(value))
    if not match:
        raise ValidationError(f"{value!r} is not a duration", field=field, value=value,
                              accepted="a number of ms, or e.g. 12ms, 300us, 0.2s")
    number = float(match[1])
    return {"ms": number, None: number, "us": number / 1000, "µs": number / 1000, "s": number * 1000}[match[2]]
