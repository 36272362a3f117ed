"""Optimistic concurrency on a tenant's intent: a write or a plan names the version it starts from.

Two colleagues who both read intent version 3, each add a service and apply would otherwise each
remove the other's service (the second plan is made from a document without the first one's
change). So `GET /intent` answers the version (ETag), and a plan made from a base that is no longer
the latest intent version is refused, naming the newer version, who wrote it and when — as HTTP's
If-Match, Kubernetes' resourceVersion or etcd's compare-and-swap do. A plan given no base is
accepted (last write wins, as a Kubernetes PUT without resourceVersion): older clients keep
working; the CLI and the portal always send one. The base is checked again when the plan is applied.
"""

from __future__ import annotations

from typing import Any

from unilink.errors import ConflictError, ValidationError
from unilink.store.intents import IntentHead
from unilink.store.intents import tenant_intent_head as _tenant_intent_head

BASE_FIELD = "base_version"


def check_base(head: IntentHead, base_version: int | None, *, field: str = BASE_FIELD) -> None:
    """ConflictError when `base_version` is given and is not the latest intent version `head`."""
    if base_version is None or base_version == head.version:
        return
    if base_version > head.version:
        raise ValidationError("there is no such intent version yet", field=field, value=base_version,
                              accepted=f"the latest version, {head.version} (GET /intent answers it as ETag)")
    who = f" by {head.actor}" if head.actor else ""
    when = f" at {head.created_at.isoformat()}" if head.created_at else ""
    raise ConflictError(f"the intent changed since version {base_version}: version {head.version} was written"
                        f"{who}{when}; read it again (GET /intent, `unilink intent export`), redo the change "
                        f"on it and plan again", field=field, value=base_version, accepted=str(head.version))


def check_base_of(session: Any, tenant: str, base_version: int | None, *, field: str = BASE_FIELD) -> None:
    if base_version is not None:
        check_base(_tenant_intent_head(session, tenant), base_version, field=field)


def pop_base_version(document: dict[str, Any], *, field: str = BASE_FIELD) -> tuple[dict[str, Any], int | None]:
    """An intent document without its `base_version` key, and that version (None when absent)."""
    if BASE_FIELD not in document:
        return document, None
    rest = {k: v for k, v in document.items() if k != BASE_FIELD}
    return rest, parse_version(document[BASE_FIELD], field=field)


def parse_version(value: Any, *, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit() \
            or not 0 <= int(value) < 2**31:
        raise ValidationError("is not an intent version", field=field, value=value,
                              accepted="a whole number ≥ 0: the version you read (0 when there was no intent)")
    return int(value)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch of `target` by `patch` (a new value; neither is changed).

    Written here rather than taken from PyPI: the RFC's algorithm is these few lines, and the
    packages that do it (json-merge-patch, json_merge_patch) are small, rarely released, and would
    be one more dependency to audit for ten lines."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def tenant_intent_head(session: Any, tenant: str) -> IntentHead:
    """The latest intent version of `tenant` (re-exported for the API: its SQL lives in store.intents)."""
    return _tenant_intent_head(session, tenant)
