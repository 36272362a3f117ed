"""TMF641 service orders: one order is one intent change, planned then applied by the same use cases as
the native API (`change_plans.plan_change`, `plan_applying.apply_plan`); its field work is the native
orders that change raised, and the TMF order follows them (`native_order_moved`, called by
`order_moves` in the order's own transaction).

- create: the items are translated (`services.tmf_mapping`), the order is stored `acknowledged` with
  a ServiceOrderCreateEvent, then planned and applied. A refusal by the engine (a rate over the
  access, no capacity, a stale intent) makes it `failed`, the item the error points at carrying the
  reason. Applied, each item is `completed`, or follows its sites' field work (inProgress, held,
  pending), and the order with them; a future `requestedStartDate` makes rate changes schedules of
  the intent (applied at that time by the scheduler; the order is inProgress until then).
- cancel (`cancelServiceOrder`): the open field work is cancelled through `order_moves.cancel_order`,
  a schedule not yet started is taken out of the intent; items done stay done (the order is then
  `partial`).
- every state change records a ServiceOrderStateChangeEvent (and, for items that complete, the TMF638
  Service event) as outbox rows in the change's own transaction, delivered like every event
  (webhooks of the TMF hubs: `usecases.tmf_hubs`).

A read of an open order checks its native orders again (an order moved by a process that never
loaded this module still moves the TMF order, at the latest when it is read).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from unilink.engine import orders as engine_orders
from unilink.engine import versions as intent_versions
from unilink.errors import ConflictError, InfeasibleError, NotFoundError, UnilinkError, ValidationError
from unilink.events import change_events
from unilink.events.outbox_delivery import deliver_pending
from unilink.services import tmf_mapping as tmf
from unilink.store import orders_repo, tmf_repo
from unilink.usecases import order_moves
from unilink.usecases.change_plans import plan_change
from unilink.usecases.plan_applying import apply_plan

SERVICE_EVENT = {"add": "ServiceCreateEvent", "modify": "ServiceAttributeValueChangeEvent",
                 "delete": "ServiceDeleteEvent"}


def _not_found(order_id: str) -> NotFoundError:
    return NotFoundError("no such service order", field="id", value=order_id,
                         accepted="the id of one of your service orders")


# -- create ------------------------------------------------------------------------------------------------

def create_order(store: Any, tenant: str, body: dict[str, Any], *, actor: str, now: datetime | None = None
                 ) -> dict[str, Any]:
    """Create, plan and apply a service order for `tenant`; the order as stored now (see render)."""
    now = now or store.clock.now()
    attributes = _attributes(body)
    start = _date(attributes.get("requestedStartDate"), "requestedStartDate")
    _date(attributes.get("requestedCompletionDate"), "requestedCompletionDate")
    scheduled = start if start is not None and start > now else None
    with store.session() as session:
        head = intent_versions.tenant_intent_head(session, tenant)
        tenant_key = tmf_repo.tenant_id(session, tenant)
    if tenant_key is None:
        raise NotFoundError("no such tenant", field="tenant", value=tenant, accepted="an existing tenant")
    document = head.document or {}
    edits = tmf.parse_items(body, _known(tenant, document))
    order_id = str(uuid.uuid4())
    translated = tmf.translate(document, edits, tenant=tenant, schedule_at=scheduled, order_id=order_id)
    stored = {"order": attributes, "orderDate": tmf.iso(now), "events": 0,
              "scheduledAt": tmf.iso(scheduled) if scheduled else None,
              "items": [_stored_item(tenant, edit, body["serviceOrderItem"][i], translated.item_sites)
                        for i, edit in enumerate(edits)]}
    with store.session(write=True) as session:
        _event(session, tenant, "ServiceOrderCreateEvent", order_id, "acknowledged", stored, now)
        tmf_repo.add_order(session, order_id=order_id, tenant_id=tenant_key, state="acknowledged",
                           document=stored, at=now)
    # the create event goes out with the apply's events (the outbox keeps their order)
    _plan_and_apply(store, tenant, order_id, translated, head.version, actor=actor, now=now)
    return get_order(store, order_id, tenant)


def _attributes(body: dict[str, Any]) -> dict[str, Any]:
    attributes = {k: body[k] for k in tmf.ORDER_ATTRIBUTES if k in body}
    for key in ("externalId", "description", "category", "priority", "notificationContact"):
        value = attributes.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > 500):
            raise ValidationError("not a short text", field=key, value=value,
                                  accepted="a string of at most 500 characters")
    for key in ("note", "relatedParty", "externalReference", "orderRelationship"):
        if key in attributes and not isinstance(attributes[key], list):
            raise ValidationError("not a list", field=key, value=attributes[key], accepted="a list of objects")
    return attributes


def _date(value: Any, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValidationError("not a date-time with a zone", field=field, value=value,
                              accepted="an RFC 3339 date-time, e.g. 2027-01-15T08:00:00Z")
    return moment


def _known(tenant: str, document: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """TMF638 id → (spec, name) of what the tenant's latest intent holds."""
    known = {tmf.service_id(tenant, tmf.ACCESS, s["name"]): (tmf.ACCESS, s["name"]) for s in document.get("sites", [])}
    known.update({tmf.service_id(tenant, s["kind"], s["name"]): (s["kind"], s["name"])
                  for s in document.get("services", [])})
    return known


def _stored_item(tenant: str, edit: tmf.Edit, sent: dict[str, Any], sites: dict[str, tuple[str, ...]]
                 ) -> dict[str, Any]:
    return {"id": edit.item_id, "action": edit.action, "state": "acknowledged", "service": sent["service"],
            "spec": edit.spec, "name": edit.name, "sites": list(sites.get(edit.item_id, ())),
            "service_id": tmf.service_id(tenant, edit.spec, edit.name)}


def _plan_and_apply(store: Any, tenant: str, order_id: str, translated: tmf.Translated, base: int, *, actor: str,
                    now: datetime) -> None:
    try:
        plan = plan_change(store, tenant, translated.document, actor=actor, base_version=base, now=now)
        result = apply_plan(store, plan.id, actor=actor, reason=f"TMF641 serviceOrder {order_id}", now=now,
                            confirm_removals=translated.removes)
    except (ValidationError, InfeasibleError, ConflictError) as exc:
        _refused(store, order_id, exc, translated.owners, now)
        return
    natives = [engine_orders.get_order(store, nid) for nid in result.orders]
    with store.session(write=True) as session:
        row, name = _locked(session, order_id)
        for native in natives:
            tmf_repo.link(session, order_id, native["id"], native["site"])
        stored = dict(row.document)
        if natives:  # the field work's due date: when the last line is due
            due = max(datetime.fromisoformat(n["due_at"]) for n in natives)
            stored["expectedCompletionDate"] = tmf.iso(due)
        tmf_repo.save_order(session, row, state=row.state, document=stored, at=now, plan_id=plan.id)
        _refresh(session, row, name, now)
    deliver_pending(store)


def _refused(store: Any, order_id: str, exc: UnilinkError, owners: dict[str, str], now: datetime) -> None:
    culprit = tmf.owner_of(exc.field, owners)
    with store.session(write=True) as session:
        row, tenant = _locked(session, order_id)
        stored = dict(row.document)
        items = []
        for item in stored["items"]:
            reason = str(exc) if culprit in (None, item["id"]) else f"not applied: item {culprit} was refused"
            items.append({**item, "state": "failed", "reason": reason})
        failed = [i for i in items if culprit in (None, i["id"])]
        stored["items"] = items
        stored["errorMessage"] = {"code": exc.http_status, "reason": type(exc).__name__.removesuffix("Error"),
                                  "message": str(exc), "@type": "ServiceOrderErrorMessage",
                                  "serviceOrderItem": [{"id": i["id"], "action": i["action"], "service": i["service"]}
                                                       for i in failed]}
        stored["completionDate"] = tmf.iso(now)
        _event(session, tenant, "ServiceOrderStateChangeEvent", order_id, "failed", stored, now)
        tmf_repo.save_order(session, row, state="failed", document=stored, at=now)
    deliver_pending(store)


# -- the state machine ------------------------------------------------------------------------------------

def _locked(session: Any, order_id: str) -> tuple[Any, str]:
    found = tmf_repo.order(session, order_id, for_update=True)
    if found is None:
        raise _not_found(order_id)
    return found


def _refresh(session: Any, row: Any, tenant: str, now: datetime, moved: dict[str, str] | None = None) -> None:
    """Bring an open order's items and state in line with its field work (and its schedule's time)."""
    if row.state in tmf.CLOSED:
        return
    native: dict[str, list[str]] = {}
    for nid, site in tmf_repo.links(session, row.id):
        state = (moved or {}).get(nid)
        if state is None:
            found = orders_repo.order(session, nid)
            state = found[0].state if found else "cancelled"
        native.setdefault(site, []).append(state)
    stored = dict(row.document)
    waiting = stored.get("scheduledAt") and datetime.fromisoformat(
        stored["scheduledAt"].replace("Z", "+00:00")) > now
    items, completed = [], []
    for item in stored["items"]:
        state = item["state"] if item["state"] in ("failed", "cancelled") else \
            "inProgress" if waiting else tmf.item_state(item["sites"], native)
        if state == "completed" and item["state"] != "completed":
            completed.append(item)
        items.append({**item, "state": state})
    state = tmf.order_state(i["state"] for i in items)
    if state == row.state and items == stored["items"]:
        return
    stored["items"] = items
    if row.state == "acknowledged" and state != "acknowledged":
        stored.setdefault("startDate", tmf.iso(now))
    if state in tmf.CLOSED:
        stored["completionDate"] = tmf.iso(now)
    for item in completed:
        _service_event(session, tenant, row.id, item, stored, now)
    if state != row.state:
        _event(session, tenant, "ServiceOrderStateChangeEvent", row.id, state, stored, now)
    tmf_repo.save_order(session, row, state=state, document=stored, at=now)  # after the events: their count


def native_order_moved(session: Any, native_order_id: str, state: str, *, now: datetime) -> None:
    """A field-work order moved (in its own transaction): the TMF orders waiting for it move too."""
    for order_id in tmf_repo.orders_following(session, native_order_id):
        found = tmf_repo.order(session, order_id)
        if found is not None:
            _refresh(session, found[0], found[1], now, {native_order_id: state})


def _event(session: Any, tenant: str, event_type: str, order_id: str, state: str, stored: dict[str, Any],
           now: datetime) -> None:
    stored["events"] = int(stored.get("events", 0)) + 1
    body = tmf.tmf_event(event_type, f"{order_id}-{stored['events']}", now, "serviceOrder",
                         tmf.render_order(order_id, state, stored))
    change_events.record(session, event_type, tenant=tenant, data=body, at=now)


def _service_event(session: Any, tenant: str, order_id: str, item: dict[str, Any], stored: dict[str, Any],
                   now: datetime) -> None:
    event_type = SERVICE_EVENT.get(item["action"])
    if event_type is None:
        return
    stored["events"] = int(stored.get("events", 0)) + 1
    service = {"id": item["service_id"], "href": f"{tmf.INVENTORY}/service/{item['service_id']}",
               "name": item["name"], "category": item["spec"],
               "state": "terminated" if item["action"] == "delete" else "active",
               "serviceSpecification": {"id": item["spec"], "name": item["spec"]}, "@type": "Service"}
    change_events.record(session, event_type, tenant=tenant, at=now,
                         data=tmf.tmf_event(event_type, f"{order_id}-{stored['events']}", now, "service", service))


# -- reads ---------------------------------------------------------------------------------------------------

def get_order(store: Any, order_id: str, caller_tenant: str | None, *, now: datetime | None = None
              ) -> dict[str, Any]:
    """(The stored order with its state) when the caller may see it; an open one is brought up to date."""
    now = now or store.clock.now()
    with store.session() as session:
        found = tmf_repo.order(session, order_id)
        if found is None or (caller_tenant is not None and found[1] != caller_tenant):
            raise _not_found(order_id)
        if found[0].state not in tmf.CLOSED:
            found = None
        else:
            return {"id": order_id, "tenant": found[1], "state": found[0].state, "stored": found[0].document}
    with store.session(write=True) as session:
        row, tenant = _locked(session, order_id)
        _refresh(session, row, tenant, now)
        out = {"id": order_id, "tenant": tenant, "state": row.state, "stored": dict(row.document)}
    deliver_pending(store)
    return out


def list_orders(store: Any, scope: str | None, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Every order of `scope` (None: every tenant's), oldest first, open ones brought up to date."""
    with store.session() as session:
        rows = [(row.id, row.state, name, row.document) for row, name in tmf_repo.orders(session, scope)]
    return [get_order(store, oid, None, now=now) if state not in tmf.CLOSED else
            {"id": oid, "tenant": name, "state": state, "stored": document} for oid, state, name, document in rows]


# -- patch ---------------------------------------------------------------------------------------------------

def patch_order(store: Any, order_id: str, caller_tenant: str | None, patch: dict[str, Any], *,
                now: datetime | None = None) -> dict[str, Any]:
    """Change an order's descriptive attributes (ServiceOrder_Update); state and items are the engine's."""
    now = now or store.clock.now()
    for key in patch:
        if key not in tmf.PATCHABLE:
            raise ValidationError("not a patchable attribute of a service order", field=key, value=patch[key],
                                  accepted=", ".join(tmf.PATCHABLE) + " (cancel with POST cancelServiceOrder)")
    checked = _attributes(patch)
    _date(checked.get("requestedCompletionDate"), "requestedCompletionDate")
    get_order(store, order_id, caller_tenant, now=now)  # 404 for another tenant's
    with store.session(write=True) as session:
        row, tenant = _locked(session, order_id)
        stored = dict(row.document)
        stored["order"] = {**stored["order"], **checked}
        if checked:
            _event(session, tenant, "ServiceOrderAttributeValueChangeEvent", order_id, row.state, stored, now)
        tmf_repo.save_order(session, row, state=row.state, document=stored, at=now)
    deliver_pending(store)
    return get_order(store, order_id, caller_tenant, now=now)


# -- cancel --------------------------------------------------------------------------------------------------

def cancel_order(store: Any, caller_tenant: str | None, body: dict[str, Any], *, actor: str,
                 now: datetime | None = None) -> dict[str, Any]:
    """A CancelServiceOrder request, carried out at once: the open field work and a schedule not yet
    started are cancelled; the request answers `done`. A closed order cannot be cancelled (409)."""
    now = now or store.clock.now()
    ref = body.get("serviceOrder")
    order_id = ref.get("id") if isinstance(ref, dict) else None
    if not isinstance(order_id, str) or not order_id:
        raise ValidationError("a cancellation names the service order", field="serviceOrder.id", value=order_id,
                              accepted="{\"serviceOrder\": {\"id\": \"<the order's id>\"}}")
    reason = body.get("cancellationReason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 500):
        raise ValidationError("not a short text", field="cancellationReason", value=reason,
                              accepted="a string of at most 500 characters")
    _date(body.get("requestedCancellationDate"), "requestedCancellationDate")
    try:
        current = get_order(store, order_id, caller_tenant, now=now)
    except NotFoundError:  # TMF641 answers a create with 400, not 404: the same for another tenant's order
        raise ValidationError("no such service order", field="serviceOrder.id", value=order_id,
                              accepted="the id of one of your service orders") from None
    if current["state"] in tmf.CLOSED:
        raise ConflictError(f"the service order is already {current['state']}", field="serviceOrder.id",
                            value=order_id, accepted="an order that is not completed, failed, cancelled or partial")
    tenant = current["tenant"]
    with store.session() as session:
        natives = [nid for nid, _ in tmf_repo.links(session, order_id)]
    for nid in natives:
        if engine_orders.get_order(store, nid)["state"] not in ("completed", "failed", "cancelled"):
            order_moves.cancel_order(store, nid, actor=actor, now=now)
    if current["stored"].get("scheduledAt"):
        _unschedule(store, tenant, order_id, actor=actor, now=now)
    cancel_id = str(uuid.uuid4())
    with store.session(write=True) as session:
        row, _ = _locked(session, order_id)
        stored = dict(row.document)
        stored["items"] = [{**i, "state": "cancelled"} if i["state"] not in tmf.CLOSED else i for i in stored["items"]]
        stored["cancellationDate"] = tmf.iso(now)
        if reason:
            stored["cancellationReason"] = reason
        stored["completionDate"] = tmf.iso(now)
        state = tmf.order_state(i["state"] for i in stored["items"])
        if state != row.state:
            _event(session, tenant, "ServiceOrderStateChangeEvent", order_id, state, stored, now)
        tmf_repo.save_order(session, row, state=state, document=stored, at=now)
        request = {"serviceOrder": {"id": order_id, "href": f"{tmf.ORDERING}/serviceOrder/{order_id}",
                                    "@referredType": "ServiceOrder"},
                   "state": "done", "effectiveCancellationDate": tmf.iso(now)}
        if reason:
            request["cancellationReason"] = reason
        if body.get("requestedCancellationDate"):
            request["requestedCancellationDate"] = body["requestedCancellationDate"]
        tmf_repo.add_cancel(session, cancel_id=cancel_id, tenant_id=row.tenant_id, service_order_id=order_id,
                            document=request, at=now)
        for event_type in ("CancelServiceOrderCreateEvent", "CancelServiceOrderStateChangeEvent"):
            change_events.record(session, event_type, tenant=tenant, at=now, data=tmf.tmf_event(
                event_type, f"{cancel_id}-{event_type}", now, "cancelServiceOrder", {"id": cancel_id, **request}))
    deliver_pending(store)
    return {"id": cancel_id, "tenant": tenant, **request}


def _unschedule(store: Any, tenant: str, order_id: str, *, actor: str, now: datetime) -> None:
    """Take the order's schedules out of the tenant's intent (a plan applied like any change)."""
    prefix = f"tmf-{order_id[:8]}-"
    with store.session() as session:
        head = intent_versions.tenant_intent_head(session, tenant)
    document = dict(head.document or {})
    kept = [s for s in document.get("schedules", []) if not str(s.get("name", "")).startswith(prefix)]
    if len(kept) == len(document.get("schedules", [])):
        return
    document["schedules"] = kept
    document.pop("tenant", None)
    plan = plan_change(store, tenant, document, actor=actor, base_version=head.version, now=now)
    apply_plan(store, plan.id, actor=actor, reason=f"TMF641 cancelServiceOrder {order_id}", now=now)


def get_cancel(store: Any, cancel_id: str, caller_tenant: str | None) -> dict[str, Any]:
    with store.session() as session:
        found = tmf_repo.cancel(session, cancel_id)
        if found is None or (caller_tenant is not None and found[1] != caller_tenant):
            raise NotFoundError("no such cancellation request", field="id", value=cancel_id,
                                accepted="the id of one of your cancelServiceOrder requests")
        return {"id": cancel_id, "tenant": found[1], **found[0].document}


def list_cancels(store: Any, scope: str | None) -> list[dict[str, Any]]:
    with store.session() as session:
        return [{"id": row.id, "tenant": name, **row.document} for row, name in tmf_repo.cancels(session, scope)]
