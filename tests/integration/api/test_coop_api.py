"""The cooperative campaign API on a copy of the seeded sample (docs/campaign-pages.md): a resident's
pledge → the mail outbox → confirm → progress; tenant isolation on every campaign route; bad input is
422 naming the field, and nothing is written."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from demo_api import DemoApi

from campaign_fixture import AUTOUILLET, CAMPAIGN, OUTSIDE, THOIRY, campaign_spec, link_for, resident, token_of
from unilink.access import accounts
from unilink.access.ratelimit import TokenBucketLimiter
from unilink.api.app import create_app
from unilink.store.tenancy import add_tenant
from unilink.usecases import campaigns

PUBLIC = f"/api/v1/public/campaigns/{CAMPAIGN}"
MANAGER = f"/api/v1/campaigns/{CAMPAIGN}"
DOC = Path(__file__).resolve().parents[3] / "docs" / "campaign-pages.md"
VENV = Path(__file__).resolve().parents[3] / ".venv"


@pytest.fixture
def coop(demo: DemoApi) -> DemoApi:
    """The demo API with the test campaign opened by coop-mahieu's manager, and a second cooperative."""
    opened = demo.call("POST", "/api/v1/campaigns", "coop-manager", json=campaign_spec())
    assert opened.status_code == 201, opened.text
    with demo.store.session(write=True) as session:
        add_tenant(session, "coop-rival", "cooperative", "A rival cooperative")
        demo.tokens["rival-manager"] = accounts.create_token(session, role="coop-manager", tenant="coop-rival",
                                                             name="rival")[0].token
    return demo


def _pledge(api: DemoApi, person: dict[str, Any]) -> Any:
    return api.call("POST", f"{PUBLIC}/pledges", None, json=person)


def _mails(api: DemoApi) -> list[dict[str, Any]]:
    answer = api.call("GET", "/api/v1/mail", "op-admin")
    assert answer.status_code == 200
    return answer.json()


def _zone(view: dict[str, Any], name: str) -> dict[str, Any]:
    return next(z for z in view["zones"] if z["name"] == name)


def _confirmed(api: DemoApi, who: str, n: int) -> None:
    for i in range(n):
        person = resident(100 + i)
        assert _pledge(api, person).status_code == 201
        token = token_of(link_for(_mails(api), person["email"]))
        assert api.call("POST", "/api/v1/public/pledges/confirm", None, json={"token": token}).status_code == 200


def test_a_pledge_counts_once_confirmed_by_the_link_of_its_mail(coop: DemoApi) -> None:
    person = resident(1)
    made = _pledge(coop, person)
    assert made.status_code == 201, made.text
    assert made.json() | {"pledge_id": "x"} == {"pledge_id": "x", "campaign": CAMPAIGN, "zone": "thoiry",
                                                "status": "unconfirmed", "email_masked": "y***@example.org"}
    view = coop.call("GET", MANAGER, "coop-manager").json()
    assert (_zone(view, "thoiry")["confirmed"], _zone(view, "thoiry")["unconfirmed"]) == (0, 1)

    link = link_for(_mails(coop), person["email"])
    assert link.startswith(f"/c/{CAMPAIGN}/confirm?token=")
    confirmed = coop.call("POST", "/api/v1/public/pledges/confirm", None, json={"token": token_of(link)})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed"
    view = coop.call("GET", MANAGER, "coop-manager").json()
    assert (_zone(view, "thoiry")["confirmed"], _zone(view, "thoiry")["unconfirmed"]) == (1, 0)
    assert _zone(view, "thoiry")["progress"] == pytest.approx(1 / 60, abs=1e-3)
    again = coop.call("POST", "/api/v1/public/pledges/confirm", None, json={"token": token_of(link)})
    assert again.status_code == 422 and again.json()["field"] == "token"  # single use


def test_the_public_view_hides_counts_below_5_and_shows_them_from_5(coop: DemoApi) -> None:
    _confirmed(coop, "coop-manager", 4)
    public = coop.call("GET", PUBLIC, None)
    assert public.status_code == 200
    zone = _zone(public.json(), "thoiry")
    assert (zone["confirmed"], zone["confirmed_label"], zone["progress"]) == (None, "fewer than 5", 0.0)
    _confirmed_more = resident(200)
    assert _pledge(coop, _confirmed_more).status_code == 201
    token = token_of(link_for(_mails(coop), _confirmed_more["email"]))
    coop.call("POST", "/api/v1/public/pledges/confirm", None, json={"token": token})
    zone = _zone(coop.call("GET", PUBLIC, None).json(), "thoiry")
    assert (zone["confirmed"], zone["confirmed_label"]) == (5, "5")


def test_withdrawing_by_the_manager_and_by_the_link(coop: DemoApi) -> None:
    first, second = resident(1), resident(2)
    pledged = _pledge(coop, first).json()
    _pledge(coop, second)
    listed = coop.call("GET", f"{MANAGER}/pledges", "coop-manager")
    assert listed.status_code == 200
    assert {p["email"] for p in listed.json()} == {first["email"], second["email"]}
    gone = coop.call("DELETE", f"{MANAGER}/pledges/{pledged['pledge_id']}", "coop-manager")
    assert gone.status_code == 200 and gone.json()["status"] == "withdrawn"
    link = link_for(_mails(coop), second["email"], "withdraw")
    by_link = coop.call("POST", "/api/v1/public/pledges/withdraw", None, json={"token": token_of(link)})
    assert by_link.status_code == 200 and by_link.json()["status"] == "withdrawn"
    view = coop.call("GET", MANAGER, "coop-manager").json()
    assert _zone(view, "thoiry")["withdrawn"] == 2


def test_the_pledges_as_csv_by_suffix_or_accept_header(coop: DemoApi) -> None:
    _pledge(coop, resident(1))
    for path, headers in ((f"{MANAGER}/pledges.csv", {}), (f"{MANAGER}/pledges", {"Accept": "text/csv"})):
        answer = coop.client.get(path, headers={**headers, "Authorization": f"Bearer {coop.tokens['coop-manager']}"})
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
        header, row = answer.text.splitlines()[:2]
        assert header.startswith("pledge_id,zone,name,email,address")
        assert "Ysolde Quenneville1" in row


def test_zone_edit_extend_and_ledger(coop: DemoApi) -> None:
    edited = coop.call("PATCH", f"{MANAGER}/zones/thoiry", "coop-manager",
                       json={"homes_passed": 480, "homes_source": "mairie count 2026", "target": {"subscribers": 50}})
    assert edited.status_code == 200, edited.text
    zone = _zone(edited.json(), "thoiry")
    assert (zone["homes_passed"], zone["homes_source"], zone["target_subscribers"]) == (480, "mairie count 2026", 50)
    extended = coop.call("POST", f"{MANAGER}/extend", "coop-manager", json={"until": "2027-04-01T18:00:00Z"})
    assert extended.status_code == 200 and extended.json()["extensions_used"] == 1
    _pledge(coop, resident(1, deposit_cents=2500, shares=3))
    ledger = coop.call("GET", f"{MANAGER}/ledger", "coop-manager")
    assert ledger.status_code == 200
    row = next(r for r in ledger.json()["zones"] if r["zone"] == "thoiry")
    assert row["build_cost_cents"] == 5_000_000 and row["target_subscribers"] == 50
    assert row["funds"]["deposits_cents"] == 0  # an unconfirmed pledge commits nothing


def test_another_cooperative_gets_404_on_every_campaign_route(coop: DemoApi) -> None:
    pledge_id = _pledge(coop, resident(1)).json()["pledge_id"]
    routes = [("GET", MANAGER, None), ("GET", f"{MANAGER}/ledger", None), ("GET", f"{MANAGER}/pledges", None),
              ("GET", f"{MANAGER}/pledges.csv", None),
              ("PATCH", f"{MANAGER}/zones/thoiry", {"target": {"subscribers": 1}}),
              ("POST", f"{MANAGER}/extend", {"until": "2027-04-01T18:00:00Z"}),
              ("DELETE", f"{MANAGER}/pledges/{pledge_id}", None),
              ("POST", f"{MANAGER}/zones/thoiry/order", {})]
    for method, path, body in routes:
        answer = coop.call(method, path, "rival-manager", json=body)
        assert answer.status_code == 404, (method, path, answer.text)
        assert "Quenneville" not in answer.text and "coop-mahieu" not in answer.text
    assert coop.call("GET", "/api/v1/campaigns", "rival-manager").json() == []
    names = [c["name"] for c in coop.call("GET", "/api/v1/campaigns", "coop-manager").json()]
    assert CAMPAIGN in names
    assert CAMPAIGN in [c["name"] for c in coop.call("GET", "/api/v1/campaigns", "op-admin").json()]
    view = coop.call("GET", MANAGER, "coop-manager").json()
    assert _zone(view, "thoiry")["target_subscribers"] == 60 and view["extensions_used"] == 0  # nothing changed


def test_an_enterprise_tenant_admin_may_neither_open_nor_read_a_campaign(coop: DemoApi) -> None:
    spec = campaign_spec("acme-villages")
    assert coop.call("POST", "/api/v1/campaigns", "acme-admin", json=spec).status_code == 403
    assert coop.call("GET", MANAGER, "acme-admin").status_code == 403
    assert coop.call("GET", "/api/v1/campaigns", "acme-admin").status_code == 403
    # an operator on behalf of an enterprise: refused by the use case, naming the tenant
    refused = coop.call("POST", "/api/v1/campaigns?tenant=acme-logistics", "op-admin", json=spec)
    assert refused.status_code == 422 and refused.json()["field"] == "tenant"
    assert "acme-villages" not in [c["name"] for c in coop.call("GET", "/api/v1/campaigns", "op-admin").json()]
    assert coop.call("POST", f"{MANAGER}/extend", "op-viewer",
                     json={"until": "2027-04-01T18:00:00Z"}).status_code == 403
    assert coop.call("GET", "/api/v1/mail", "coop-manager").status_code == 403


@pytest.mark.parametrize(("body", "field"), [
    (resident(1, where=OUTSIDE), "lat"),
    (resident(1, email="not-an-address"), "email"),
    (resident(1, lat=123), "body.lat"),
    (resident(1, plan="fibre-10g"), "plan"),
    (resident(1, deposit_cents=-5), "body.deposit_cents"),
    ({**resident(1), "nickname": "x"}, "body.nickname"),
])
def test_a_bad_pledge_is_422_naming_the_field_and_writes_nothing(coop: DemoApi, body: dict[str, Any],
                                                                 field: str) -> None:
    mails_before = len(_mails(coop))
    answer = _pledge(coop, body)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["field"] == field
    view = coop.call("GET", MANAGER, "coop-manager").json()
    assert all(z["unconfirmed"] == 0 for z in view["zones"])
    assert len(_mails(coop)) == mails_before


def test_bad_campaigns_and_edits_are_422_and_change_nothing(coop: DemoApi) -> None:
    past = campaign_spec("late-villages") | {"deadline": "2020-01-01T00:00:00Z"}
    answer = coop.call("POST", "/api/v1/campaigns", "coop-manager", json=past)
    assert answer.status_code == 422 and answer.json()["field"] == "deadline"
    unknown = campaign_spec("nowhere") | {"zones": [{"name": "x", "commune": "Atlantis", "target": {"share": 0.3}}]}
    assert coop.call("POST", "/api/v1/campaigns", "coop-manager", json=unknown).json()["field"] == "zones[0].commune"
    assert [c["name"] for c in coop.call("GET", "/api/v1/campaigns", "coop-manager").json()].count("nowhere") == 0
    too_many = coop.call("PATCH", f"{MANAGER}/zones/thoiry", "coop-manager", json={"target": {"subscribers": 999999}})
    assert too_many.status_code == 422 and too_many.json()["field"].endswith("target")
    assert coop.call("PATCH", f"{MANAGER}/zones/nope", "coop-manager",
                     json={"target": {"subscribers": 5}}).status_code == 404
    assert _zone(coop.call("GET", MANAGER, "coop-manager").json(), "thoiry")["target_subscribers"] == 60


def test_one_pledge_per_address_and_per_email(coop: DemoApi) -> None:
    assert _pledge(coop, resident(1)).status_code == 201
    same_mail = _pledge(coop, resident(2, email="Ysolde.Quenneville1@Example.org "))
    assert same_mail.status_code == 409 and same_mail.json()["field"] == "email"
    same_home = _pledge(coop, resident(3, address="1, Rue des Quenouillettes"))
    assert same_home.status_code == 409 and same_home.json()["field"] == "address"


def test_the_what_if_design_shows_every_figure(coop: DemoApi) -> None:
    answer = coop.call("POST", "/api/v1/coop/designs", "coop-manager",
                       json={"communes": ["Villiers-le-Mahieu", "Thoiry"], "members": 120, "busy_hour_bps": 2_400_000,
                             "peak_factor": 1.25})
    assert answer.status_code == 200, answer.text
    design = answer.json()
    assert design["model"]["members"] == 120 and design["model"]["busy_hour_bps_per_member"] == 2_400_000
    assert design["candidates"]
    for c in design["candidates"]:
        assert {"kind", "attach", "path", "distance_km", "new_build_km", "backhaul_bps", "feasible", "monthly_cents",
                "one_off_cents", "per_member_monthly_cents"} <= set(c)
    bad = coop.call("POST", "/api/v1/coop/designs", "coop-manager", json={"communes": ["Thoiry"], "members": 0})
    assert bad.status_code == 422 and bad.json()["field"] == "body.members"
    assert coop.call("POST", "/api/v1/coop/designs", "acme-admin",
                     json={"communes": ["Thoiry"], "members": 10}).status_code == 403


def test_a_zone_is_ordered_once_reached_and_only_once(coop: DemoApi) -> None:
    early = coop.call("POST", f"{MANAGER}/zones/autouillet/order", "coop-manager", json={})
    assert early.status_code == 409 and "0 of 40" in early.json()["detail"], early.text
    for i in range(2):
        person = resident(200 + i, where=AUTOUILLET)
        assert _pledge(coop, person).status_code == 201
        token = token_of(link_for(_mails(coop), person["email"]))
        assert coop.call("POST", "/api/v1/public/pledges/confirm", None, json={"token": token}).status_code == 200
    # the manager builds with the members it has: lowering the target reaches the zone, which is
    # designed and ordered at once by the one automatic path
    lowered = coop.call("PATCH", f"{MANAGER}/zones/autouillet", "coop-manager", json={"target": {"subscribers": 2}})
    assert lowered.status_code == 200, lowered.text
    autouillet = _zone(coop.call("GET", MANAGER, "coop-manager").json(), "autouillet")
    assert autouillet["design_state"] == "ordered", autouillet.get("design_error")
    orders = coop.call("GET", "/api/v1/orders", "coop-manager").json()
    sites = [s["name"] for s in coop.call("GET", "/api/v1/sites", "coop-manager").json()]
    assert "backhaul-autouillet" in sites or any(o.get("site") == "backhaul-autouillet" for o in orders), orders
    again = coop.call("POST", f"{MANAGER}/zones/autouillet/order", "coop-manager", json={})
    assert again.status_code == 409, again.text  # never ordered twice


def test_public_writes_are_rate_limited_per_address(coop: DemoApi) -> None:
    coop.client.app.state.coop_public_limiter = TokenBucketLimiter(rate_per_s=0.001, burst=2)
    statuses = [_pledge(coop, resident(i, where=AUTOUILLET)).status_code for i in range(3)]
    assert statuses[:2] == [201, 201] and statuses[2] == 429
    assert _pledge(coop, resident(9)).headers.get("retry-after")
    assert coop.call("GET", PUBLIC, None).status_code == 200  # reads are not limited


def test_the_public_api_needs_no_token_and_the_manager_api_does(coop: DemoApi) -> None:
    assert coop.call("GET", PUBLIC, None).status_code == 200
    assert coop.call("GET", MANAGER, None).status_code == 401
    assert coop.call("GET", "/api/v1/public/campaigns/no-such-campaign", None).status_code == 404
    _ = THOIRY


def test_the_examples_of_the_doc_run(demo: DemoApi, tmp_path: Path) -> None:
    """Every shell block of docs/campaign-pages.md's "Examples", in order, against a real server."""
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text[text.index("## Examples"):], flags=re.S)
    assert len(blocks) >= 6
    app = create_app(demo.store, rate_limit="off", deliver_webhooks=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    (tmp_path / ".venv").symlink_to(VENV)
    script = "set -euo pipefail\n" + "\n".join(blocks).replace(
        "export UNILINK_API=http://127.0.0.1:8000", f"export UNILINK_API=http://127.0.0.1:{port}")
    try:
        done = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                              env={**os.environ, "UNILINK_DATABASE_URL": demo.store.url})
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert done.returncode == 0, f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}"
    assert '"status":"confirmed"' in done.stdout and '"field":"lat"' in done.stdout
    assert "Camille Martin" in done.stdout  # the manager's CSV
    view = campaigns.manager_view(demo.store, "doc-villages", tenant=None)
    thoiry = next(z for z in view["zones"] if z["name"] == "thoiry")
    assert (thoiry["confirmed"], thoiry["unconfirmed"]) == (1, 0)
