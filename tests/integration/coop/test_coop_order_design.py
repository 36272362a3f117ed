"""order_design: a coop's connection planned and applied through the engine, its field-work order, and
then an ordinary rate change on its backhaul (issue 13 item 4)."""

from __future__ import annotations

from pathlib import Path

import pytest
from coop_design_world import SPUR, copy_of, fill_spur, make_seeded

from unilink.engine import orders as engine_orders
from unilink.errors import InfeasibleError, ValidationError
from unilink.store import change_repo
from unilink.usecases import tenant_views
from unilink.usecases.capacity_view import link_utilisation
from unilink.usecases.change_plans import plan_change
from unilink.usecases.coop_design import design, order_design
from unilink.usecases.order_moves import move_order
from unilink.usecases.plan_applying import apply_plan

M = 10**6
COOP = "coop-mahieu"
AREA = ["Villiers-le-Mahieu", "Thoiry"]
RING = "Plaisir--Thoiry"  # the first link of the Thoiry candidate's path (10G)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("coop-order") / "seeded.db"
    make_seeded(path)
    return path


@pytest.fixture
def store(template: Path, tmp_path: Path):
    opened = copy_of(template, tmp_path)
    yield opened
    opened.close()


def written(store) -> tuple[int, int, int]:
    """(the coop's intent version, its orders, every tenant's history rows): what an order would change."""
    with store.session() as session:
        version = len(change_repo.intent_document(session, COOP, 10**6)[1])
    return version, len(tenant_views.orders(store, COOP)), len(tenant_views.history(store, None, 10_000))


def by_name(items: list[dict], name: str) -> dict | None:
    return next((x for x in items if x["name"] == name), None)


def test_ordering_the_best_design_then_changing_its_rate(store) -> None:
    made = design(store, communes=AREA, members=120)
    before = written(store)
    result = order_design(store, COOP, made, site_name="backhaul", actor="coop-manager")
    assert result["applied"] and result["site"] == "backhaul" and result["candidate"]["attach"] == "Thoiry"
    assert written(store)[0] == before[0] + 1
    # the intent holds the site at Thoiry, its public-backbone access and the Internet service at 400M
    with store.session() as session:
        intent = change_repo.latest_intent_document(session, COOP)
    site = by_name(intent["sites"], "backhaul")
    assert site["pop"] == "Thoiry" and site["router"] == "thoiry-pe1"
    assert site["access"] == {"technology": "public-backbone", "provider": "Connectis 78", "port": 10**9,
                              "down": 400 * M, "up": 400 * M}
    assert by_name(intent["services"], "backhaul-internet")["rate"] == 400 * M
    assert len(intent["sites"]) == 5  # the four seeded sites stay
    # the new access is field work: one new-access order, and the site waits for it
    [order_id] = result["orders"]
    order = engine_orders.get_order(store, order_id)
    assert (order["kind"], order["site"], order["state"]) == ("new-access", "backhaul", "acknowledged")
    assert by_name(tenant_views.deployed_document(store, COOP)["sites"], "backhaul") is None
    ring_before = link_utilisation(store, [RING])
    # the line is installed: the site and its backhaul go live, booked on the path
    move_order(store, order_id, "inProgress", actor="field")
    move_order(store, order_id, "completed", actor="field")
    deployed = tenant_views.deployed_document(store, COOP)
    assert by_name(deployed["sites"], "backhaul")["pop"] == "Thoiry"
    assert by_name(deployed["services"], "backhaul-internet")["rate"] == 400 * M
    ring_after = link_utilisation(store, [RING])
    assert ring_after[(RING, "ab")] - ring_before[(RING, "ab")] == pytest.approx(400 * M / 10**10)
    # from now on the backhaul is an ordinary service: its rate (and the committed rate of its access, on
    # the same 1G port) changes by an ordinary plan, without field work
    with store.session() as session:
        intent = change_repo.latest_intent_document(session, COOP)
    intent["services"] = [{**s, "rate": 600 * M} if s["name"] == "backhaul-internet" else s
                          for s in intent["services"]]
    intent["sites"] = [{**s, "access": {**s["access"], "down": 600 * M, "up": 600 * M}} if s["name"] == "backhaul"
                       else s for s in intent["sites"]]
    plan = plan_change(store, COOP, intent, actor="coop-manager")
    applied = apply_plan(store, plan.id, actor="coop-manager", reason="more members")
    assert applied.orders == ()
    assert by_name(tenant_views.deployed_document(store, COOP)["services"], "backhaul-internet")["rate"] == 600 * M
    assert link_utilisation(store, [RING])[(RING, "ab")] - ring_before[(RING, "ab")] == pytest.approx(0.06)


def test_an_infeasible_candidate_is_refused_naming_the_bottleneck_and_nothing_is_written(store) -> None:
    fill_spur(store)
    made = design(store, communes=AREA, members=120)
    villiers = next(i for i, c in enumerate(made["candidates"]) if c["attach"] == "Villiers-le-Mahieu")
    before = written(store)
    with pytest.raises(InfeasibleError) as err:
        order_design(store, COOP, made, candidate=villiers, site_name="backhaul", actor="coop-manager")
    assert err.value.details["bottleneck"]["link"] == SPUR
    assert err.value.details["bottleneck"]["free_bps"] == 75 * M
    assert written(store) == before


def test_a_stale_design_is_refused_when_its_path_filled_since(store) -> None:
    made = design(store, communes=AREA, members=120)
    villiers = next(i for i, c in enumerate(made["candidates"]) if c["attach"] == "Villiers-le-Mahieu")
    assert made["candidates"][villiers]["feasible"]
    fill_spur(store)  # after the design
    before = written(store)
    with pytest.raises(InfeasibleError) as err:
        order_design(store, COOP, made, candidate=villiers, site_name="backhaul", actor="coop-manager")
    assert err.value.details["bottleneck"]["link"] == SPUR
    assert written(store) == before


def test_only_a_cooperative_orders_a_coop_connection(store) -> None:
    made = design(store, communes=AREA, members=120)
    before = written(store)
    with pytest.raises(ValidationError) as err:
        order_design(store, "acme-logistics", made, site_name="backhaul", actor="someone")
    assert err.value.field == "tenant"
    with pytest.raises(ValidationError) as err:
        order_design(store, COOP, made, site_name="mairie-thoiry", actor="someone")  # a site it already has
    assert err.value.field == "site_name"
    assert written(store) == before


def test_a_local_loop_candidate_orders_the_partners_line(store) -> None:
    made = design(store, communes=AREA, members=120)
    index = next(i for i, c in enumerate(made["candidates"]) if c["kind"] == "local_loop")
    result = order_design(store, COOP, made, candidate=index, site_name="backhaul", actor="coop-manager")
    order = engine_orders.get_order(store, result["orders"][0])
    assert order["item"]["pop"] == "Paris"
    assert order["item"]["access"]["technology"] == "fibre"
    assert order["item"]["access"]["provider"] == "Orange Wholesale France"
