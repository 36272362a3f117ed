"""A tenant's desired state: sites, accesses, services, boosts and schedules, as one document.

Parsing (pydantic, `extra="forbid"`) checks shapes and units; `check_intent` checks what needs the
whole document and the backbone: references, uniqueness, ceilings. Both raise
`unilink.errors.ValidationError` whose `field` is a path into the document (`sites[3].access.down`).
Rates are int bit/s once parsed; YAML may say "100M".
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any, Literal

import pydantic
import yaml
from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from unilink.catalog.access import TECHNOLOGIES, Technology, check_access_rates, parse_technology
from unilink.catalog.services import ServiceKind, VpnTopology
from unilink.errors import UnilinkError, ValidationError, did_you_mean, yaml_reason
from unilink.inventory.model import NAME_ACCEPTED, NAME_RE, Network, RouterRole
from unilink.units import BANDWIDTH_ACCEPTED, format_bandwidth, parse_positive_bandwidth


def _rate(value: Any) -> int:
    try:
        return parse_positive_bandwidth(value)
    except UnilinkError as exc:
        raise ValueError(f"{exc.message} (accepted: {BANDWIDTH_ACCEPTED}, greater than zero)") from None


def _name(value: Any) -> str:
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise ValueError(f"not a valid name (accepted: {NAME_ACCEPTED})")
    return value


def _technology(value: Any) -> Technology:
    try:
        return parse_technology(value)
    except UnilinkError as exc:
        raise ValueError(f"unknown access technology (accepted: {exc.accepted})") from None


Rate = Annotated[int, BeforeValidator(_rate)]
Name = Annotated[str, BeforeValidator(_name)]
Tech = Annotated[Technology, BeforeValidator(_technology), PlainSerializer(lambda t: t.value, return_type=str)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AccessSpec(_Strict):
    technology: Tech
    provider: Name = "on-net"
    port: Rate
    down: Rate
    up: Rate


class SiteSpec(_Strict):
    name: Name
    pop: Name
    router: Name | None = None  # the PE router; the first edge router of the PoP when omitted
    access: AccessSpec
    # A second line that carries the site's IP services only when `access` is down (4G/5G, or a
    # wired line of another technology); it lands on the same PE with a lower route preference.
    backup: AccessSpec | None = None


class InternetService(_Strict):
    kind: Literal["internet"]
    name: Name
    site: Name
    rate: Rate
    up: Rate | None = None  # defaults to rate × access up / access down
    billing: Literal["burstable"] | None = None  # burstable: `rate` is the commit (docs/invoices.md)


class VpnMember(_Strict):
    site: Name
    rate: Rate
    up: Rate | None = None
    role: Literal["hub", "spoke", "any"] = "any"


class IpVpnService(_Strict):
    kind: Literal["ipvpn"]
    name: Name
    topology: VpnTopology = VpnTopology.ANY_TO_ANY
    members: list[VpnMember]


class ELineService(_Strict):
    kind: Literal["eline"]
    name: Name
    a: Name
    b: Name
    rate: Rate
    protected: bool = False


Service = Annotated[InternetService | IpVpnService | ELineService, Field(discriminator="kind")]


class Boost(_Strict):
    """A temporary rate with an automatic return to the base rate at `until`."""

    service: Name
    site: Name | None = None  # which member of a VPN; implied for internet and eline
    rate: Rate
    until: AwareDatetime


# HH:MM-HH:MM, UTC; the end may be 24:00 (midnight at the end of the day), and before the start (a window
# over midnight, 22:00-02:00). Start and end may not be equal: 10:00-10:00 could mean nothing or all day.
_WINDOW_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-(?:([01]\d|2[0-3]):([0-5]\d)|(24):(00))$")
WINDOW_ACCEPTED = ("HH:MM-HH:MM (UTC) from 00:00 to 24:00, start and end different, e.g. 01:00-05:00, "
                   "22:00-02:00 (over midnight), 00:00-24:00 (the whole day)")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EVERY_ACCEPTED = "daily, weekdays, or days such as mon,wed,fri (each day once)"
# How far ahead a boost may end. A boost is a temporary rate bought by the hour (prices.py): beyond a
# quarter it is a change of the service's rate, planned as such (and priced monthly).
MAX_BOOST_AHEAD = timedelta(days=90)


class Schedule(_Strict):
    """A rate change at a time (`at`, optional `until`), or recurring (`every` + `window`, UTC)."""

    name: Name
    service: Name
    site: Name | None = None
    rate: Rate
    at: AwareDatetime | None = None
    until: AwareDatetime | None = None
    every: str | None = None   # daily | weekdays | mon,wed,fri
    window: str | None = None  # "01:00-05:00" (UTC)

    @pydantic.field_validator("every")
    @classmethod
    def _every(cls, value: str | None) -> str | None:
        if value is not None:
            weekdays(value)  # raises, naming the field
        return value

    @pydantic.field_validator("window")
    @classmethod
    def _window(cls, value: str | None) -> str | None:
        if value is None:
            return value
        match = _WINDOW_RE.match(value)
        if match is None:
            raise ValueError(f"not a time window (accepted: {WINDOW_ACCEPTED})")
        if match[5] is None and (match[1], match[2]) == (match[3], match[4]):
            raise ValueError(f"the window starts and ends at the same time (accepted: {WINDOW_ACCEPTED})")
        return value

    @pydantic.model_validator(mode="after")
    def _one_kind_of_time(self) -> Schedule:
        if (self.at is None) == (self.every is None):
            raise ValueError("give either `at` (one-off) or `every` + `window` (recurring)")
        if self.every is not None and self.window is None:
            raise ValueError(f"`every` needs a `window` (accepted: {WINDOW_ACCEPTED})")
        if self.at is not None and self.until is not None and self.until <= self.at:
            raise ValueError("`until` must be after `at`")
        return self

    def window_times(self) -> tuple[time, time | None]:
        match = _WINDOW_RE.match(self.window or "")
        assert match, "checked by the validator"
        start = time(int(match[1]), int(match[2]))
        end = None if match[5] == "24" else time(int(match[3]), int(match[4]))
        return start, end


def weekdays(every: str) -> frozenset[int]:
    text = every.strip().lower()
    if text == "daily":
        return frozenset(range(7))
    if text == "weekdays":
        return frozenset(range(5))
    days = [d.strip() for d in text.split(",")]
    if not days or any(d not in WEEKDAYS for d in days):
        raise ValueError(f"not a recurrence (accepted: {EVERY_ACCEPTED})")
    if len(set(days)) != len(days):
        again = next(d for i, d in enumerate(days) if d in days[:i])
        raise ValueError(f"{again} is named twice (accepted: {EVERY_ACCEPTED})")
    return frozenset(WEEKDAYS.index(d) for d in days)


# A member-facing port of a cooperative's access router (the device layer re-checks it as it renders).
_PORT_RE = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9/:._-]{0,47}\Z")
_PORT_BLOCK_RE = re.compile(r"\A(\d{1,5})-(\d{1,5})\Z")


def _port(value: Any) -> str:
    if not isinstance(value, str) or not _PORT_RE.match(value):
        raise ValueError("not a port name (accepted: 1-48 characters: ASCII letters, digits and / : . _ -)")
    return value


class SubscriberSpec(_Strict):
    """A cooperative member's line on the coop's access router, shaped at the member's plan.

    Written by `usecases.memberships` from the subscriptions (docs/members.md), never by hand: the
    rates are those in force (the trickle rate while suspended). `ipv4` is the member's address (a
    public one, or the shared CGNAT address with its `ipv4_ports` block); `ipv6` the delegated prefix.
    """

    line: Name
    router: Name
    port: Annotated[str, BeforeValidator(_port)]
    down: Rate
    up: Rate
    ipv4: str | None = None
    ipv4_ports: str | None = None
    ipv6: str | None = None
    suspended: bool = False

    @pydantic.field_validator("ipv4")
    @classmethod
    def _ipv4(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ipaddress.IPv4Address(value)
            except ValueError:
                raise ValueError("not an IPv4 address (accepted: e.g. 100.64.0.2)") from None
        return value

    @pydantic.field_validator("ipv6")
    @classmethod
    def _ipv6(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ipaddress.IPv6Network(value, strict=True)
            except ValueError:
                raise ValueError("not an IPv6 prefix (accepted: e.g. 2001:db8:10:100::/56)") from None
        return value

    @pydantic.field_validator("ipv4_ports")
    @classmethod
    def _ports(cls, value: str | None) -> str | None:
        match = _PORT_BLOCK_RE.match(value) if value is not None else None
        if value is not None and (match is None or not 0 < int(match[1]) <= int(match[2]) <= 65535):
            raise ValueError("not a port block (accepted: FIRST-LAST within 1-65535, e.g. 1024-2047)")
        return value


class Intent(_Strict):
    """The whole desired state of one tenant."""

    tenant: Name | None = None
    sites: list[SiteSpec] = Field(default_factory=list)
    services: list[Service] = Field(default_factory=list)
    boosts: list[Boost] = Field(default_factory=list)
    schedules: list[Schedule] = Field(default_factory=list)
    # a cooperative's members on its access router; None (left out of the document) for any other tenant
    subscribers: list[SubscriberSpec] | None = None

    def site(self, name: str) -> SiteSpec:
        return next(s for s in self.sites if s.name == name)

    def service(self, name: str) -> InternetService | IpVpnService | ELineService:
        return next(s for s in self.services if s.name == name)

    def to_document(self) -> dict[str, Any]:
        """The normalised JSON form (rates as int bit/s) stored as an intent version."""
        return self.model_dump(mode="json", exclude_none=True)

    def to_yaml(self) -> str:
        """A human form: rates printed back as 100M, 1G."""
        return yaml.safe_dump(_humanise(self.to_document()), sort_keys=False, allow_unicode=True)


_RATE_KEYS = {"port", "down", "up", "rate"}


def _humanise(node: Any, key: str | None = None) -> Any:
    if isinstance(node, dict):
        return {k: _humanise(v, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_humanise(v) for v in node]
    if key in _RATE_KEYS and isinstance(node, int):
        return format_bandwidth(node)
    return node


# -- parsing -------------------------------------------------------------------------------------

_KIND_TAGS = {k.value for k in ServiceKind}


def _path(loc: tuple[int | str, ...]) -> str:
    text = ""
    previous_was_index = False
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
            previous_was_index = True
            continue
        if previous_was_index and part in _KIND_TAGS:  # pydantic's discriminator tag, not a field
            previous_was_index = False
            continue
        text += f".{part}" if text else part
        previous_was_index = False
    return text or "document"


def parse_intent(data: Any, *, source: str = "intent") -> Intent:
    """Parse a document (a dict from YAML/JSON) into an `Intent`; errors name the field path."""
    if not isinstance(data, dict):
        raise ValidationError(f"{source}: the document must be a mapping", field="document",
                              value=type(data).__name__, accepted="a mapping with sites, services, boosts, schedules")
    try:
        return Intent.model_validate(data)
    except pydantic.ValidationError as exc:
        errors = exc.errors(include_url=False)
        # an unknown field first: `rat: 100M` is a typo of `rate`, not a missing rate
        first = min(errors, key=lambda e: e["type"] != "extra_forbidden")
        field = _path(tuple(first["loc"]))
        message = str(first["msg"]).removeprefix("Value error, ")
        accepted = None
        value = first.get("input")
        if first["type"] == "extra_forbidden":
            message = "unknown field" + _closest_field(first, errors)
            value = str(first["loc"][-1])
        elif first["type"] == "union_tag_invalid" or first["type"] == "union_tag_not_found":
            accepted = ", ".join(k.value for k in ServiceKind)
            message = "unknown or missing service kind"
            field = f"{field}.kind"
            value = first["input"].get("kind") if isinstance(first["input"], dict) else None
        elif "(accepted: " in message:
            message, _, rest = message.partition(" (accepted: ")
            accepted = rest.removesuffix(")")
        if isinstance(value, dict | list):
            value = None
        raise ValidationError(message, field=field, value=value, accepted=accepted) from None


def _closest_field(unknown: Any, errors: list[Any]) -> str:
    """" (did you mean 'rate'?)": a field missing beside the unknown one first, else any field of the
    intent's models."""
    name, parent = str(unknown["loc"][-1]), tuple(unknown["loc"][:-1])
    missing = [str(e["loc"][-1]) for e in errors if e["type"] == "missing" and tuple(e["loc"][:-1]) == parent]
    return did_you_mean(name, missing) or did_you_mean(name, _FIELD_NAMES)


def _field_names(*models: type[BaseModel]) -> frozenset[str]:
    return frozenset(name for model in models for name in model.model_fields)  # inherited ones included


_FIELD_NAMES = _field_names(AccessSpec, SiteSpec, InternetService, VpnMember, IpVpnService, ELineService, Boost,
                             Schedule, Intent)


def load_intent_text(text: str, *, source: str = "intent") -> Intent:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(f"{source}: is not valid YAML/JSON: {yaml_reason(exc)}", field="document",
                              accepted="a YAML or JSON document") from None
    return parse_intent(data, source=source)


# -- whole-document checks ---------------------------------------------------------------------


def service_sites(service: InternetService | IpVpnService | ELineService) -> list[str]:
    if isinstance(service, InternetService):
        return [service.site]
    if isinstance(service, IpVpnService):
        return [m.site for m in service.members]
    return [service.a, service.b]


def _up(rate: int, up: int | None, site: SiteSpec) -> int:
    """Upstream rate: as given, else the access's own down/up proportion (VDSL2 100M/40M: 50M → 20M)."""
    if up is not None:
        return up
    return max(1, rate * site.access.up // site.access.down)


def site_usages(intent: Intent) -> dict[tuple[str, str], tuple[int, int]]:
    """(service, site) → (down, up) committed rates, for every service at every site."""
    sites = {s.name: s for s in intent.sites}
    usages: dict[tuple[str, str], tuple[int, int]] = {}
    for svc in intent.services:
        if isinstance(svc, InternetService):
            usages[(svc.name, svc.site)] = (svc.rate, _up(svc.rate, svc.up, sites[svc.site]))
        elif isinstance(svc, IpVpnService):
            for m in svc.members:
                usages[(svc.name, m.site)] = (m.rate, _up(m.rate, m.up, sites[m.site]))
        else:
            usages[(svc.name, svc.a)] = (svc.rate, svc.rate)
            usages[(svc.name, svc.b)] = (svc.rate, svc.rate)
    return usages


def edge_router_for(network: Network, pop: str) -> str | None:
    edges = sorted(r.name for r in network.routers if r.pop == pop and r.role is RouterRole.EDGE)
    return edges[0] if edges else None


def check_intent(intent: Intent, network: Network) -> None:
    """Check references, uniqueness and ceilings; raise the first problem as a ValidationError."""
    site_index = _check_sites(intent, network)
    _check_services(intent, site_index)
    _check_rates_fit_accesses(intent, site_index)
    _check_temporaries(intent, site_index)
    _check_subscribers(intent, network)


def _check_subscribers(intent: Intent, network: Network) -> None:
    """Each line once, each member-facing port once, on an edge router of the backbone."""
    subscribers = intent.subscribers or []
    dup = _duplicates([s.line for s in subscribers])
    if dup:
        raise ValidationError("duplicate line", field=f"subscribers[{dup[0]}].line", value=dup[1],
                              accepted="each line once (one active subscription per line)")
    dup = _duplicates([f"{s.router} {s.port}" for s in subscribers])
    if dup:
        raise ValidationError("port already used by another line", field=f"subscribers[{dup[0]}].port",
                              value=subscribers[dup[0]].port, accepted="one line per port of the access router")
    edges = {r.name for r in network.routers if r.role is RouterRole.EDGE}
    for i, sub in enumerate(subscribers):
        if sub.router not in edges:
            raise ValidationError("not an edge router of the backbone", field=f"subscribers[{i}].router",
                                  value=sub.router, accepted=", ".join(sorted(edges)) or "none")


def _duplicates(names: list[str]) -> tuple[int, str] | None:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            return i, name
        seen.add(name)
    return None


def _check_sites(intent: Intent, network: Network) -> dict[str, tuple[int, SiteSpec]]:
    dup = _duplicates([s.name for s in intent.sites])
    if dup:
        raise ValidationError("duplicate site name", field=f"sites[{dup[0]}].name", value=dup[1],
                              accepted="each site name once per tenant")
    pops = {p.name for p in network.pops}
    routers = {r.name: r for r in network.routers}
    pops_with_edge = {r.pop for r in network.routers if r.role is RouterRole.EDGE}
    for i, site in enumerate(intent.sites):
        if site.pop not in pops:
            raise ValidationError("unknown PoP", field=f"sites[{i}].pop", value=site.pop,
                                  accepted="the name of a PoP of the backbone (unilink network show)")
        if site.router is not None:
            router = routers.get(site.router)
            if router is None or router.pop != site.pop or router.role is not RouterRole.EDGE:
                accepted = ", ".join(sorted(r.name for r in network.routers
                                            if r.pop == site.pop and r.role is RouterRole.EDGE)) or "none"
                raise ValidationError(f"not an edge router of PoP {site.pop}", field=f"sites[{i}].router",
                                      value=site.router, accepted=accepted)
        elif site.pop not in pops_with_edge:
            raise ValidationError("this PoP has no edge router to attach a site to", field=f"sites[{i}].pop",
                                  value=site.pop, accepted="a PoP with an edge (PE) router")
        a = site.access
        check_access_rates(a.technology, a.port, a.down, a.up, field=f"sites[{i}].access")
        _check_backup(site, f"sites[{i}]")
    return {s.name: (i, s) for i, s in enumerate(intent.sites)}


WIRED_ACCEPTED = ", ".join(t.value for t, spec in TECHNOLOGIES.items() if not spec.backup_only)


def _check_backup(site: SiteSpec, where: str) -> None:
    """A radio technology is a backup only; a backup is within its ceilings and of another technology.

    Why not the primary's technology: two lines of one technology share their failure modes (the
    same cabinet, duct or OLT), so the backup would go down with the primary; a second line of the
    same kind at the same rate is a dual access (load-shared), another product than a backup.
    """
    primary = site.access.technology
    if TECHNOLOGIES[primary].backup_only:
        raise ValidationError(f"{primary.value} is sold as a backup only, not as a site's access",
                              field=f"{where}.access.technology", value=primary.value,
                              accepted=f"{WIRED_ACCEPTED} (put {primary.value} under `backup`)")
    b = site.backup
    if b is None:
        return
    if b.technology is primary:
        others = ", ".join(t.value for t in TECHNOLOGIES if t is not primary)
        raise ValidationError("a backup of the same technology as the primary access fails with it",
                              field=f"{where}.backup.technology", value=b.technology.value,
                              accepted=f"a technology other than {primary.value}: {others}")
    check_access_rates(b.technology, b.port, b.down, b.up, field=f"{where}.backup")


def _unknown_site(field: str, value: str, site_index: dict[str, tuple[int, SiteSpec]]) -> ValidationError:
    # Never hint whether the name belongs to another tenant: list only this tenant's sites.
    return ValidationError("unknown site", field=field, value=value,
                           accepted=", ".join(sorted(site_index)) or "no site declared under `sites`")


def _check_services(intent: Intent, site_index: dict[str, tuple[int, SiteSpec]]) -> None:
    dup = _duplicates([s.name for s in intent.services])
    if dup:
        raise ValidationError("duplicate service name", field=f"services[{dup[0]}].name", value=dup[1],
                              accepted="each service name once per tenant")
    for i, svc in enumerate(intent.services):
        where = f"services[{i}]"
        if isinstance(svc, InternetService):
            if svc.site not in site_index:
                raise _unknown_site(f"{where}.site", svc.site, site_index)
        elif isinstance(svc, IpVpnService):
            _check_vpn(svc, where, site_index)
        else:
            for end in ("a", "b"):
                if getattr(svc, end) not in site_index:
                    raise _unknown_site(f"{where}.{end}", getattr(svc, end), site_index)
            if svc.a == svc.b:
                raise ValidationError("an E-Line joins two different sites", field=f"{where}.b", value=svc.b,
                                      accepted=f"a site other than {svc.a}")
    internet_sites = [s.site for s in intent.services if isinstance(s, InternetService)]
    dup = _duplicates(internet_sites)
    if dup:
        raise ValidationError("a site has one Internet access service", field="services", value=dup[1],
                              accepted="one internet service per site (change its rate instead)")


def _check_vpn(svc: IpVpnService, where: str, site_index: dict[str, tuple[int, SiteSpec]]) -> None:
    if len(svc.members) < 2:
        raise ValidationError("a VPN needs at least two member sites", field=f"{where}.members",
                              value=len(svc.members), accepted="two or more members")
    seen: set[str] = set()
    for j, member in enumerate(svc.members):
        if member.site not in site_index:
            raise _unknown_site(f"{where}.members[{j}].site", member.site, site_index)
        if member.site in seen:
            raise ValidationError("site listed twice in this VPN", field=f"{where}.members[{j}].site",
                                  value=member.site, accepted="each site once per VPN")
        seen.add(member.site)
    if svc.topology is VpnTopology.HUB_AND_SPOKE:
        hubs = [m for m in svc.members if m.role == "hub"]
        if len(hubs) != 1:
            raise ValidationError("a hub-and-spoke VPN has exactly one hub", field=f"{where}.members",
                                  value=len(hubs), accepted="one member with role: hub")


def _check_rates_fit_accesses(intent: Intent, site_index: dict[str, tuple[int, SiteSpec]]) -> None:
    """Each service, then the sum of services, within each site's committed access rates."""
    usages = site_usages(intent)
    totals: dict[str, list[int]] = {name: [0, 0] for name in site_index}
    for i, svc in enumerate(intent.services):
        for j, site_name in enumerate(service_sites(svc)):
            down, up = usages[(svc.name, site_name)]
            idx, site = site_index[site_name]
            field = (f"services[{i}].members[{j}].rate" if isinstance(svc, IpVpnService)
                     else f"services[{i}].rate")
            if down > site.access.down:
                raise ValidationError(f"over the access of site {site_name}", field=field,
                                      value=format_bandwidth(down),
                                      accepted=f"≤ {format_bandwidth(site.access.down)} (sites[{idx}].access.down); "
                                      "raise the access first")
            if up > site.access.up:
                raise ValidationError(f"upstream over the access of site {site_name}",
                                      field=field.removesuffix("rate") + "up", value=format_bandwidth(up),
                                      accepted=f"≤ {format_bandwidth(site.access.up)} (sites[{idx}].access.up)")
            totals[site_name][0] += down
            totals[site_name][1] += up
    for name, (down, up) in totals.items():
        idx, site = site_index[name]
        for direction, total, ceiling in (("down", down, site.access.down), ("up", up, site.access.up)):
            if total > ceiling:
                raise ValidationError(f"the services of site {name} add up to {format_bandwidth(total)}",
                                      field=f"sites[{idx}].access.{direction}", value=format_bandwidth(ceiling),
                                      accepted=f"≥ {format_bandwidth(total)}, or lower the services' rates")


def _find_usage(intent: Intent, service: str, site: str | None, where: str
                ) -> tuple[InternetService | IpVpnService | ELineService, list[str]]:
    names = [s.name for s in intent.services]
    if service not in names:
        raise ValidationError("unknown service", field=f"{where}.service", value=service,
                              accepted=", ".join(names) or "no service declared")
    svc = intent.service(service)
    sites = service_sites(svc)
    if isinstance(svc, IpVpnService):
        if site is None or site not in sites:
            raise ValidationError("name the member site of the VPN", field=f"{where}.site", value=site,
                                  accepted=", ".join(sites))
        return svc, [site]
    if site is not None and site not in sites:
        raise ValidationError("not a site of this service", field=f"{where}.site", value=site,
                              accepted=", ".join(sites))
    return svc, sites


def _check_temporaries(intent: Intent, site_index: dict[str, tuple[int, SiteSpec]]) -> None:
    usages = site_usages(intent)
    items: list[tuple[str, Boost | Schedule]] = [(f"boosts[{i}]", b) for i, b in enumerate(intent.boosts)]
    items += [(f"schedules[{i}]", s) for i, s in enumerate(intent.schedules)]
    dup = _duplicates([s.name for s in intent.schedules])
    if dup:
        raise ValidationError("duplicate schedule name", field=f"schedules[{dup[0]}].name", value=dup[1],
                              accepted="each schedule name once per tenant")
    boosted: dict[tuple[str, str | None], int] = {}
    for where, item in items:
        svc, sites = _find_usage(intent, item.service, item.site, where)
        if isinstance(item, Boost):  # two boosts of one service at one site: which rate holds?
            key = (svc.name, item.site if isinstance(svc, IpVpnService) else None)
            if key in boosted:
                same = "the same boost twice" if intent.boosts[boosted[key]] == item else "a second boost"
                at = f" at {key[1]}" if key[1] else ""
                raise ValidationError(f"{same} of {svc.name}{at}", field=f"{where}.service", value=svc.name,
                                      accepted=f"one boost per service and site (boosts[{boosted[key]}] "
                                               "already boosts it: change its rate or until)")
            boosted[key] = int(where[len("boosts["):-1])
        for site_name in sites:
            base_down = usages[(svc.name, site_name)][0]
            _, site = site_index[site_name]
            if item.rate <= base_down and isinstance(item, Boost):
                raise ValidationError("a boost raises the rate", field=f"{where}.rate",
                                      value=format_bandwidth(item.rate), accepted=f"> {format_bandwidth(base_down)}")
            # A temporary rate may use the whole port: that is what the port is for.
            headroom = site.access.port - (sum(d for (_, s), (d, _) in usages.items() if s == site_name) - base_down)
            ceiling = min(headroom, TECHNOLOGIES[site.access.technology].max_down_bps)
            if item.rate > ceiling:
                raise ValidationError(f"over what the access of site {site_name} can carry", field=f"{where}.rate",
                                      value=format_bandwidth(item.rate), accepted=f"≤ {format_bandwidth(ceiling)}")


def check_boost_times(intent: Intent, now: datetime, *, kept: Iterable[Boost] = ()) -> None:
    """Each boost ends after `now` and at most MAX_BOOST_AHEAD after it.

    `now` is the caller's clock (the plan's `now`): this module reads no clock. `kept`: boosts already
    accepted (the deployed intent's); one of them left unchanged in the document passes even if it has
    ended since — the scheduler drops it — so that a tenant's next change is not refused for it.
    """
    accepted_before = set(kept)
    latest = now + MAX_BOOST_AHEAD
    accepted = (f"a time with a zone after {_iso(now)} and at most {MAX_BOOST_AHEAD.days} days ahead "
                f"(until {_iso(latest)})")
    for i, boost in enumerate(intent.boosts):
        if boost in accepted_before:
            continue
        if boost.until <= now:
            raise ValidationError("the boost ends in the past", field=f"boosts[{i}].until", value=_iso(boost.until),
                                  accepted=accepted)
        if boost.until > latest:
            raise ValidationError(f"the boost ends more than {MAX_BOOST_AHEAD.days} days ahead (for a lasting "
                                  "rate, change the service's rate)", field=f"boosts[{i}].until",
                                  value=_iso(boost.until), accepted=accepted)


def without_ended_boosts(document: dict[str, Any], now: datetime) -> dict[str, Any]:
    """`document` (an intent's JSON form) minus the boosts that end at or before `now` (a revert to a
    version whose boost is over brings back the rest, not the boost)."""
    boosts = document.get("boosts") or []
    kept = [b for b in boosts if not (isinstance(b, dict) and isinstance(b.get("until"), str)
                                      and _ended(b["until"], now))]
    return document if len(kept) == len(boosts) else {**document, "boosts": kept}


def _ended(until: str, now: datetime) -> bool:
    try:
        moment = datetime.fromisoformat(until)
    except ValueError:
        return False  # not a time: parsing says so, naming the field
    return moment.tzinfo is not None and moment <= now


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_datetime(value: str, *, field: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ValidationError("not a time with a zone", field=field, value=value,
                              accepted="ISO 8601 with a zone, e.g. 2026-11-27T01:00:00Z")
    return parsed
