"""The portal's "change a site" form, pure: form fields ⇄ the tenant's desired-state document.

The form speaks Mbit/s (what an IT manager reads on a contract); the document speaks int bit/s.
`site_form` fills the form from a document, `apply_site_change` builds the next desired document
from the current one and the submitted fields, `form_field_for` maps an engine error's document
path (`services[2].members[0].rate`) back to the form field that caused it. No I/O here.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from unilink.errors import ValidationError

BPS_PER_MBPS = 10**6
MBPS_ACCEPTED = "a number of Mbit/s greater than 0, e.g. 250 or 0.5"
MAX_MBPS = Decimal(10**9)  # 1 Pbit/s: anything above is a typing slip, not a rate


@dataclass(frozen=True, slots=True)
class VpnChoice:
    """One of the tenant's IP-VPNs as a line of the form."""

    name: str
    member: bool
    rate_mbps: str  # as shown in the input ("" when the site is not a member)
    members: int    # how many sites are in the VPN now


@dataclass(frozen=True, slots=True)
class BoostLine:
    """A boost in force on this site: a temporary rate that returns to the base rate by itself."""

    index: int  # position in the document's `boosts` (the field `drop_boost_<index>` removes it)
    service: str
    rate_mbps: str
    until: str  # ISO 8601, UTC


@dataclass(frozen=True, slots=True)
class SiteForm:
    """What the change form shows for one site (strings: exactly what goes into the inputs)."""

    site: str
    down_mbps: str
    up_mbps: str
    port_mbps: str
    internet: bool
    internet_mbps: str
    vpns: tuple[VpnChoice, ...] = field(default_factory=tuple)
    boosts: tuple[BoostLine, ...] = field(default_factory=tuple)
    boostable: tuple[str, ...] = field(default_factory=tuple)  # the services at this site a boost may raise
    boost_service: str = ""
    boost_mbps: str = ""
    boost_until: str = ""


def mbps_text(bps: int) -> str:
    """bit/s → the Mbit/s figure an input shows: 2000000000 → "2000", 500000 → "0.5"."""
    text = f"{Decimal(bps) / BPS_PER_MBPS:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def parse_mbps(value: str | None, *, field: str) -> int:
    """A submitted Mbit/s figure → int bit/s; a clear ValidationError naming the form field otherwise."""
    text = (value or "").strip().replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValidationError("is not a number of Mbit/s", field=field, value=value, accepted=MBPS_ACCEPTED) from None
    if not number.is_finite() or number <= 0 or number > MAX_MBPS:
        raise ValidationError("must be more than 0 Mbit/s", field=field, value=value, accepted=MBPS_ACCEPTED)
    bps = int(number * BPS_PER_MBPS)
    if bps < 1 or Decimal(bps) != number * BPS_PER_MBPS:
        raise ValidationError("finer than 1 bit/s", field=field, value=value,
                              accepted="at most 6 decimals of Mbit/s")
    return bps


def _site_index(document: dict[str, Any], site: str) -> int:
    for i, item in enumerate(document.get("sites", [])):
        if item.get("name") == site:
            return i
    names = ", ".join(s.get("name", "?") for s in document.get("sites", []))
    raise ValidationError("unknown site", field="site", value=site, accepted=names or "no site yet")


def site_form(document: dict[str, Any], site: str) -> SiteForm:
    """The form for `site` as the document has it now."""
    access = document["sites"][_site_index(document, site)]["access"]
    internet = next((s for s in document.get("services", []) if s.get("kind") == "internet" and s.get("site") == site),
                    None)
    vpns = []
    for svc in document.get("services", []):
        if svc.get("kind") != "ipvpn":
            continue
        member = next((m for m in svc.get("members", []) if m.get("site") == site), None)
        vpns.append(VpnChoice(svc["name"], member is not None, mbps_text(member["rate"]) if member else "",
                              len(svc.get("members", []))))
    boosts = tuple(BoostLine(i, b["service"], mbps_text(b["rate"]), str(b["until"]))
                   for i, b in enumerate(document.get("boosts", [])) if b.get("site") in (site, None)
                   and b["service"] in _services_at(document, site))
    return SiteForm(site=site, down_mbps=mbps_text(access["down"]), up_mbps=mbps_text(access["up"]),
                    port_mbps=mbps_text(access["port"]), internet=internet is not None,
                    internet_mbps=mbps_text(internet["rate"]) if internet else "", vpns=tuple(vpns),
                    boosts=boosts, boostable=tuple(_services_at(document, site)))


def _services_at(document: dict[str, Any], site: str) -> list[str]:
    """Names of the Internet and IP-VPN services that run at `site` (what a boost can raise there)."""
    def sites_of(svc: dict[str, Any]) -> list[str]:
        if svc.get("kind") == "internet":
            return [svc.get("site", "")]
        return [m.get("site", "") for m in svc.get("members", [])] if svc.get("kind") == "ipvpn" else []

    return [svc["name"] for svc in document.get("services", []) if site in sites_of(svc)]


def form_from_fields(base: SiteForm, fields: dict[str, str]) -> SiteForm:
    """The form as the user submitted it (to show it again, with their values, next to an error)."""
    vpns = tuple(VpnChoice(v.name, fields.get(f"vpn_{v.name}") == "on", fields.get(f"vpn_{v.name}_mbps", ""),
                           v.members) for v in base.vpns)
    return SiteForm(site=base.site, down_mbps=fields.get("down_mbps", ""), up_mbps=fields.get("up_mbps", ""),
                    port_mbps=base.port_mbps, internet=fields.get("internet") == "on",
                    internet_mbps=fields.get("internet_mbps", ""), vpns=vpns, boosts=base.boosts,
                    boostable=base.boostable, boost_service=fields.get("boost_service", ""),
                    boost_mbps=fields.get("boost_mbps", ""), boost_until=fields.get("boost_until", ""))


def _unique_name(wanted: str, taken: set[str]) -> str:
    name, n = wanted, 2
    while name in taken:
        name, n = f"{wanted}-{n}", n + 1
    return name


def apply_site_change(document: dict[str, Any], site: str, fields: dict[str, str],
                      now: datetime | None = None) -> dict[str, Any]:
    """The next desired document: `document` with `site`'s rates and memberships as submitted.

    Fields: down_mbps, up_mbps (the access's committed rates), internet ("on" or absent) and
    internet_mbps, and per IP-VPN `vpn_<name>` ("on" or absent) and `vpn_<name>_mbps`. Rates of
    services that stay are replaced; an added service gets the rate given. Boosts: `drop_boost_<i>`
    ("on") removes boost i; `boost_service` (a service at this site), `boost_mbps` and `boost_until`
    (ISO date and time, UTC, after `now`) add one. Whether the result fits (ceilings, VPN sizes,
    capacity) is the engine's call, not the form's.
    """
    desired = copy.deepcopy(document)
    desired.pop("_physical", None)
    index = _site_index(desired, site)
    access = desired["sites"][index]["access"]
    access["down"] = parse_mbps(fields.get("down_mbps"), field="down_mbps")
    access["up"] = parse_mbps(fields.get("up_mbps"), field="up_mbps")
    services = desired.setdefault("services", [])
    _change_internet(services, site, fields)
    for svc in services:
        if svc.get("kind") == "ipvpn":
            _change_membership(svc, site, fields)
    boosts = [b for i, b in enumerate(desired.get("boosts", [])) if fields.get(f"drop_boost_{i}") != "on"]
    if fields.get("boost_service"):
        boosts.append(_new_boost(desired, site, fields, now or datetime.now(UTC)))
    if boosts or "boosts" in desired:
        desired["boosts"] = boosts
    return desired


def _new_boost(desired: dict[str, Any], site: str, fields: dict[str, str], now: datetime) -> dict[str, Any]:
    service = fields["boost_service"]
    choices = _services_at(desired, site)
    if service not in choices:
        raise ValidationError("not a service at this site", field="boost_service", value=service,
                              accepted=", ".join(choices) or "none: give the site Internet or a VPN first")
    rate = parse_mbps(fields.get("boost_mbps"), field="boost_mbps")
    return {"service": service, "site": site, "rate": rate,
            "until": parse_until(fields.get("boost_until"), now).isoformat().replace("+00:00", "Z")}


UNTIL_ACCEPTED = "a date and time in UTC after now, e.g. 2026-11-27T18:00"


def parse_until(value: str | None, now: datetime) -> datetime:
    """The end of a boost, from a datetime-local input (read as UTC) or ISO 8601 with a zone."""
    text = (value or "").strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError("is not a date and time", field="boost_until", value=value,
                              accepted=UNTIL_ACCEPTED) from None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if moment <= now:
        raise ValidationError("is not in the future", field="boost_until", value=value, accepted=UNTIL_ACCEPTED)
    return moment


def _change_internet(services: list[dict[str, Any]], site: str, fields: dict[str, str]) -> None:
    current = next((s for s in services if s.get("kind") == "internet" and s.get("site") == site), None)
    if fields.get("internet") != "on":
        if current is not None:
            services.remove(current)
        return
    rate = parse_mbps(fields.get("internet_mbps"), field="internet_mbps")
    if current is None:
        name = _unique_name(f"{site}-internet", {s.get("name", "") for s in services})
        services.append({"kind": "internet", "name": name, "site": site, "rate": rate})
    elif current["rate"] != rate:
        current["rate"] = rate
        current.pop("up", None)  # an explicit upstream was for the old rate: derive it again from the access


def _change_membership(vpn: dict[str, Any], site: str, fields: dict[str, str]) -> None:
    name = vpn["name"]
    members = vpn.setdefault("members", [])
    current = next((m for m in members if m.get("site") == site), None)
    if fields.get(f"vpn_{name}") != "on":
        if current is not None:
            members.remove(current)
        return
    rate = parse_mbps(fields.get(f"vpn_{name}_mbps"), field=f"vpn_{name}_mbps")
    if current is None:
        members.append({"site": site, "rate": rate})
    elif current["rate"] != rate:
        current["rate"] = rate
        current.pop("up", None)


def field_label(form_field: str | None) -> str | None:
    """The label a person sees next to a form field (to say which input an error is about)."""
    labels = {"down_mbps": "Rate down", "up_mbps": "Rate up", "internet_mbps": "Internet rate",
              "boost_service": "Boost service", "boost_mbps": "Boost rate", "boost_until": "Boost until (UTC)"}
    if form_field is None:
        return None
    if form_field in labels:
        return labels[form_field]
    if form_field.startswith("vpn_") and form_field.endswith("_mbps"):
        return f"Rate in VPN {form_field[4:-5]}"
    return None


def form_field_for(document: dict[str, Any], site: str, path: str | None) -> str | None:
    """The form field behind an engine error on `path` of `document` (None: not one of this form's fields).

    `sites[i].access.down|up` of this site → down_mbps / up_mbps; `services[j]...` → the Internet
    rate or this site's rate in VPN j.
    """
    if not path:
        return None
    if path in {"down_mbps", "up_mbps", "internet_mbps", "boost_service", "boost_mbps", "boost_until"} or (
            path.startswith("vpn_") and path.endswith("_mbps")):
        return path
    if path.startswith("boosts["):
        return "boost_until" if path.endswith(".until") else "boost_mbps"
    sites = document.get("sites", [])
    for i, item in enumerate(sites):
        if item.get("name") == site and path.startswith(f"sites[{i}].access."):
            direction = path.rsplit(".", 1)[-1]
            return f"{direction}_mbps" if direction in ("down", "up") else None
    for j, svc in enumerate(document.get("services", [])):
        prefix = f"services[{j}]"
        if not (path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "[")):
            continue
        if svc.get("kind") == "internet" and svc.get("site") == site:
            return "internet_mbps"
        if svc.get("kind") == "ipvpn":
            return f"vpn_{svc['name']}_mbps"
    return None


def base_version_of(fields: dict[str, str]) -> int | None:
    """The intent version the form was filled from (its hidden `base_version`); None when absent."""
    text = (fields.get("base_version") or "").strip()
    if not text:
        return None
    if not text.isdigit() or int(text) >= 2**31:
        raise ValidationError("this form is damaged: reload the page", field="base_version", value=text,
                              accepted="the version the page was made from")
    return int(text)
