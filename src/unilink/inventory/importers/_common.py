"""What every importer shares: names made safe, routers per PoP, country codes, error wrapping.

Importers read files written by others (the Topology Zoo, SNDlib, REPETITA): their labels carry
accents, commas and duplicates. Everything here turns such input into the strict core model
deterministically, so that importing the same file twice gives the same network.
"""

from __future__ import annotations

import gc
import ipaddress
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from unilink.errors import ParseError, ValidationError
from unilink.inventory.model import NAME_RE, Network, Pop, Router, RouterRole, Vendor

T = TypeVar("T")

# Importers create one edge (PE) router per PoP. The vendor rotates in PoP order through this tuple
# so that an imported backbone is multi-vendor and every renderer gets exercised; FRR is in the
# rotation so that the lab can stand in for any PoP.
VENDOR_ROTATION: tuple[Vendor, ...] = (Vendor.JUNOS, Vendor.IOSXR, Vendor.SROS, Vendor.FRR)
LOOPBACK_BASE = ipaddress.IPv4Address("10.255.0.1")  # PoP i gets 10.255.0.1 + i (10.255.0.0/16)
LOOPBACK_LIMIT = 65_534

_UNSAFE = re.compile(r"[^A-Za-z0-9 ._'()/-]+")


def ascii_name(label: str, *, fallback: str) -> str:
    """A label as a valid model name: accents folded ("Zürich" → "Zurich"), other characters → space."""
    folded = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode("ascii")
    cleaned = " ".join(_UNSAFE.sub(" ", folded).split())
    cleaned = cleaned.lstrip(" ._'()/-")[:64].rstrip()
    return cleaned if cleaned and NAME_RE.match(cleaned) else fallback


def unique_names(names: list[str]) -> tuple[list[str], list[str]]:
    """Disambiguate duplicates in order: the first keeps its name, the next become "Name (2)", ...

    Returns the new names and one report line per renamed element.
    """
    taken = set(names)
    counts: dict[str, int] = {}
    result: list[str] = []
    reports: list[str] = []
    for name in names:
        counts[name] = counts.get(name, 0) + 1
        if counts[name] == 1:
            result.append(name)
            continue
        n = counts[name]
        candidate = f"{name[:58]} ({n})"
        while candidate in taken:
            n += 1
            candidate = f"{name[:58]} ({n})"
        taken.add(candidate)
        result.append(candidate)
        reports.append(f"duplicate label {name!r}: occurrence {counts[name]} renamed {candidate!r}")
    return result, reports


def router_slug(pop_name: str) -> str:
    """Host-name style slug of a PoP name: "Saint-Germain-en-Laye" → "saint-germain-en-laye"."""
    slug = re.sub(r"[^a-z0-9]+", "-", pop_name.lower()).strip("-")
    return slug[:55] or "pop"


def routers_for_pops(pops: list[Pop], *, path: str, start: int = 0, taken: set[str] | None = None) -> list[Router]:
    """One edge router per PoP, named "<slug>-pe1", vendor by rotation, loopback 10.255.x.y in PoP order.

    `start` is the index of the first PoP when these PoPs extend a network that already has `start`
    generated routers (their loopbacks and names in `taken` are then left alone).
    """
    if start + len(pops) > LOOPBACK_LIMIT:
        raise ParseError(f"{start + len(pops)} PoPs exceed the {LOOPBACK_LIMIT} loopbacks of 10.255.0.0/16",
                         path=path)
    routers: list[Router] = []
    used: set[str] = set(taken or ())
    for index, pop in enumerate(pops, start=start):
        base = f"{router_slug(pop.name)}-pe1"
        name, n = base, 1
        while name in used:
            n += 1
            name = f"{router_slug(pop.name)}-{n}-pe1"
        used.add(name)
        routers.append(Router(name=name, pop=pop.name, role=RouterRole.EDGE,
                              vendor=VENDOR_ROTATION[index % len(VENDOR_ROTATION)],
                              loopback=str(LOOPBACK_BASE + index)))
    return routers


def at_line(path: str, line: int | None, build: Callable[[], T]) -> T:
    """Run a model constructor; turn its ValidationError into a ParseError naming file and line."""
    try:
        return build()
    except ParseError:
        raise
    except ValidationError as exc:
        raise ParseError(str(exc), path=path, line=line, field=exc.field, value=exc.value,
                         accepted=exc.accepted) from exc


_BRACKET = re.compile(r"^(\w+)\[(.*)\]")


def validate_network(network: Network, path: str, lines: dict[tuple[str, str], int]) -> None:
    """`Network.validate()`, with the line of the element at fault when we know it.

    `lines` maps (kind, name) — kind one of pop, router, link, interconnect — to a source line.
    """
    try:
        network.validate()
    except ValidationError as exc:
        line = None
        match = _BRACKET.match(exc.field or "")
        if match:
            line = lines.get((match[1], match[2]))
        elif exc.field and exc.field.endswith(".name"):
            line = lines.get((exc.field.split(".")[0], str(exc.value)))
        raise ParseError(str(exc), path=path, line=line, field=exc.field, value=exc.value,
                         accepted=exc.accepted) from exc


def link_name(a: str, b: str, taken: set[str]) -> str:
    """Links are named after their ends, "Paris--London"; a repeated pair gets " #2", " #3"."""
    name, n = f"{a}--{b}", 1
    while name in taken:
        n += 1
        name = f"{a}--{b} #{n}"
    taken.add(name)
    return name


def first(items: Iterable[T]) -> T | None:
    return next(iter(items), None)


# English country names as the Topology Zoo writes them → ISO 3166-1 alpha-2. Unknown → "".
COUNTRY_CODES: dict[str, str] = {
    "albania": "AL", "andorra": "AD", "austria": "AT", "belarus": "BY", "belgium": "BE",
    "bosnia and herzegovina": "BA", "bulgaria": "BG", "croatia": "HR", "cyprus": "CY",
    "czech republic": "CZ", "czechia": "CZ", "denmark": "DK", "estonia": "EE", "finland": "FI",
    "france": "FR", "germany": "DE", "gibraltar": "GI", "greece": "GR", "hungary": "HU",
    "iceland": "IS", "ireland": "IE", "italy": "IT", "kosovo": "XK", "latvia": "LV",
    "liechtenstein": "LI", "lithuania": "LT", "luxembourg": "LU", "macedonia": "MK",
    "north macedonia": "MK", "malta": "MT", "moldova": "MD", "monaco": "MC", "montenegro": "ME",
    "netherlands": "NL", "the netherlands": "NL", "norway": "NO", "poland": "PL", "portugal": "PT",
    "romania": "RO", "russia": "RU", "russian federation": "RU", "san marino": "SM", "serbia": "RS",
    "slovakia": "SK", "slovenia": "SI", "spain": "ES", "sweden": "SE", "switzerland": "CH",
    "turkey": "TR", "ukraine": "UA", "united kingdom": "GB", "uk": "GB", "england": "GB",
    "scotland": "GB", "wales": "GB", "northern ireland": "GB", "isle of man": "IM", "jersey": "JE",
    "guernsey": "GG", "faroe islands": "FO", "svalbard": "SJ", "united states": "US", "usa": "US",
    "united states of america": "US", "canada": "CA", "united arab emirates": "AE", "israel": "IL",
    "egypt": "EG", "morocco": "MA", "tunisia": "TN", "algeria": "DZ", "south africa": "ZA",
    "japan": "JP", "china": "CN", "hong kong": "HK", "singapore": "SG", "india": "IN",
    "mexico": "MX", "brazil": "BR", "georgia": "GE", "armenia": "AM", "azerbaijan": "AZ",
    "kazakhstan": "KZ", "lebanon": "LB", "saudi arabia": "SA", "qatar": "QA", "kuwait": "KW",
}


def country_code(name: str | None) -> str:
    if not name:
        return ""
    text = name.strip()
    if len(text) == 2 and text.isalpha():
        return text.upper()
    return COUNTRY_CODES.get(text.lower(), "")


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a file's rows are turned into values.

    Tens of thousands of small lists and tuples (one per line) cannot form reference cycles, but
    allocating them triggers collections that re-scan every one of them: for a full-mesh demand
    matrix that was over half of the import time. Reference counting still frees everything.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
