"""The same change made through the API, the CLI, the portal and the scheduler records the same history
and the same events (outbox rows, delivered as events), because each calls the same application service.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner
from usecase_world import TENANT, copy_of, document, marks, recorded, the_change

from unilink.api.app import create_app
from unilink.cli.main import app as cli_app
from unilink.engine.orders import list_orders
from unilink.store.db import Store
from unilink.store.tables.auth import AuditRow
from unilink.usecases.change_plans import plan_change
from unilink.usecases.order_moves import move_order
from unilink.usecases.plan_applying import apply_plan
from unilink.usecases.scheduled_changes import run_due

Template = tuple[Path, dict[str, str]]


@pytest.fixture
def world(usecase_template: Template, tmp_path: Path) -> Iterator[tuple[Store, dict[str, str]]]:
    template, tokens = usecase_template
    store = copy_of(template, tmp_path)
    try:
        yield store, tokens
    finally:
        store.close()


def _client(store: Store) -> TestClient:
    return TestClient(create_app(store, rate_limit="off", deliver_webhooks=False), follow_redirects=False)


def _auth(tokens: dict[str, str], who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[who]}"}


def _audited(store: Store, path_end: str) -> list[AuditRow]:
    with store.session() as session:
        return list(session.scalars(select(AuditRow).where(AuditRow.path.endswith(path_end))))


# -- the change, once per entry point ----------------------------------------------------------------

def _by_service(store: Store) -> str:
    """The application service itself: the reference every entry point must match."""
    made = plan_change(store, TENANT, the_change(), actor="alice")
    apply_plan(store, made.id, actor="alice", reason="more bandwidth")
    return made.id


def _by_api(store: Store, tokens: dict[str, str]) -> str:
    with _client(store) as client:
        made = client.post("/api/v1/plans", json=the_change(), headers=_auth(tokens, "acme-admin"))
        assert made.status_code == 201, made.text
        plan_id = made.json()["id"]
        applied = client.post(f"/api/v1/plans/{plan_id}/apply", json={"reason": "more bandwidth"},
                              headers=_auth(tokens, "acme-admin"))
        assert applied.status_code == 200, applied.text
    assert [(a.tenant, a.status) for a in _audited(store, f"/plans/{plan_id}/apply")] == [(TENANT, 200)]
    return plan_id


def _by_cli(store: Store, tmp_path: Path) -> str:
    intent = tmp_path / "change.json"
    intent.write_text(json.dumps(the_change()), encoding="utf-8")
    runner = CliRunner()
    env = {"UNILINK_DATABASE_URL": store.url, "UNILINK_API": None, "UNILINK_TOKEN": None}
    made = runner.invoke(cli_app, ["plan", "-f", str(intent), "--tenant", TENANT, "--json"], env=env)
    assert made.exit_code == 0, made.output
    plan_id = json.loads(made.output)["id"]
    applied = runner.invoke(cli_app, ["apply", plan_id, "--reason", "more bandwidth", "--json"], env=env)
    assert applied.exit_code == 0, applied.output
    return plan_id


def _by_portal(store: Store, tokens: dict[str, str]) -> str:
    made = plan_change(store, TENANT, the_change(), actor="alice")  # the site form changes one site at a time
    with _client(store) as client:
        signed = client.post("/portal/sign-in", data={"token": tokens["acme-admin"], "next": "/portal/sites"})
        assert signed.status_code == 303
        applied = client.post(f"/portal/plans/{made.id}/apply", data={"reason": "more bandwidth"})
        assert applied.status_code == 303 and "/portal/history?applied=" in applied.headers["location"]
    assert [(a.tenant, a.status) for a in _audited(store, f"/portal/plans/{made.id}/apply")] == [(TENANT, 303)]
    return made.id


def _essentials(record: dict[str, Any]) -> dict[str, Any]:
    """The topics in order, and what each event says (the payloads' essentials)."""
    return {"topics": [row["topic"] for row in record["outbox"]],
            "events": [(e["type"], e["tenant"], e["data"].get("state"), e["data"].get("link"))
                       for e in record["events"]]}


def test_the_service_records_the_change_its_orders_and_the_capacity_alarms(world: tuple[Store, dict[str, str]]
                                                                          ) -> None:
    store, _ = world
    start = marks(store)
    _by_service(store)
    record = recorded(store, **start)
    assert [(h["action"], h["reason"], h["intent_version"]) for h in record["history"]] == [
        ("apply", "more bandwidth", 2)]
    assert _essentials(record) == {
        "topics": ["change.applied", "order.stateChanged", "capacity.alarm", "capacity.alarm"],
        "events": [("change.applied", TENANT, None, None), ("order.stateChanged", TENANT, "acknowledged", None),
                   ("capacity.alarm", None, None, "Paris-London"), ("capacity.alarm", None, None, "Paris-London")]}
    assert all(row["delivered"] for row in record["outbox"])  # delivered once the apply committed


@pytest.mark.parametrize("entry", ["api", "cli", "portal"])
def test_every_entry_point_records_what_the_service_records(entry: str, world: tuple[Store, dict[str, str]],
                                                            usecase_template: Template, tmp_path: Path) -> None:
    store, tokens = world
    start = marks(store)
    if entry == "api":
        _by_api(store, tokens)
    elif entry == "cli":
        _by_cli(store, tmp_path)
    else:
        _by_portal(store, tokens)
    reference_dir = tmp_path / "reference"
    reference_dir.mkdir()
    reference = copy_of(usecase_template[0], reference_dir)
    try:
        _by_service(reference)
        expected = recorded(reference, **start)
    finally:
        reference.close()
    assert recorded(store, **start) == expected


def _order_of(store: Store) -> str:
    return next(o["id"] for o in list_orders(store, TENANT, open_only=True))


@pytest.mark.parametrize("entry", ["api", "cli"])
def test_completing_an_order_records_the_same_through_api_and_cli(entry: str, world: tuple[Store, dict[str, str]],
                                                                  usecase_template: Template,
                                                                  tmp_path: Path) -> None:
    store, tokens = world
    _by_service(store)
    order = _order_of(store)
    move_order(store, order, "inProgress", actor="field-team")
    start = marks(store)
    if entry == "api":
        with _client(store) as client:
            done = client.post(f"/api/v1/orders/{order}/state", json={"state": "completed"},
                               headers=_auth(tokens, "op-admin"))
            assert done.status_code == 200, done.text
            assert done.json()["applied"]["tenant"] == TENANT
    else:
        env = {"UNILINK_DATABASE_URL": store.url, "UNILINK_API": None, "UNILINK_TOKEN": None}
        done = CliRunner().invoke(cli_app, ["orders", "complete", order, "--json"], env=env)
        assert done.exit_code == 0, done.output
    reference_dir = tmp_path / "reference"
    reference_dir.mkdir()
    reference = copy_of(usecase_template[0], reference_dir)
    try:
        _by_service(reference)
        same = _order_of(reference)
        move_order(reference, same, "inProgress", actor="field-team")
        move_order(reference, same, "completed", actor="field-team")
        expected = recorded(reference, **start)
    finally:
        reference.close()
    got = recorded(store, **start)
    assert got == expected
    assert _essentials(got)["topics"] == ["order.stateChanged", "change.applied"]
    assert [e["data"].get("state") for e in got["events"]] == ["completed", None]


def test_the_scheduler_records_a_change_as_any_apply_does(world: tuple[Store, dict[str, str]],
                                                         usecase_template: Template, tmp_path: Path) -> None:
    """A boost that ends: the scheduler's apply records what an apply of the same plan by hand records."""
    store = world[0]
    now = store.clock.now()
    boosted = document("1G", annex=False)
    until = now + timedelta(hours=3)
    boosted["boosts"] = [{"service": "par-lon", "rate": "2G", "until": until.isoformat()}]
    made = plan_change(store, TENANT, boosted, actor="alice")
    apply_plan(store, made.id, actor="alice", reason="month end")
    start = marks(store)
    fired = run_due(store, until)
    assert [(f.reason, f.error) for f in fired] == [("rates change", None)]

    reference = copy_of(usecase_template[0], _fresh(tmp_path / "reference"))
    try:  # the same two changes, the second applied by hand as the scheduler would
        first = plan_change(reference, TENANT, boosted, actor="alice")
        apply_plan(reference, first.id, actor="alice", reason="month end")
        back = plan_change(reference, TENANT, {**boosted, "boosts": []}, actor="scheduler", now=until)
        apply_plan(reference, back.id, actor="scheduler", reason="rates change", now=until, action="scheduler",
                   confirm_removals=True)
        expected = recorded(reference, **start)
    finally:
        reference.close()
    got = recorded(store, **start)
    assert got == expected
    assert [h["action"] for h in got["history"]] == ["scheduler"]
    assert _essentials(got)["topics"] == ["change.applied"]


def _fresh(directory: Path) -> Path:
    directory.mkdir()
    return directory


def test_ids_in_records_are_anonymised() -> None:
    from usecase_world import IDS

    assert IDS.sub("x", "p-20260101120000-0123abcd o-20260101-deadbeef") == "x x"
    assert re.fullmatch(IDS, "p-1") is None
