"""Issue 11 item 1: an inventory change may not leave a link with less capacity than is booked on it.

In the demo, nordlink-wholesale's E-Line holds 1G each way on Hamburg--Copenhagen (100G). Lowering
that link to 900M was answered 200, and the ledger, rebuilt on the smaller link, dropped the E-Line
from its sums and sold the same bit/s again. Now the change is refused (409) naming the service,
what is booked and what would be free — over the API, through `unilink network import`, and the
ledger never drops a booking it reloads.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from demo_api import DemoApi
from sqlalchemy import text
from typer.testing import CliRunner

from unilink.cli.main import app
from unilink.engine import runtime as rt
from unilink.engine.core import plan
from unilink.errors import InfeasibleError
from unilink.inventory.exporters import to_yaml
from unilink.store import capacity_audit

LINK = "Hamburg--Copenhagen"
HOLDER = "nordlink-wholesale/svc:oslo-handoff-hamburg-handoff"
G, M = 10**9, 10**6


def _link(demo: DemoApi) -> dict:
    return demo.call("GET", f"/api/v1/links/{LINK}", "op-admin").json()


def _put(demo: DemoApi, capacity: int) -> object:
    body = {k: v for k, v in _link(demo).items() if k in ("a", "b", "length_km", "igp_metric", "srlgs",
                                                            "a_router", "b_router")}
    return demo.call("PUT", f"/api/v1/links/{LINK}", "op-admin", json={**body, "capacity_bps": capacity})


def test_lowering_a_link_below_its_bookings_is_refused_naming_the_service(demo: DemoApi) -> None:
    before = _link(demo)
    answer = _put(demo, 900 * M)
    assert answer.status_code == 409, answer.text
    problem = answer.json()
    detail = str(problem)
    assert HOLDER in detail and "900M" in detail and "1G booked" in detail and "free would be -100M" in detail
    assert problem.get("field") == "capacity_bps" or "capacity_bps" in detail
    assert _link(demo) == before  # nothing changed
    with demo.store.session() as session:
        assert capacity_audit.oversold(session) == []


def test_lowering_to_exactly_what_is_booked_is_allowed(demo: DemoApi) -> None:
    assert _put(demo, 1 * G).status_code == 200
    assert _link(demo)["capacity_bps"] == 1 * G


def test_removing_a_link_with_bookings_is_refused_naming_the_service(demo: DemoApi) -> None:
    answer = demo.call("DELETE", f"/api/v1/links/{LINK}", "op-admin")
    assert answer.status_code == 409 and HOLDER in answer.text
    assert _link(demo)["name"] == LINK


def test_network_import_that_shrinks_a_booked_link_is_refused(demo: DemoApi, tmp_path: Path) -> None:
    network = demo.store.load_network()
    links = [replace(lk, capacity_bps=900 * M) if lk.name == LINK else lk for lk in network.links]
    path = tmp_path / "smaller.yaml"
    path.write_text(to_yaml(replace(network, links=links)))
    for extra in ([], ["--merge"]):
        result = CliRunner().invoke(app, ["network", "import", str(path), *extra, "--database", demo.store.url])
        assert result.exit_code == 4, result.output
        assert HOLDER in result.output and LINK in result.output
    assert next(lk for lk in demo.store.load_network().links if lk.name == LINK).capacity_bps == 100 * G


@pytest.mark.capacity_invariant_off
def test_the_ledger_keeps_bookings_beyond_a_shrunken_link_in_its_sums(demo: DemoApi) -> None:
    """A link shrunk under its bookings behind unilink's back (a hand-edited row): the reloaded ledger
    still counts the 1G E-Line, so a new 500M across the link is refused instead of sold again."""
    with demo.store.engine.begin() as conn:
        conn.execute(text("UPDATE links SET capacity_bps = :c WHERE name = :n"), {"c": 900 * M, "n": LINK})
        conn.execute(text("UPDATE topology SET version = version + 1 WHERE id = 1"))
    rt.forget(demo.store)
    access = {"technology": "fibre", "port": "1G", "down": "1G", "up": "1G"}
    doc = {"sites": [{"name": "hh", "pop": "Hamburg", "access": access},
                     {"name": "cph", "pop": "Copenhagen", "access": access}],
           "services": [{"kind": "eline", "name": "more", "a": "hh", "b": "cph", "rate": "500M"}]}
    with demo.store.session() as session:
        session.execute(text("DELETE FROM links WHERE name IN ('Hamburg--Hannover', 'Copenhagen--Berlin', "
                             "'Hannover--Copenhagen', 'Copenhagen--Gotenburg', 'Stockholm--Copenhagen')"))
    rt.forget(demo.store)
    with pytest.raises(InfeasibleError) as refused:
        plan(demo.store, "acme-logistics", doc, accesses_installed=True)
    assert LINK in refused.value.message


@pytest.mark.capacity_invariant_off
def test_the_invariant_trips_on_an_oversold_database(demo: DemoApi) -> None:
    """The suite-wide check (tests/conftest.py) really runs: after a write, an oversold link fails it."""
    with demo.store.engine.begin() as conn:
        conn.execute(text("UPDATE links SET capacity_bps = :c WHERE name = :n"), {"c": 900 * M, "n": LINK})
    with pytest.raises(AssertionError, match=f"{LINK}.*1G booked on 900M.*{HOLDER}"):
        capacity_audit.assert_not_oversold(demo.store)


def test_the_invariant_is_registered_for_every_test() -> None:
    from unilink.store import db

    assert capacity_audit.assert_not_oversold in db.AFTER_WRITE
