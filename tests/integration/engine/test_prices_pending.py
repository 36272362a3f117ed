"""Issue 11 items 3 and 4: a plan's price while field work is pending, and orders a change makes pointless.

Item 3: with an order open, "before" was the deployed price and "after" the desired intent's (with the
site still waiting for its line), so halving a rate showed a rise. Now: now (deployed) → after this
change (what the apply deploys) → after the pending field work (the desired intent), itemised.
Item 4: a revert that removed the site an order was for left the order acknowledged; completing it
did nothing. Now the plan lists it as cancelled and the apply cancels it, with its history row.
"""

from __future__ import annotations

from typing import Any

import pytest
from engine_helpers import go
from engine_world import NOW, acme

from unilink.catalog.access import Technology
from unilink.catalog.prices import DEFAULT_PRICE_BOOK as BOOK
from unilink.catalog.services import ServiceKind
from unilink.engine import apply, plan
from unilink.engine.core import history, revert
from unilink.engine.orders import complete_order, list_orders
from unilink.errors import ConflictError
from unilink.store.db import Store

G, M = 10**9, 10**6
LAB = {"name": "Frankfurt-lab", "pop": "Frankfurt",
       "access": {"technology": "fibre", "port": "1G", "down": "1G", "up": "1G"}}


def with_lab() -> dict[str, Any]:
    doc = acme()
    doc["sites"].append(dict(LAB))
    doc["services"].append({"kind": "internet", "name": "lab-internet", "site": "Frankfurt-lab", "rate": "200M"})
    return doc


@pytest.fixture
def pending(estore: Store) -> Store:
    """acme onboarded (version 1), then a new site whose line is ordered (version 2, the order open)."""
    go(estore, "acme", acme(), NOW, accesses_installed=True)
    go(estore, "acme", with_lab(), NOW)
    assert [o["site"] for o in list_orders(estore, "acme", open_only=True)] == ["Frankfurt-lab"]
    return estore


def internet(rate: int) -> int:
    return BOOK.service_monthly(ServiceKind.INTERNET, rate)


def test_halving_a_rate_while_a_line_is_on_order_lowers_the_price(pending: Store) -> None:
    doc = with_lab()
    doc["services"][0]["rate"] = "250M"  # hq-internet 500M → 250M
    price = plan(pending, "acme", doc, now=NOW).content["price"]
    saving = internet(250 * M) - internet(500 * M)
    assert saving < 0
    assert price["monthly_delta_cents"] == saving  # was +€505/month: the waiting site counted as "after"
    lab = BOOK.access_monthly(Technology.FIBRE, G) + internet(200 * M)
    assert price["monthly_pending_cents"] == price["monthly_after_cents"] + lab
    assert price["one_off_cents"] == 0 and price["one_off"] == []  # the line was charged when it was ordered
    lines = {line["key"]: line for line in price["lines"]}
    assert lines["internet hq-internet"] == {"key": "internet hq-internet", "item": "internet hq-internet 250M",
                                             "now_cents": internet(500 * M), "after_cents": internet(250 * M),
                                             "pending_cents": internet(250 * M)}
    assert (lines["access Frankfurt-lab"]["now_cents"], lines["access Frankfurt-lab"]["after_cents"],
            lines["access Frankfurt-lab"]["pending_cents"]) == (None, None, BOOK.access_monthly(Technology.FIBRE, G))
    assert lines["internet lab-internet"]["pending_cents"] == internet(200 * M)


def test_a_boost_while_a_line_is_on_order_changes_no_monthly_price(pending: Store) -> None:
    doc = with_lab()
    doc["boosts"] = [{"service": "hq-internet", "rate": "800M", "until": "2026-11-26T15:00:00+00:00"}]
    price = plan(pending, "acme", doc, now=NOW).content["price"]
    assert price["monthly_delta_cents"] == 0  # was −€294/month
    assert [t["item"] for t in price["temporary"]] == ["boost hq-internet"] and price["temporary_cents"] > 0


def test_a_new_line_is_a_one_off_of_its_own_and_the_history_keeps_the_lines(estore: Store) -> None:
    go(estore, "acme", acme(), NOW, accesses_installed=True)
    p = plan(estore, "acme", with_lab(), now=NOW)
    price = p.content["price"]
    assert price["monthly_delta_cents"] == 0  # nothing is billed before the line is there
    assert [o["site"] for o in price["one_off"]] == ["Frankfurt-lab"]
    assert price["one_off_cents"] == BOOK.install_cents[Technology.FIBRE]
    apply(estore, p.id, "alice", "new lab", now=NOW)
    assert history(estore, "acme")[0]["summary"]["price"]["lines"] == price["lines"]


def test_a_revert_that_removes_the_site_cancels_its_order(pending: Store) -> None:
    [order] = list_orders(pending, "acme", open_only=True)
    back = revert(pending, "acme", 1, now=NOW, actor="alice")
    assert not back.is_empty
    assert [(o["id"], o["site"]) for o in back.content["cancel_orders"]] == [(order["id"], "Frankfurt-lab")]
    assert "removed" in back.content["cancel_orders"][0]["reason"]
    result = apply(pending, back.id, "alice", "not this year", now=NOW)  # the site was never live: no confirm
    assert result.cancelled_orders == (order["id"],)
    [row] = list_orders(pending, "acme")
    assert row["state"] == "cancelled"
    moves = [h for h in history(pending, "acme") if h["action"] == "order"]
    assert moves[0]["summary"] == {"order": order["id"], "state": "cancelled"}
    with pytest.raises(ConflictError):
        complete_order(pending, order["id"], "field-team", now=NOW)
    assert plan(pending, "acme", acme(), now=NOW).is_empty


def test_an_order_still_needed_is_kept(pending: Store) -> None:
    doc = with_lab()
    doc["services"][0]["rate"] = "250M"
    p = plan(pending, "acme", doc, now=NOW)
    assert p.content["cancel_orders"] == []
    assert apply(pending, p.id, "alice", "", now=NOW).cancelled_orders == ()
    assert [o["state"] for o in list_orders(pending, "acme")] == ["acknowledged"]
