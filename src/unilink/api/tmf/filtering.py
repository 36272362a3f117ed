"""TMF630 attribute filtering and sorting of list results, on plain dicts (no web framework here).

What a TM Forum client sends (TMF630 REST API Design Guidelines, "Filtering" and "Sorting"):

- `state=completed` — equality; `state=completed,failed` — any of the values;
- `orderDate.gt=2026-01-01T00:00:00Z`, `.gte`, `.lt`, `.lte`, `.eq`, `.ne` — the operator as a suffix;
- `orderDate>=2026-01-01` / `orderDate>2026-01-01` — the same operators written as symbols (the
  query string then splits at `=`, so `a>=b` arrives as key `a>` and value `b`, `a>b` as key `a>b`);
- `sort=-orderDate,id` — sort by attributes, `-` for descending.

Values compare as date-times when both sides are ISO 8601, as numbers when both are numbers, else as
text. A dotted path walks into objects and lists (`serviceSpecification.id`,
`serviceCharacteristic.name`): a list matches when any of its elements does.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from unilink.errors import ValidationError

_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "gte": operator.ge, "lt": operator.lt,
    "lte": operator.le,
}
_SYMBOLS = {">=": "gte", "<=": "lte", ">": "gt", "<": "lt", "!=": "ne"}
_SYMBOL_KEY = re.compile(r"^(?P<path>[^<>]+?)(?P<symbol>>|<)(?P<value>.+)$")
_PATH = re.compile(r"^[A-Za-z@_][A-Za-z0-9@_]*(\.[A-Za-z@_][A-Za-z0-9@_]*)*$")
PATH_ACCEPTED = "an attribute name or dotted path, e.g. state or serviceSpecification.id"


@dataclass(frozen=True)
class Condition:
    """One filter: the attribute path, the operator name (a key of _OPERATORS) and the values."""

    path: str
    op: str
    values: tuple[str, ...]


def parse_condition(key: str, values: Sequence[str]) -> Condition:
    """One query parameter → a Condition; a bad attribute name or operator is a ValidationError."""
    symbol = _SYMBOL_KEY.match(key)
    if key[-1:] in ("<", ">", "!"):  # `a>=b` split at its `=`
        path, op = key[:-1], _SYMBOLS[key[-1] + "="]
    elif symbol:  # `a>b`: no `=`, the whole condition is the key
        path, op, values = symbol["path"], _SYMBOLS[symbol["symbol"]], [symbol["value"]]
    else:
        path, _, op = key.rpartition(".") if key.rsplit(".", 1)[-1] in _OPERATORS else (key, "", "eq")
    if not _PATH.match(path) or len(path) > 100:
        raise ValidationError("not an attribute to filter on", field=key[:100], value=list(values),
                              accepted=PATH_ACCEPTED)
    split = tuple(w for v in values for w in v.split(","))
    if op not in ("eq", "ne") and len(split) != 1:
        raise ValidationError(f"the {op} filter takes one value", field=key[:100], value=list(values),
                              accepted="one value, e.g. orderDate.gt=2026-01-01T00:00:00Z")
    return Condition(path, op, split)


def attribute(resource: dict[str, Any], path: str) -> list[Any]:
    """Every value at a dotted path (a list on the way yields one value per element)."""
    nodes: list[Any] = [resource]
    for part in path.split("."):
        found: list[Any] = []
        for node in nodes:
            if isinstance(node, list):
                found += [n.get(part) for n in node if isinstance(n, dict)]
            elif isinstance(node, dict):
                found.append(node.get(part))
        nodes = found
    flat: list[Any] = []
    for node in nodes:
        flat += node if isinstance(node, list) else [node]
    return [n for n in flat if n is not None]


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)  # booleans as a query writes them


def _typed(value: Any) -> tuple[int, Any]:
    """A value as the filters and the sort compare it: (0, number), (1, instant) or (2, text).

    Every instant is aware (UTC when the text has no zone), so two values of one rank always compare."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, float(value))
    text = _text(value)
    try:
        return (0, float(text))
    except ValueError:
        pass
    try:
        return (1, _datetime(text))
    except ValueError:
        return (2, text)


def _comparable(value: Any, wanted: str) -> tuple[Any, Any]:
    """The pair as the same type: numbers, instants, or — when their kinds differ — text."""
    (value_rank, typed_value), (wanted_rank, typed_wanted) = _typed(value), _typed(wanted)
    return (typed_value, typed_wanted) if value_rank == wanted_rank else (_text(value), wanted)


def _datetime(text: str) -> datetime:
    if not re.match(r"^\d{4}-\d{2}-\d{2}", text):
        raise ValueError(text)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)  # a date without a zone means UTC


def matches(resource: dict[str, Any], condition: Condition) -> bool:
    values = attribute(resource, condition.path)
    if condition.op == "ne":
        return not any(operator.eq(*_comparable(v, w)) for v in values for w in condition.values)
    compare = _OPERATORS[condition.op]
    return any(compare(*_comparable(v, w)) for v in values for w in condition.values)


def sort_key_list(sort: str | None) -> list[tuple[str, bool]]:
    """`sort=-orderDate,id` → [("orderDate", True), ("id", False)] (True = descending)."""
    keys = []
    for part in (p.strip() for p in (sort or "").split(",")):
        if not part:
            continue
        descending, path = part.startswith("-"), part.lstrip("+-")
        if not _PATH.match(path):
            raise ValidationError("not an attribute to sort on", field="sort", value=sort, accepted=PATH_ACCEPTED)
        keys.append((path, descending))
    return keys


def sort_resources(resources: list[dict[str, Any]], keys: list[tuple[str, bool]]) -> list[dict[str, Any]]:
    """Stable sort, last key first; a resource without the attribute sorts after those with it."""
    ordered = list(resources)
    for path, descending in reversed(keys):
        keyed = [(attribute(r, path), r) for r in ordered]
        present = sorted(((v, r) for v, r in keyed if v), key=lambda vr: _typed(vr[0][0]), reverse=descending)
        ordered = [r for _, r in present] + [r for v, r in keyed if not v]
    return ordered
