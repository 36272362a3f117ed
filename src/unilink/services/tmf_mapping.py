"""TM Forum TMF641 / TMF638 / TMF633 ↔ unilink's intent: the pure part of the façade.

- a serviceOrder's items (add / modify / delete / noChange) → edits of the tenant's intent document,
  each edit remembering which intent path it produced (`sites[4]`, `services[2]`), so that the
  engine's refusal, which names such a path, is pinned on the item that caused it;
- the TMF641 state machine: an item's state from the field-work orders of its sites, the order's
  state from its items' (acknowledged → inProgress → completed / failed / partial, held, pending,
  cancelled);
- the deployed intent → TMF638 `Service` resources, the catalog → TMF633 `ServiceSpecification`s.

Rates are integers of bit/s on both sides ("1G" is accepted in an order and read as 1,000,000,000).
Service ids are stable: a UUID-5 of (tenant, specification, name), so a buyer's id survives every
change of the service but its removal. No I/O here; `unilink.usecases.tmf_orders` reads and writes.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from unilink.catalog.access import TECHNOLOGY_ACCEPTED
from unilink.catalog.services import SERVICE_SPECIFICATIONS, ServiceKind, VpnTopology
from unilink.errors import ValidationError
from unilink.units import parse_bandwidth

ACCESS = "access"  # a site and its access line: the resource-facing part every other service rides on
SPEC_IDS: tuple[str, ...] = (ACCESS, *(kind.value for kind in ServiceKind))
ACTIONS = ("add", "modify", "delete", "noChange")
_NAMESPACE = uuid.UUID("6f1d3a52-6c7e-4b8e-9a51-0a5e7d1c2b33")  # unilink's TMF ids (any fixed UUID)

# Characteristics per specification: name → (kind of value, description). "bps" values are bit/s.
CHARACTERISTICS: dict[str, dict[str, tuple[str, str]]] = {
    ACCESS: {"pop": ("string", "the point of presence the site is attached at"),
             "router": ("string", "an edge router of that PoP (default: the first by name)"),
             "technology": ("string", f"the access technology: {TECHNOLOGY_ACCEPTED}"),
             "provider": ("string", "on-net, or the local-loop partner"),
             "port": ("bps", "the physical port, bit/s: the ceiling"),
             "down": ("bps", "committed rate towards the site, bit/s"),
             "up": ("bps", "committed rate from the site, bit/s"),
             "vpnMembership": ("list", "the IP-VPNs the site is a member of (read only)")},
    ServiceKind.INTERNET.value: {"site": ("string", "the site served"),
                                 "rate": ("bps", "committed rate down, bit/s"),
                                 "up": ("bps", "committed rate up, bit/s (default: the access's proportion)")},
    ServiceKind.IPVPN.value: {"topology": ("string", ", ".join(t.value for t in VpnTopology)),
                              "members": ("list", "[{site, rate, up, role}]: rates in bit/s, role hub|spoke")},
    ServiceKind.ELINE.value: {"a": ("string", "one end's site"), "b": ("string", "the other end's site"),
                              "rate": ("bps", "committed rate, bit/s"),
                              "protected": ("boolean", "a link- and SRLG-disjoint backup path")},
}
READ_ONLY = {(ACCESS, "vpnMembership")}
REQUIRED = {ACCESS: ("pop", "technology", "port", "down", "up"), "internet": ("site", "rate"),
            "ipvpn": ("members",), "eline": ("a", "b", "rate")}
_ACCESS_KEYS = ("technology", "provider", "port", "down", "up")

# -- the TMF641 state machine --------------------------------------------------------------------------

OPEN = ("acknowledged", "inProgress", "held", "pending")
CLOSED = ("completed", "failed", "cancelled", "partial")
ORDER_STATES = OPEN + CLOSED  # the states this façade uses (of ServiceOrderStateType)
_NATIVE_TO_ITEM = {"acknowledged": "inProgress", "inProgress": "inProgress", "held": "held",
                   "pending": "pending", "completed": "completed", "failed": "failed", "cancelled": "cancelled"}


def service_id(tenant: str, spec: str, name: str) -> str:
    """The TMF638 id of a tenant's service (stable across changes, different per tenant)."""
    return str(uuid.uuid5(_NAMESPACE, f"{tenant}\x00{spec}\x00{name}"))


@dataclass(frozen=True, slots=True)
class Edit:
    """One order item as an edit of the intent."""

    item_id: str
    action: str
    spec: str
    name: str
    values: dict[str, Any]        # the characteristics given, parsed (bit/s as int)
    field: str                    # where the item is in the request: serviceOrderItem[i]


@dataclass(frozen=True, slots=True)
class Translated:
    """The desired intent after the edits, and which item produced each intent path."""

    document: dict[str, Any]
    owners: dict[str, str]            # "sites[4]" / "services[2]" → item id
    removes: bool                     # an item deletes something live (the apply confirms it)
    item_sites: dict[str, tuple[str, ...]] = field(default_factory=dict)  # the sites whose field work holds it


# -- reading a serviceOrder ----------------------------------------------------------------------------

def bad(message: str, field: str, value: Any, accepted: str) -> ValidationError:
    return ValidationError(message, field=field, value=value, accepted=accepted)


def parse_items(body: Mapping[str, Any], known: Mapping[str, tuple[str, str]]) -> list[Edit]:
    """The order's items as edits. `known`: TMF638 id → (spec, name) of the tenant's services.

    Refuses (ValidationError naming the field) what the façade cannot translate; the engine checks
    the rest (rates within the access, capacity, …) when the edits are planned."""
    items = body.get("serviceOrderItem")
    if not isinstance(items, list) or not items:
        raise bad("a service order needs at least one item", "serviceOrderItem", items,
                  "a list of ServiceOrderItem objects")
    if len(items) > 100:
        raise bad("too many items", "serviceOrderItem", len(items), "at most 100 items per order")
    edits: list[Edit] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"serviceOrderItem[{i}]"
        edit = _parse_item(item, where, known)
        if edit.item_id in seen:
            raise bad("two items with one id", f"{where}.id", edit.item_id, "an id unique within the order")
        seen.add(edit.item_id)
        edits.append(edit)
    return edits


def _parse_item(item: Any, where: str, known: Mapping[str, tuple[str, str]]) -> Edit:
    if not isinstance(item, dict):
        raise bad("an item must be an object", where, item, "a ServiceOrderItem object")
    item_id = item.get("id")
    if not isinstance(item_id, str) or not item_id or len(item_id) > 64:
        raise bad("an item needs an id", f"{where}.id", item_id, "a string of 1 to 64 characters")
    action = item.get("action")
    if action not in ACTIONS:
        raise bad("unknown item action", f"{where}.action", action, ", ".join(ACTIONS))
    service = item.get("service")
    if not isinstance(service, dict):
        raise bad("an item needs a service", f"{where}.service", service, "a ServiceRefOrValue object")
    spec, name = _target(service, action, f"{where}.service", known)
    values = _characteristics(service, spec, f"{where}.service.serviceCharacteristic")
    if action == "add":
        missing = [n for n in REQUIRED[spec] if n not in values]
        if missing:
            raise bad(f"a new {spec} needs the characteristic {missing[0]}", f"{where}.service.serviceCharacteristic",
                      None, ", ".join(REQUIRED[spec]))
    elif action in ("delete", "noChange") and values:
        raise bad(f"a {action} item changes no characteristic", f"{where}.service.serviceCharacteristic",
                  sorted(values), "no serviceCharacteristic")
    return Edit(item_id, action, spec, name, values, where)


def _target(service: dict[str, Any], action: str, where: str, known: Mapping[str, tuple[str, str]]
            ) -> tuple[str, str]:
    """(spec, name) the item acts on: a new service by its specification and name, an existing one by
    its TMF638 id."""
    if action == "add":
        spec = (service.get("serviceSpecification") or {}).get("id") if isinstance(
            service.get("serviceSpecification"), dict) else None
        if spec not in SPEC_IDS:
            raise bad("unknown service specification", f"{where}.serviceSpecification.id", spec,
                      ", ".join(SPEC_IDS) + " (GET serviceCatalogManagement/v4/serviceSpecification)")
        name = service.get("name")
        if not isinstance(name, str) or not name.strip():
            raise bad(f"a new {spec} needs a name", f"{where}.name", name, "the name of the new site or service")
        return spec, name
    sid = service.get("id")
    if not isinstance(sid, str) or sid not in known:
        raise bad("no such service", f"{where}.id", sid,
                  "the id of one of your services (GET serviceInventory/v4/service)")
    return known[sid]


def _characteristics(service: dict[str, Any], spec: str, where: str) -> dict[str, Any]:
    given = service.get("serviceCharacteristic", [])
    if not isinstance(given, list):
        raise bad("characteristics must be a list", where, given, "a list of {name, value}")
    values: dict[str, Any] = {}
    allowed = CHARACTERISTICS[spec]
    for j, characteristic in enumerate(given):
        here = f"{where}[{j}]"
        if not isinstance(characteristic, dict) or "value" not in characteristic:
            raise bad("a characteristic needs a name and a value", here, characteristic, "{name, value}")
        name = characteristic.get("name")
        if name not in allowed or (spec, name) in READ_ONLY:
            writable = [n for n in allowed if (spec, n) not in READ_ONLY]
            raise bad(f"unknown characteristic of {spec}", f"{here}.name", name, ", ".join(writable))
        if name in values:
            raise bad("a characteristic given twice", f"{here}.name", name, "each characteristic once")
        values[name] = _value(allowed[name][0], characteristic["value"], f"{here}.value")
    return values


def _value(kind: str, value: Any, where: str) -> Any:
    if kind == "bps":
        if isinstance(value, bool):
            raise bad("not a bandwidth", where, value, "an integer of bit/s, or a rate such as 500M or 1G")
        return parse_bandwidth(value, field=where)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise bad("not a boolean", where, value, "true or false")
        return value
    if kind == "list":
        if not isinstance(value, list):
            raise bad("not a list", where, value, "a list of {site, rate, up, role}")
        return [_member(m, f"{where}[{k}]") for k, m in enumerate(value)]
    if not isinstance(value, str) or not value or len(value) > 200:
        raise bad("not a name", where, value, "a string of 1 to 200 characters")
    return value


def _member(member: Any, where: str) -> dict[str, Any]:
    if not isinstance(member, dict) or not isinstance(member.get("site"), str):
        raise bad("a VPN member needs a site", where, member, "{site, rate, up, role}")
    out: dict[str, Any] = {"site": member["site"]}
    for key in ("rate", "up"):
        if key in member:
            out[key] = _value("bps", member[key], f"{where}.{key}")
    if "role" in member:
        if member["role"] not in ("hub", "spoke"):
            raise bad("unknown member role", f"{where}.role", member["role"], "hub, spoke")
        out["role"] = member["role"]
    return out


# -- the edits on the intent -----------------------------------------------------------------------------

def translate(document: Mapping[str, Any], edits: Iterable[Edit], *, tenant: str,
              schedule_at: datetime | None = None, order_id: str = "") -> Translated:
    """The intent after the edits (the caller's document is not changed).

    `schedule_at`: the order's requestedStartDate when it is in the future — rate changes are then
    schedules of the intent (`at`, no `until`: from then on) instead of edits of the services."""
    doc: dict[str, Any] = copy.deepcopy(dict(document))
    doc.setdefault("sites", [])
    doc.setdefault("services", [])
    doc.pop("tenant", None)
    removes = False
    item_sites: dict[str, tuple[str, ...]] = {}
    touched: dict[tuple[str, str], str] = {}
    for edit in edits:
        before = _index(doc, edit.spec, edit.name)
        if before is not None:
            item_sites[edit.item_id] = sites_of(edit.spec, doc[_collection(edit.spec)][before])
        if schedule_at is not None:
            _schedule(doc, edit, schedule_at, order_id)
        elif edit.action == "add":
            _add(doc, edit)
        elif edit.action == "modify":
            _modify(doc, edit)
        elif edit.action == "delete":
            removes = True
            _delete(doc, edit)
        else:
            _find(doc, edit)
        touched[(edit.spec, edit.name)] = edit.item_id
        after = _index(doc, edit.spec, edit.name)
        if after is not None:  # a delete keeps the sites it had
            item_sites[edit.item_id] = sites_of(edit.spec, doc[_collection(edit.spec)][after])
    return Translated(doc, _owners(doc, touched), removes, item_sites)


def sites_of(spec: str, entry: Mapping[str, Any]) -> tuple[str, ...]:
    """The sites a site or service of the intent stands on (field work on them holds an item)."""
    if spec == ACCESS:
        return (str(entry.get("name")),)
    if spec == "internet":
        return (str(entry.get("site")),)
    if spec == "eline":
        return (str(entry.get("a")), str(entry.get("b")))
    return tuple(str(m.get("site")) for m in entry.get("members", []) if isinstance(m, dict))


def _collection(spec: str) -> str:
    return "sites" if spec == ACCESS else "services"


def _index(doc: dict[str, Any], spec: str, name: str) -> int | None:
    for i, entry in enumerate(doc[_collection(spec)]):
        if entry.get("name") == name and (spec == ACCESS or entry.get("kind") == spec):
            return i
    return None


def _find(doc: dict[str, Any], edit: Edit) -> int:
    found = _index(doc, edit.spec, edit.name)
    if found is None:  # deleted by an earlier item of the same order
        raise bad(f"no such {edit.spec} in your intent", f"{edit.field}.service.id", edit.name,
                  "a service the order has not removed")
    return found


def _add(doc: dict[str, Any], edit: Edit) -> None:
    if any(e.get("name") == edit.name for e in doc[_collection(edit.spec)]):
        raise bad(f"a {'site' if edit.spec == ACCESS else 'service'} of this name exists", f"{edit.field}.service.name",
                  edit.name, "a new name (modify the existing one with action modify)")
    if edit.spec == ACCESS:
        doc["sites"].append(_site(edit.name, edit.values))
    else:
        doc["services"].append({"kind": edit.spec, "name": edit.name, **edit.values})


def _site(name: str, values: dict[str, Any]) -> dict[str, Any]:
    site: dict[str, Any] = {"name": name, "pop": values["pop"]}
    if "router" in values:
        site["router"] = values["router"]
    site["access"] = {k: values[k] for k in _ACCESS_KEYS if k in values}
    return site


def _modify(doc: dict[str, Any], edit: Edit) -> None:
    entry = doc[_collection(edit.spec)][_find(doc, edit)]
    if edit.spec != ACCESS:
        entry.update(edit.values)
        return
    for key, value in edit.values.items():
        if key in _ACCESS_KEYS:
            entry.setdefault("access", {})[key] = value
        else:
            entry[key] = value


def _delete(doc: dict[str, Any], edit: Edit) -> None:
    del doc[_collection(edit.spec)][_find(doc, edit)]


def _schedule(doc: dict[str, Any], edit: Edit, at: datetime, order_id: str) -> None:
    """A rate change from `at` on: a schedule without `until` (docs/changes.md)."""
    if edit.action != "modify" or edit.spec not in ("internet", "eline") or set(edit.values) != {"rate"}:
        raise bad("a future requestedStartDate applies to rate changes only", "requestedStartDate",
                  at.isoformat(), "no requestedStartDate (or a past one) for this order, or only items that "
                  "modify the rate of an internet or eline service")
    _find(doc, edit)
    doc.setdefault("schedules", []).append({
        "name": f"tmf-{order_id[:8]}-{edit.item_id}"[:64], "service": edit.name, "rate": edit.values["rate"],
        "at": at.isoformat().replace("+00:00", "Z")})


def _owners(doc: dict[str, Any], touched: dict[tuple[str, str], str]) -> dict[str, str]:
    owners: dict[str, str] = {}
    for i, site in enumerate(doc["sites"]):
        if (ACCESS, site.get("name")) in touched:
            owners[f"sites[{i}]"] = touched[(ACCESS, site.get("name"))]
    for i, svc in enumerate(doc["services"]):
        if (svc.get("kind"), svc.get("name")) in touched:
            owners[f"services[{i}]"] = touched[(svc.get("kind"), svc.get("name"))]
    for i, sched in enumerate(doc.get("schedules", [])):
        for (spec, name), item in touched.items():
            if spec != ACCESS and sched.get("service") == name:
                owners[f"schedules[{i}]"] = item
    return owners


def owner_of(error_field: str | None, owners: Mapping[str, str]) -> str | None:
    """The item an engine error's field (`services[2].rate`) points at, if any."""
    if not error_field:
        return None
    for prefix, item in owners.items():
        if error_field == prefix or error_field.startswith((prefix + ".", prefix + "[")):
            return item
    return None


# -- states --------------------------------------------------------------------------------------------------

def item_state(sites: Iterable[str], native: Mapping[str, list[str]]) -> str:
    """An applied item's state from the field-work orders of its sites (site → their native states)."""
    states = [_NATIVE_TO_ITEM[s] for site in sites for s in native.get(site, [])]
    if not states:
        return "completed"
    for paused in ("held", "pending", "inProgress"):
        if paused in states:
            return paused
    if "failed" in states:
        return "failed"
    if "cancelled" in states:
        return "cancelled"
    return "completed"


def order_state(item_states: Iterable[str]) -> str:
    """ServiceOrder.state from its items': open while one is; otherwise one closed state, or partial."""
    states = list(item_states)
    if not states:
        return "acknowledged"
    for open_state in ("held", "pending", "inProgress", "acknowledged"):
        if open_state in states:
            return "inProgress" if open_state == "acknowledged" else open_state
    distinct = set(states)
    if len(distinct) == 1:
        return states[0]
    return "partial"


# -- TMF638 Service and TMF633 ServiceSpecification from the native model -------------------------------

def characteristic(name: str, value: Any) -> dict[str, Any]:
    kind = {bool: "boolean", int: "integer", str: "string", list: "array"}.get(type(value), "object")
    return {"name": name, "valueType": kind, "value": value}


InForce = Mapping[tuple[str, str], tuple[int, int]]  # (service, site) → (down, up) bit/s in force now


def inventory(tenant: str, deployed: Mapping[str, Any], in_force: InForce | None = None) -> list[dict[str, Any]]:
    """The tenant's live services as TMF638 Service objects (without href: the adapter knows its URL).

    `in_force`: the rates a boost or a schedule puts in force now (the engine's `rates_at`); a rate
    shown is what the service runs at, the ordered base rate otherwise."""
    vpns_of: dict[str, list[str]] = {}
    for svc in deployed.get("services", []):
        if svc.get("kind") == "ipvpn":
            for member in svc.get("members", []):
                vpns_of.setdefault(member.get("site"), []).append(svc["name"])
    out = [_access_service(tenant, site, vpns_of.get(site["name"], []), deployed)
           for site in deployed.get("sites", [])]
    out += [_service(tenant, _in_force(svc, in_force or {})) for svc in deployed.get("services", [])]
    return out


def _in_force(svc: Mapping[str, Any], in_force: InForce) -> Mapping[str, Any]:
    if not in_force:
        return svc
    out = dict(svc)
    if svc["kind"] == "internet" and (svc["name"], svc.get("site")) in in_force:
        out["rate"], up = in_force[(svc["name"], svc["site"])]
        if "up" in svc:
            out["up"] = up
    elif svc["kind"] == "eline" and (svc["name"], svc.get("a")) in in_force:
        out["rate"] = in_force[(svc["name"], svc["a"])][0]
    elif svc["kind"] == "ipvpn":
        out["members"] = [{**m, "rate": in_force[(svc["name"], m["site"])][0]}
                          if (svc["name"], m.get("site")) in in_force and "rate" in m else m
                          for m in svc.get("members", [])]
    return out


def _base(tenant: str, spec: str, name: str) -> dict[str, Any]:
    return {"id": service_id(tenant, spec, name), "name": name, "category": spec,
            "serviceType": "RFS" if spec == ACCESS else "CFS", "state": "active", "isServiceEnabled": True,
            "hasStarted": True, "isStateful": True,
            "serviceSpecification": {"id": spec, "name": spec, "@referredType": "ServiceSpecification"},
            "relatedParty": [{"id": tenant, "name": tenant, "role": "customer", "@referredType": "Organization"}],
            "@type": "Service"}


def _access_service(tenant: str, site: Mapping[str, Any], vpns: list[str], deployed: Mapping[str, Any]
                    ) -> dict[str, Any]:
    access = site.get("access", {})
    chars = [characteristic("pop", site.get("pop"))]
    if site.get("router"):
        chars.append(characteristic("router", site["router"]))
    chars += [characteristic(k, access[k]) for k in _ACCESS_KEYS if k in access]
    chars.append(characteristic("vpnMembership", sorted(vpns)))
    out = _base(tenant, ACCESS, site["name"])
    out["serviceCharacteristic"] = chars
    out["place"] = [{"id": site["name"], "name": site["name"], "role": "installationSite", "@referredType": "Site"}]
    return out


def _service(tenant: str, svc: Mapping[str, Any]) -> dict[str, Any]:
    kind = svc["kind"]
    out = _base(tenant, kind, svc["name"])
    out["serviceCharacteristic"] = [characteristic(k, svc[k]) for k in CHARACTERISTICS[kind] if k in svc]
    sites = [svc.get("site")] if kind == "internet" else [svc.get("a"), svc.get("b")] if kind == "eline" else \
        [m.get("site") for m in svc.get("members", [])]
    sites = [s for s in sites if s]
    out["place"] = [{"id": s, "name": s, "role": "serviceSite", "@referredType": "Site"} for s in sites]
    out["supportingService"] = [{"id": service_id(tenant, ACCESS, s), "name": s, "@referredType": "Service"}
                                for s in sites]
    return out


def specifications() -> list[dict[str, Any]]:
    """The catalog's specifications (TMF633 ServiceSpecification), without href."""
    described = {kind.value: spec.description for kind, spec in SERVICE_SPECIFICATIONS.items()}
    described[ACCESS] = "A customer site and its access line (technology, port, committed rates down/up)"
    out = []
    for spec in SPEC_IDS:
        out.append({"id": spec, "name": spec, "description": described[spec], "version": "1",
                    "lifecycleStatus": "Active", "isBundle": False, "@type": "ServiceSpecification",
                    "specCharacteristic": [_spec_characteristic(spec, name, kind, text)
                                           for name, (kind, text) in CHARACTERISTICS[spec].items()]})
    return out


def _spec_characteristic(spec: str, name: str, kind: str, text: str) -> dict[str, Any]:
    value_type = {"bps": "integer", "list": "array"}.get(kind, kind)
    out: dict[str, Any] = {"name": name, "description": text, "valueType": value_type,
                           "configurable": (spec, name) not in READ_ONLY,
                           "minCardinality": 1 if name in REQUIRED[spec] else 0, "maxCardinality": 1,
                           "@type": "CharacteristicSpecification"}
    if kind == "bps":
        out["characteristicValueSpecification"] = [{"valueType": "integer", "unitOfMeasure": "bit/s",
                                                    "valueFrom": 1, "isDefault": False}]
    return out


# -- the stored order as TMF641 shows it -------------------------------------------------------------------

ORDER_ATTRIBUTES = ("externalId", "description", "category", "priority", "notificationContact",
                    "requestedStartDate", "requestedCompletionDate", "note", "relatedParty", "externalReference",
                    "orderRelationship", "@baseType", "@schemaLocation")
PATCHABLE = ("externalId", "description", "category", "priority", "notificationContact", "note",
             "requestedCompletionDate", "relatedParty", "externalReference")
_DATES = ("orderDate", "startDate", "completionDate", "expectedCompletionDate", "cancellationDate")
ORDERING = "/tmf-api/serviceOrdering/v4"
INVENTORY = "/tmf-api/serviceInventory/v4"
CATALOG = "/tmf-api/serviceCatalogManagement/v4"


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def render_order(order_id: str, state: str, stored: Mapping[str, Any], base: str = "") -> dict[str, Any]:
    """A stored service order as a TMF641 ServiceOrder; hrefs under `base` (scheme://host, or "")."""
    out: dict[str, Any] = {"id": order_id, "href": f"{base}{ORDERING}/serviceOrder/{order_id}", "state": state}
    out.update({k: stored["order"][k] for k in ORDER_ATTRIBUTES if k in stored["order"]})
    out.update({k: stored[k] for k in (*_DATES, "cancellationReason") if stored.get(k)})
    if stored.get("errorMessage"):
        out["errorMessage"] = stored["errorMessage"]
    out["serviceOrderItem"] = [_render_item(item, base) for item in stored["items"]]
    out["@type"] = "ServiceOrder"
    return out


def _render_item(item: Mapping[str, Any], base: str) -> dict[str, Any]:
    service = dict(item["service"])
    if item.get("service_id"):
        service["id"] = item["service_id"]
        service["href"] = f"{base}{INVENTORY}/service/{item['service_id']}"
    service.setdefault("@type", "Service")
    out = {"id": item["id"], "action": item["action"], "state": item["state"], "service": service,
           "@type": "ServiceOrderItem"}
    return out


def tmf_event(event_type: str, event_id: str, at: datetime, key: str, resource: dict[str, Any]) -> dict[str, Any]:
    """A TM Forum event (TMF641/638 notification structure)."""
    return {"eventId": event_id, "eventTime": iso(at), "eventType": event_type, "timeOcurred": iso(at),
            "event": {key: resource}}
