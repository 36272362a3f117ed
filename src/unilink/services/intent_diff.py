"""What a change does, per site and per service: add, modify, delete or noChange.

Pure: compares two `Intent`s (the deployed one may be empty) and names each changed field with its
value before and after. The engine shows this as the plan's diff; TMF641 calls the same actions
add / modify / delete / noChange on a ServiceOrderItem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from unilink.services.intent import Intent
from unilink.units import format_bandwidth


class Action(StrEnum):
    ADD = "add"
    MODIFY = "modify"
    DELETE = "delete"
    NO_CHANGE = "noChange"


@dataclass(frozen=True, slots=True)
class ItemChange:
    kind: str  # site | internet | ipvpn | eline | boost | schedule
    name: str
    action: Action
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field path → (before, after)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "action": self.action.value,
                "changes": {k: {"before": b, "after": a} for k, (b, a) in self.changes.items()}}


@dataclass(frozen=True, slots=True)
class ChangeSet:
    sites: tuple[ItemChange, ...]
    services: tuple[ItemChange, ...]
    temporaries: tuple[ItemChange, ...]  # boosts and schedules
    subscribers: tuple[ItemChange, ...] = ()  # a cooperative's members' lines (docs/members.md)

    def _items(self) -> tuple[ItemChange, ...]:
        return (*self.sites, *self.services, *self.temporaries, *self.subscribers)

    @property
    def is_empty(self) -> bool:
        return all(c.action is Action.NO_CHANGE for c in self._items())

    def changed(self) -> list[ItemChange]:
        return [c for c in self._items() if c.action is not Action.NO_CHANGE]

    def to_dict(self) -> dict[str, Any]:
        out = {"sites": [c.to_dict() for c in self.sites], "services": [c.to_dict() for c in self.services],
               "temporaries": [c.to_dict() for c in self.temporaries]}
        if self.subscribers:  # only a cooperative's plans have them: other plans' documents stay as they were
            out["subscribers"] = [c.to_dict() for c in self.subscribers]
        return out


def _flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    """{"access": {"down": 1}} → {"access.down": 1}; VPN members keyed by site, not position."""
    flat: dict[str, Any] = {}
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "members" and isinstance(value, list):
                for member in value:
                    rest = {k: v for k, v in member.items() if k != "site"}
                    flat.update(_flatten(rest, f"{prefix}members[{member['site']}]."))
                    flat[f"{prefix}members[{member['site']}]"] = "member"
            else:
                flat.update(_flatten(value, f"{prefix}{key}."))
    else:
        flat[prefix.removesuffix(".")] = node
    return flat


def _compare(kind_of: Any, before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> list[ItemChange]:
    out: list[ItemChange] = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        kind = kind_of(new if new is not None else old)
        if old is None:
            out.append(ItemChange(kind, name, Action.ADD, {k: (None, v) for k, v in _flatten(new).items()}))
        elif new is None:
            out.append(ItemChange(kind, name, Action.DELETE, {k: (v, None) for k, v in _flatten(old).items()}))
        elif old == new:  # most items of a change are untouched: compared in C, not flattened
            out.append(ItemChange(kind, name, Action.NO_CHANGE, {}))
        else:
            fo, fn = _flatten(old), _flatten(new)
            changes = {k: (fo.get(k), fn.get(k)) for k in sorted(set(fo) | set(fn)) if fo.get(k) != fn.get(k)}
            out.append(ItemChange(kind, name, Action.MODIFY if changes else Action.NO_CHANGE, changes))
    return out


def diff_intents(deployed: Intent | None, desired: Intent) -> ChangeSet:
    return diff_documents(deployed.to_document() if deployed is not None else {}, desired.to_document())


def diff_documents(old: dict[str, Any], new: dict[str, Any]) -> ChangeSet:
    """`diff_intents` of two intents' documents (`Intent.to_document()`), for callers that have them."""

    def by_name(doc: dict[str, Any], key: str) -> dict[str, dict[str, Any]]:
        return {item["name"]: item for item in doc.get(key, [])}

    def temporaries(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
        items = {f"schedule {s['name']}": {**s, "_kind": "schedule"} for s in doc.get("schedules", [])}
        for b in doc.get("boosts", []):
            items[f"boost {b['service']}" + (f"@{b['site']}" if "site" in b else "")] = {**b, "_kind": "boost"}
        return items

    def strip_kind(items: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {k: {f: v for f, v in item.items() if f not in ("_kind", "name", "kind")} for k, item in items.items()}

    old_t, new_t = temporaries(old), temporaries(new)
    kinds = {k: v["_kind"] for k, v in {**old_t, **new_t}.items()}
    sites = _compare(lambda _: "site", _without_name(by_name(old, "sites")), _without_name(by_name(new, "sites")))
    svc_old, svc_new = by_name(old, "services"), by_name(new, "services")
    svc_kind = {n: s["kind"] for n, s in {**svc_old, **svc_new}.items()}
    services = _compare(lambda _: "", _without_name(svc_old), _without_name(svc_new))
    services = [ItemChange(svc_kind[c.name], c.name, c.action, c.changes) for c in services]
    temps = _compare(lambda _: "", strip_kind(old_t), strip_kind(new_t))
    temps = [ItemChange(kinds[c.name], c.name, c.action, c.changes) for c in temps]
    lines_old = {s["line"]: {f: v for f, v in s.items() if f != "line"} for s in old.get("subscribers") or []}
    lines_new = {s["line"]: {f: v for f, v in s.items() if f != "line"} for s in new.get("subscribers") or []}
    subscribers = _compare(lambda _: "subscriber", lines_old, lines_new)
    return ChangeSet(tuple(sites), tuple(services), tuple(temps), tuple(subscribers))


def _without_name(items: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {k: {f: v for f, v in item.items() if f not in ("name", "kind")} for k, item in items.items()}


def show_value(value: Any) -> str:
    """A changed field's value for people: "—" for none, rates (int bit/s ≥ 1000) with their unit."""
    if value is None:
        return "—"
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1000:
        return format_bandwidth(value)
    return str(value)
