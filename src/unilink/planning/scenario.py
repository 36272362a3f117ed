"""Traffic scenarios: who is connected where, how much they use at the busy hour, how fast it grows.

A scenario is a YAML document (see docs/planning.md and `scenarios/gigabit-homes.yaml`):

    name: gigabit-homes
    growth_per_year: 0.2            # +20 % traffic per year
    target_utilization: 0.8         # upgrade above this; headroom counts the years until it
    routing: ecmp                   # ecmp | optimal
    access_mix:                     # shares sum to 1; busy-hour average per subscriber of each class
      - {technology: FTTH, rate: 1G, share: 1.0, busy_hour: 4M}
    subscribers:
      by_pop: {Paris: 120000}       # subscribers attached at a PoP
      by_region: {DE: 200000}       # spread evenly over the region's PoPs (region = ISO country code)
    traffic:
      model: gravity                # or: file (demands read from an SNDlib / REPETITA file)
      upstream_ratio: 0.15          # upstream traffic as a share of downstream
      sources: {by_pop: {Frankfurt: 3}}  # where the content comes from (weights); default: subscribers
      # or sources: {internet_interconnects: true} — weights = transit + peering capacity at each PoP
      file: demands.txt             # with model: file — path relative to the scenario
      format: sndlib                # sndlib | repetita
    enterprise:
      include_ledger: true          # add the committed rates of the services in the capacity ledger
      demands: [{src: Paris, dst: Milan, bps: 10G}]

Gravity model (downstream): PoP j's subscribers pull T_j = subscribers_j × busy-hour average, and
T_j is drawn from every other PoP i in proportion to i's source weight m_i:
    D[i, j] = T_j · m_i / Σ_{k≠j} m_k,  and upstream D[j, i] += upstream_ratio · D[i, j].

Parsing is pure (`parse_scenario` on a dict); `load_scenario` reads the file. Every bad value
raises `ValidationError` naming the field, the value and what is accepted.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from unilink.errors import ParseError, ValidationError
from unilink.inventory.model import Demand, InterconnectKind, Network, RouterRole
from unilink.units import format_bandwidth, parse_bandwidth, parse_positive_bandwidth

ROUTINGS = ("ecmp", "optimal")
TRAFFIC_MODELS = ("gravity", "file", "measured")
DEMAND_FORMATS = ("sndlib", "repetita")
_TOP_KEYS = {"name", "description", "growth_per_year", "target_utilization", "routing", "access_mix",
             "subscribers", "traffic", "enterprise"}
_TRAFFIC_KEYS = {"model", "upstream_ratio", "sources", "file", "format"}
_ENTERPRISE_KEYS = {"include_ledger", "demands"}


@dataclass(frozen=True, slots=True)
class AccessClass:
    """Subscribers on one kind of access: its line rate and their busy-hour average."""

    technology: str
    rate_bps: int
    share: float
    busy_hour_bps: int


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str = ""
    growth_per_year: float = 0.0
    target_utilization: float = 0.8
    routing: str = "ecmp"
    access_mix: tuple[AccessClass, ...] = ()
    subscribers_by_pop: Mapping[str, int] = field(default_factory=dict)
    subscribers_by_region: Mapping[str, int] = field(default_factory=dict)
    traffic_model: str = "gravity"
    upstream_ratio: float = 0.0
    source_weights: Mapping[str, float] = field(default_factory=dict)
    sources_from_interconnects: bool = False
    demands_file: Path | None = None
    demands_format: str | None = None
    include_ledger: bool = False
    enterprise_demands: tuple[Demand, ...] = ()

    @property
    def busy_hour_per_subscriber_bps(self) -> float:
        """The mix's average busy-hour traffic of one subscriber, bit/s."""
        return sum(c.share * c.busy_hour_bps for c in self.access_mix)

    @property
    def access_rate_per_subscriber_bps(self) -> float:
        """The mix's average line rate — what every subscriber *could* pull at once."""
        return sum(c.share * c.rate_bps for c in self.access_mix)


# -- parsing ---------------------------------------------------------------------------------------

def load_scenario(path: Path | str) -> Scenario:
    """Read and validate a scenario file; a YAML syntax error names the file and line."""
    path = Path(path)
    if not path.is_file():
        raise ParseError("no such file", path=str(path), field="scenario", value=str(path),
                         accepted="the path of a readable scenario YAML file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ParseError(f"not valid YAML: {getattr(exc, 'problem', exc)}", path=str(path),
                         line=mark.line + 1 if mark else None) from None
    except UnicodeDecodeError:
        raise ParseError("not UTF-8 text", path=str(path)) from None
    try:
        return parse_scenario(data, base_dir=path.parent)
    except ValidationError as exc:
        raise ParseError(str(exc), path=str(path), field=exc.field, value=exc.value) from None


def parse_scenario(data: Any, *, base_dir: Path | None = None) -> Scenario:
    """Validate a scenario document (already loaded from YAML/JSON) into a `Scenario`."""
    if not isinstance(data, dict):
        raise ValidationError("a scenario is a mapping", field="scenario", value=type(data).__name__,
                              accepted="a YAML mapping with name, access_mix, subscribers, traffic, ...")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ValidationError("unknown key", field=unknown[0], value=unknown[0], accepted=", ".join(sorted(_TOP_KEYS)))
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValidationError("a scenario needs a name", field="name", value=name, accepted="a non-empty string")
    traffic = _mapping(data.get("traffic", {}), "traffic")
    _refuse_unknown(traffic, _TRAFFIC_KEYS, "traffic")
    model = traffic.get("model", "gravity")
    if model not in TRAFFIC_MODELS:
        raise ValidationError("unknown traffic model", field="traffic.model", value=model,
                              accepted=" | ".join(TRAFFIC_MODELS))
    subscribers = _mapping(data.get("subscribers", {}), "subscribers")
    mix = _access_mix(data.get("access_mix"), required=model == "gravity")
    by_pop = _counts(subscribers.get("by_pop", {}), "subscribers.by_pop")
    by_region = _counts(subscribers.get("by_region", {}), "subscribers.by_region")
    unknown_sub = sorted(set(subscribers) - {"by_pop", "by_region"})
    if unknown_sub:
        raise ValidationError("unknown key", field=f"subscribers.{unknown_sub[0]}", value=unknown_sub[0],
                              accepted="by_pop, by_region")
    if model == "gravity" and not by_pop and not by_region:
        raise ValidationError("a gravity scenario needs subscribers", field="subscribers", value=None,
                              accepted="subscribers.by_pop and/or subscribers.by_region with counts")
    sources = _mapping(traffic.get("sources", {}), "traffic.sources")
    _refuse_unknown(sources, {"by_pop", "internet_interconnects"}, "traffic.sources")
    weights = {str(k): _number(v, f"traffic.sources.by_pop.{k}", minimum=0.0)
               for k, v in _mapping(sources.get("by_pop", {}), "traffic.sources.by_pop").items()}
    from_interconnects = sources.get("internet_interconnects", False)
    if not isinstance(from_interconnects, bool):
        raise ValidationError("must be true or false", field="traffic.sources.internet_interconnects",
                              value=from_interconnects)
    if from_interconnects and weights:
        raise ValidationError("give either by_pop weights or internet_interconnects, not both",
                              field="traffic.sources", value="by_pop + internet_interconnects",
                              accepted="one of the two")
    demands_file, demands_format = None, None
    if model == "file":
        raw_file = traffic.get("file")
        if not isinstance(raw_file, str) or not raw_file:
            raise ValidationError("traffic.model file needs a file", field="traffic.file", value=raw_file,
                                  accepted="a path to an SNDlib or REPETITA demands file")
        demands_file = Path(raw_file) if base_dir is None else (base_dir / raw_file)
        demands_format = traffic.get("format")
        if demands_format is not None and demands_format not in DEMAND_FORMATS:
            raise ValidationError("unknown demands format", field="traffic.format", value=demands_format,
                                  accepted=" | ".join(DEMAND_FORMATS))
    enterprise = _mapping(data.get("enterprise", {}), "enterprise")
    _refuse_unknown(enterprise, _ENTERPRISE_KEYS, "enterprise")
    include_ledger = enterprise.get("include_ledger", False)
    if not isinstance(include_ledger, bool):
        raise ValidationError("must be true or false", field="enterprise.include_ledger", value=include_ledger)
    routing = data.get("routing", "ecmp")
    if routing not in ROUTINGS:
        raise ValidationError("unknown routing", field="routing", value=routing, accepted=" | ".join(ROUTINGS))
    description = data.get("description", "")
    return Scenario(
        name=name.strip(),
        description=description if isinstance(description, str) else str(description),
        growth_per_year=_number(data.get("growth_per_year", 0.0), "growth_per_year", minimum=-0.99, maximum=10.0),
        target_utilization=_number(data.get("target_utilization", 0.8), "target_utilization",
                                   minimum=0.01, maximum=1.0),
        routing=routing,
        access_mix=mix,
        subscribers_by_pop=by_pop,
        subscribers_by_region=by_region,
        traffic_model=model,
        upstream_ratio=_number(traffic.get("upstream_ratio", 0.0), "traffic.upstream_ratio", minimum=0.0, maximum=10.0),
        source_weights=weights,
        sources_from_interconnects=from_interconnects,
        demands_file=demands_file,
        demands_format=demands_format,
        include_ledger=include_ledger,
        enterprise_demands=_demands(enterprise.get("demands", []), "enterprise.demands"),
    )


def _refuse_unknown(mapping: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(mapping) - known)
    if unknown:
        raise ValidationError("unknown key", field=f"{where}.{unknown[0]}", value=unknown[0],
                              accepted=", ".join(sorted(known)))


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError("must be a mapping", field=where, value=type(value).__name__, accepted="key: value pairs")
    return value


def _number(value: Any, where: str, *, minimum: float, maximum: float = math.inf) -> float:
    accepted = f"a number from {minimum} to {maximum}"
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError("not a number", field=where, value=value, accepted=accepted)
    if not minimum <= value <= maximum:
        raise ValidationError("out of range", field=where, value=value, accepted=accepted)
    return float(value)


def _counts(value: Any, where: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for key, count in _mapping(value, where).items():
        if not isinstance(key, str):  # YAML 1.1 turns a bare NO (Norway) into false, ON into true
            raise ValidationError("a name must be text", field=f"{where}.{key}", value=key,
                                  accepted="a PoP name or country code, quoted when YAML could misread it (\"NO\")")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValidationError("not a subscriber count", field=f"{where}.{key}", value=count,
                                  accepted="a whole number ≥ 0")
        counts[str(key)] = count
    return counts


def _access_mix(value: Any, *, required: bool) -> tuple[AccessClass, ...]:
    if value is None and not required:
        return ()
    if not isinstance(value, list) or not value:
        raise ValidationError("needs at least one access class", field="access_mix", value=value,
                              accepted="a list of {technology, rate, share, busy_hour}")
    classes = []
    for i, item in enumerate(value):
        where = f"access_mix[{i}]"
        item = _mapping(item, where)
        rate = parse_positive_bandwidth(item.get("rate"), field=f"{where}.rate")
        busy = parse_bandwidth(item.get("busy_hour"), field=f"{where}.busy_hour")
        if busy > rate:
            raise ValidationError("busy-hour average exceeds the line rate", field=f"{where}.busy_hour",
                                  value=item.get("busy_hour"), accepted=f"at most the rate {format_bandwidth(rate)}")
        share = _number(item.get("share"), f"{where}.share", minimum=0.0, maximum=1.0)
        classes.append(AccessClass(technology=str(item.get("technology", f"class {i}")), rate_bps=rate,
                                   share=share, busy_hour_bps=busy))
    total = sum(c.share for c in classes)
    if abs(total - 1.0) > 1e-6:
        raise ValidationError("shares must add up to 1", field="access_mix", value=round(total, 6),
                              accepted="shares summing to 1.0")
    return tuple(classes)


def _demands(value: Any, where: str) -> tuple[Demand, ...]:
    if not isinstance(value, list):
        raise ValidationError("must be a list", field=where, value=type(value).__name__,
                              accepted="a list of {src, dst, bps}")
    demands = []
    for i, item in enumerate(value):
        item = _mapping(item, f"{where}[{i}]")
        for key in ("src", "dst"):
            if not isinstance(item.get(key), str):
                raise ValidationError("needs a PoP name", field=f"{where}[{i}].{key}", value=item.get(key),
                                      accepted="the name of a PoP")
        demands.append(Demand(item["src"], item["dst"], parse_bandwidth(item.get("bps"), field=f"{where}[{i}].bps")))
    return tuple(demands)


# -- traffic ---------------------------------------------------------------------------------------

def subscribers_per_pop(scenario: Scenario, network: Network) -> np.ndarray:
    """Subscribers at each PoP (in `network.pops` order): by_pop as given, by_region spread evenly.

    A region's subscribers go to its PoPs that have an edge router (where access circuits attach);
    when the network has no routers at all (a bare imported topology), to all its PoPs.
    """
    names = [p.name for p in network.pops]
    index = {name: i for i, name in enumerate(names)}
    counts = np.zeros(len(names))
    for pop, count in scenario.subscribers_by_pop.items():
        if pop not in index:
            raise ValidationError("unknown PoP", field=f"subscribers.by_pop.{pop}", value=pop,
                                  accepted="a PoP of the network, e.g. " + ", ".join(names[:5]))
        counts[index[pop]] += count
    edge_pops = {r.pop for r in network.routers if r.role == RouterRole.EDGE}
    for region, count in scenario.subscribers_by_region.items():
        members = [i for i, p in enumerate(network.pops)
                   if p.country.upper() == region.upper() and (not network.routers or p.name in edge_pops)]
        if not members:
            regions = sorted({p.country for p in network.pops if p.country})
            raise ValidationError("no PoP with an edge router in this region", field=f"subscribers.by_region.{region}",
                                  value=region, accepted="an ISO country code of the network: " + ", ".join(regions))
        counts[members] += count / len(members)
    return counts


def gravity_matrix(scenario: Scenario, network: Network) -> np.ndarray:
    """Busy-hour traffic matrix (bit/s, [src, dst] in `network.pops` order) of the scenario's subscribers."""
    subscribers = subscribers_per_pop(scenario, network)
    pulled = subscribers * scenario.busy_hour_per_subscriber_bps       # downstream into each PoP
    downstream = source_share(scenario, network, subscribers) * pulled[None, :]
    return downstream + scenario.upstream_ratio * downstream.T


def measured_matrix(scenario: Scenario, network: Network, measured: MeasuredBusyHour) -> np.ndarray:
    """The traffic matrix of what the sites measured at the network's busy hour (`traffic.model:
    measured`, or `unilink capacity scenario --from-measured`): each PoP's sites pull their measured
    down rate from the scenario's sources and send their measured up rate back to them, shared as the
    gravity model shares (`source_share`; the sites' own PoPs weigh by their traffic when the scenario
    names no sources)."""
    index = {p.name: i for i, p in enumerate(network.pops)}
    down, up = np.zeros(len(index)), np.zeros(len(index))
    for where, rates, into in (("down", measured.down_bps_by_pop, down), ("up", measured.up_bps_by_pop, up)):
        for pop, bps in rates.items():
            if pop not in index:
                raise ValidationError("a measured site's PoP is not in the network", field=f"measured.{where}",
                                      value=pop, accepted="a PoP of the network")
            into[index[pop]] += bps
    share = source_share(scenario, network, down + up)
    return share * down[None, :] + (share * up[None, :]).T


@dataclass(frozen=True, slots=True)
class MeasuredBusyHour:
    """The sites' measured rates at the network's busy hour, summed per PoP (bit/s)."""

    at: str                                   # the hour, ISO 8601
    down_bps_by_pop: Mapping[str, float]
    up_bps_by_pop: Mapping[str, float]
    sites: int = 0


def source_share(scenario: Scenario, network: Network, default_mass: np.ndarray) -> np.ndarray:
    """share[i, j]: the part of PoP j's traffic that comes from PoP i — the scenario's sources (its
    Internet interconnects, or PoP weights), else `default_mass`; never from j itself."""
    names = [p.name for p in network.pops]
    if scenario.sources_from_interconnects:
        mass = internet_interconnect_weights(network)
    elif scenario.source_weights:
        mass = np.zeros(len(names))
        index = {name: i for i, name in enumerate(names)}
        for pop, weight in scenario.source_weights.items():
            if pop not in index:
                raise ValidationError("unknown PoP", field=f"traffic.sources.by_pop.{pop}", value=pop,
                                      accepted="a PoP of the network")
            mass[index[pop]] = weight
    else:
        mass = default_mass.copy()
    # share[i, j] = m_i / Σ_{k≠j} m_k: the part of j's traffic that comes from i (never from j itself).
    others = mass.sum() - mass                                           # Σ_{k≠j} m_k, per j
    share = np.divide(mass[:, None], others[None, :], out=np.zeros((len(names), len(names))),
                      where=others[None, :] > 0)
    np.fill_diagonal(share, 0.0)
    return share


def internet_interconnect_weights(network: Network) -> np.ndarray:
    """Transit + peering capacity at each PoP: where Internet content enters the backbone."""
    index = {p.name: i for i, p in enumerate(network.pops)}
    weights = np.zeros(len(network.pops))
    for ic in network.interconnects:
        if ic.kind in (InterconnectKind.TRANSIT, InterconnectKind.PEERING) and ic.pop in index:
            weights[index[ic.pop]] += ic.capacity_bps
    if not weights.any():
        raise ValidationError("the network has no transit or peering interconnect", field="traffic.sources",
                              value="internet_interconnects", accepted="sources.by_pop weights instead")
    return weights


def grown(matrix: np.ndarray, growth_per_year: float, years: float) -> np.ndarray:
    """The traffic matrix `years` from now under compound growth."""
    return matrix * (1.0 + growth_per_year) ** years


def add_demands(matrix: np.ndarray, network: Network, demands: Iterable[Demand], *, where: str) -> np.ndarray:
    """Add point-to-point demands (enterprise services, a file) to a matrix; unknown PoPs are refused."""
    index = {p.name: i for i, p in enumerate(network.pops)}
    result = matrix.copy()
    for k, demand in enumerate(demands):
        for end in ("src", "dst"):
            pop = getattr(demand, end)
            if pop not in index:
                raise ValidationError("unknown PoP", field=f"{where}[{k}].{end}", value=pop,
                                      accepted="a PoP of the network")
        if demand.src != demand.dst:
            result[index[demand.src], index[demand.dst]] += demand.bps
    return result


def file_demands(scenario: Scenario) -> tuple[Demand, ...]:
    """The demands of a `model: file` scenario, read with the inventory importers (I/O at the edge)."""
    from unilink.inventory.importers import read_demands

    if scenario.demands_file is None:
        return ()
    return tuple(read_demands(scenario.demands_file, scenario.demands_format))


def scenario_matrix(scenario: Scenario, network: Network, *, extra_demands: Iterable[Demand] = (),
                    measured: MeasuredBusyHour | None = None) -> np.ndarray:
    """The busy-hour traffic matrix of `scenario` on `network` (bit/s, [src, dst] in `network.pops` order)."""
    if scenario.traffic_model == "measured":
        if measured is None:
            raise ValidationError("a measured scenario needs the measured busy hour", field="traffic.model",
                                  value="measured", accepted="unilink capacity scenario (it reads the database)")
        matrix = measured_matrix(scenario, network, measured)
    elif scenario.traffic_model == "gravity":
        matrix = gravity_matrix(scenario, network)
    else:
        matrix = add_demands(np.zeros((len(network.pops), len(network.pops))), network, file_demands(scenario),
                             where="traffic.file demands")
    matrix = add_demands(matrix, network, scenario.enterprise_demands, where="enterprise.demands")
    return add_demands(matrix, network, extra_demands, where="enterprise services")
