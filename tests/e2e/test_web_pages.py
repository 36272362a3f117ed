"""The portal's pages over HTTP without a browser (plain form posts: the flow works without JavaScript),
on a copy of the seeded sample database: scoping, roles, refusals, sign-in and the audit trail.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from unilink.access import accounts
from unilink.api.app import create_app
from unilink.store.db import Store
from unilink.store.tables.auth import AuditRow

PLAN_URL = re.compile(r"^/portal/plans/(p-\d{14}-[0-9a-f]{8})$")


@pytest.fixture
def world(seeded_template: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[tuple[TestClient, Store,
                                                                                         dict[str, str]]]:
    template, tokens = seeded_template
    copy = tmp_path / "unilink.db"
    shutil.copyfile(template, copy)
    store = Store.open(f"sqlite:///{copy}", migrate=False)
    app = create_app(store, rate_limit="off", deliver_webhooks=False)
    try:
        with TestClient(app, raise_server_exceptions=True, follow_redirects=False) as client:
            yield client, store, tokens
    finally:
        store.close()


def _signed_in(client: TestClient, tokens: dict[str, str], who: str) -> TestClient:
    client.cookies.clear()
    answer = client.post("/portal/sign-in", data={"token": tokens[who], "next": "/portal/sites"})
    assert answer.status_code == 303 and answer.headers["location"] == "/portal/sites"
    return client


def _site_names(html: str) -> list[str]:
    return re.findall(r'data-site="([^"]+)"', html)


def test_pages_need_a_session_and_come_back_where_you_were_after_sign_in(world) -> None:
    client, _, tokens = world
    answer = client.get("/portal/history")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/portal/sign-in?next=%2Fportal%2Fhistory")
    assert client.get("/").headers["location"] == "/portal/"
    signed = client.post("/portal/sign-in", data={"token": tokens["acme-admin"], "next": "/portal/history"})
    assert signed.headers["location"] == "/portal/history"
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie


def test_the_sign_in_page_prints_only_its_own_notices(world) -> None:
    client, _, _ = world
    assert "Please sign in." in client.get("/portal/sign-in", params={"why": "required"}).text
    forged = client.get("/portal/sign-in", params={"why": "Call +1 555 to unlock"}).text
    assert "555" not in forged


def test_pages_carry_a_strict_content_security_policy_and_are_not_cached(world) -> None:
    client, _, tokens = world
    _signed_in(client, tokens, "acme-admin")
    for page in ("/portal/sites", "/portal/sign-in", "/portal/sites/nope/change"):
        headers = client.get(page).headers
        policy = headers["content-security-policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert headers["cache-control"] == "no-store" and headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/api/v1/sites", "/portal\\..\\x"])
def test_sign_in_never_redirects_off_the_portal(world, target: str) -> None:
    client, _, tokens = world
    answer = client.post("/portal/sign-in", data={"token": tokens["acme-admin"], "next": target})
    assert answer.headers["location"] == "/portal/"


def test_a_tenant_sees_only_its_own_sites_and_another_tenant_answers_not_found(world) -> None:
    client, _, tokens = world
    _signed_in(client, tokens, "nordlink-admin")
    page = client.get("/portal/sites").text
    sites = _site_names(page)
    assert sites and all(name.endswith("-handoff") for name in sites)
    assert "NordLink Networks AB (wholesale) · operator" in page
    other = client.get("/portal/sites", params={"tenant": "acme-logistics"})
    assert other.status_code == 404 and "paris-hq" not in other.text
    change = client.get("/portal/sites/paris-hq/change")  # acme's site, by name
    assert change.status_code == 422 and "unknown site" in change.text
    assert "paris-hq" in change.text  # only as the value typed; the accepted list is nordlink's own
    assert "frankfurt-dc" not in change.text
    for page in ("/portal/services", "/portal/history", "/portal/orders"):
        assert "acme-logistics" not in client.get(page).text


def test_the_whole_change_works_with_plain_form_posts_and_is_audited(world) -> None:
    client, store, tokens = world
    _signed_in(client, tokens, "acme-admin")
    planned = client.post("/portal/sites/warsaw-depot/change", data={
        "down_mbps": "80", "up_mbps": "80", "vpn_corp": "on", "vpn_corp_mbps": "40"})
    assert planned.status_code == 303
    plan_id = PLAN_URL.match(planned.headers["location"])[1]
    shown = client.get(planned.headers["location"]).text
    assert "100 Mbit/s" in shown and "80 Mbit/s" in shown and "warsaw-pe1" in shown
    applied = client.post(f"/portal/plans/{plan_id}/apply", data={"reason": "smaller office"})
    assert applied.status_code == 303 and applied.headers["location"] == f"/portal/history?applied={plan_id}"
    history = client.get(applied.headers["location"]).text
    assert f'data-plan="{plan_id}"' in history and "smaller office" in history
    row = re.search(r'<tr data-site="warsaw-depot">.*?</tr>', client.get("/portal/sites").text, re.S)[0]
    assert "80 Mbit/s" in row and "VPN corp 40 Mbit/s" in row
    with store.session() as session:
        audited = session.scalars(select(AuditRow).where(AuditRow.path == f"/portal/plans/{plan_id}/apply")).all()
    assert len(audited) == 1 and audited[0].tenant == "acme-logistics" and audited[0].status == 303
    again = client.post(f"/portal/plans/{plan_id}/apply", data={"reason": "twice"})
    assert again.status_code == 409 and "make a new plan" in again.text


def test_bad_numbers_are_refused_naming_the_field_and_nothing_is_planned(world) -> None:
    client, _, tokens = world
    _signed_in(client, tokens, "acme-admin")
    before = client.get("/portal/history").text.count("data-plan=")
    answer = client.post("/portal/sites/milan-office/change", data={"down_mbps": "-5", "up_mbps": "200"})
    assert answer.status_code == 422
    assert 'class="field">down_mbps<' in answer.text and "greater than 0" in answer.text
    assert 'id="down_mbps" name="down_mbps"' in answer.text and 'aria-invalid="true"' in answer.text
    over_port = client.post("/portal/sites/milan-office/change", data={"down_mbps": "5000", "up_mbps": "5000",
                                                                       "vpn_corp": "on", "vpn_corp_mbps": "100"})
    assert over_port.status_code == 422 and "sites[" in over_port.text and "Accepted:" in over_port.text
    assert client.get("/portal/history").text.count("data-plan=") == before


def test_a_viewer_reads_but_cannot_change(world) -> None:
    client, _, tokens = world
    _signed_in(client, tokens, "acme-viewer")
    assert 'data-site="paris-hq"' in client.get("/portal/sites").text
    assert client.get("/portal/sites/paris-hq/change").status_code == 403
    posted = client.post("/portal/sites/paris-hq/change", data={"down_mbps": "1", "up_mbps": "1"})
    assert posted.status_code == 403 and "may read but not change" in posted.text


def test_operator_pages_are_for_operators_and_show_the_backbone(world) -> None:
    client, _, tokens = world
    _signed_in(client, tokens, "acme-admin")
    for page in ("/portal/network", "/portal/network/map.svg", "/portal/tenants"):
        assert client.get(page).status_code == 403
    _signed_in(client, tokens, "op-admin")
    network = client.get("/portal/network").text
    assert "110 PoPs" in network and 'id="utilisation-map"' in network
    assert 'id="interconnects"' in network and "Connectis 78" in network
    assert network.count("<tr><th scope=\"row\">") > 149  # every link and every PoP listed
    histogram = client.get("/portal/network/histogram.svg")
    assert histogram.headers["content-type"].startswith("image/svg+xml") and "<svg" in histogram.text
    assert client.get("/portal/network/pie.svg").status_code == 422
    tenants = client.get("/portal/tenants").text
    assert all(name in tenants for name in ("acme-logistics", "nordlink-wholesale", "coop-mahieu"))
    acme = client.get("/portal/sites", params={"tenant": "acme-logistics"}).text
    assert "paris-hq" in acme and "stockholm-handoff" not in acme


def test_a_form_from_another_site_is_refused(world) -> None:
    client, _, tokens = world
    _signed_in(client, tokens, "acme-admin")
    answer = client.post("/portal/sites/paris-hq/change", data={"down_mbps": "100", "up_mbps": "100"},
                         headers={"Origin": "https://evil.example"})
    assert answer.status_code == 403 and "not sent from a page of this site" in answer.text


def test_password_sign_in_through_the_api_login(world) -> None:
    client, store, _ = world
    with store.session(write=True) as session:
        accounts.create_user(session, username="alice", password="correct horse battery", role="tenant-admin",
                             tenant="coop-mahieu")
    wrong = client.post("/portal/sign-in", data={"tenant": "coop-mahieu", "username": "alice",
                                                 "password": "wrong password!!"})
    assert wrong.status_code == 401 and "wrong tenant, username or password" in wrong.text
    assert 'value="coop-mahieu"' in wrong.text  # the tenant stays filled in
    # usernames are per tenant: without its tenant, alice is an (unknown) operator user
    assert client.post("/portal/sign-in", data={"username": "alice", "password": "correct horse battery"}
                       ).status_code == 401
    right = client.post("/portal/sign-in", data={"tenant": "coop-mahieu", "username": "alice",
                                                 "password": "correct horse battery"})
    assert right.status_code == 303
    assert _site_names(client.get("/portal/sites").text) == ["mairie-villiers", "ecole-villiers",
                                                             "ferme-boulaincourt", "mairie-thoiry"]
    signed_out = client.post("/portal/sign-out")
    assert signed_out.status_code == 303 and client.get("/portal/sites").status_code == 303


def test_sign_out_revokes_the_password_sign_in_token_everywhere(world) -> None:
    client, store, tokens = world
    with store.session(write=True) as session:
        accounts.create_user(session, username="bob", password="correct horse battery", role="tenant-viewer",
                             tenant="acme-logistics")
    assert client.post("/portal/sign-in", data={"tenant": "acme-logistics", "username": "bob",
                                                "password": "correct horse battery"}).status_code == 303
    session_token = client.cookies["unilink_session"]
    bearer = {"Authorization": f"Bearer {session_token}"}
    assert client.get("/api/v1/auth/whoami", headers=bearer).status_code == 200
    other_store = Store.open(store.url, migrate=False)
    try:  # another server process on the same database
        with TestClient(create_app(other_store, rate_limit="off", deliver_webhooks=False)) as other:
            assert other.get("/api/v1/auth/whoami", headers=bearer).status_code == 200
            assert client.post("/portal/sign-out").status_code == 303
            assert other.get("/api/v1/auth/whoami", headers=bearer).status_code == 401
    finally:
        other_store.close()
    assert client.get("/api/v1/auth/whoami", headers=bearer).status_code == 401
    client.cookies.set("unilink_session", session_token)  # the old cookie, replayed
    replayed = client.get("/portal/sites")
    assert replayed.status_code == 303 and "why=ended" in replayed.headers["location"]
    with store.session() as session:
        audit = session.scalars(select(AuditRow).order_by(AuditRow.id.desc())).first()
    assert (audit.action, audit.subject, audit.status) == ("POST /portal/sign-out",
                                                           f"token:{session_token.split('_')[1]}", 303)
    # a pasted API token is the user's own credential (scripts use it too): signing out keeps it valid
    _signed_in(client, tokens, "acme-viewer")
    assert client.post("/portal/sign-out").status_code == 303
    assert client.get("/api/v1/auth/whoami", headers={"Authorization": f"Bearer {tokens['acme-viewer']}"}
                      ).status_code == 200


def _apply_form_change(client: TestClient, site: str, fields: dict[str, str], reason: str) -> str:
    planned = client.post(f"/portal/sites/{site}/change", data=fields)
    assert planned.status_code == 303, planned.text
    plan_id = PLAN_URL.match(planned.headers["location"])[1]
    assert client.post(f"/portal/plans/{plan_id}/apply", data={"reason": reason}).status_code == 303
    return plan_id


def test_history_offers_a_return_to_an_earlier_version_as_a_plan(world) -> None:
    client, _, tokens = world
    _signed_in(client, tokens, "acme-admin")
    _apply_form_change(client, "vienna-office", {"down_mbps": "150", "up_mbps": "150", "vpn_corp": "on",
                                                 "vpn_corp_mbps": "75"}, "cut")
    history = client.get("/portal/history").text
    assert "Plan a return to version 1" in history and "Plan a return to version 2" not in history
    planned = client.post("/portal/history/revert", data={"version": "1"})
    assert planned.status_code == 303
    plan_page = client.get(planned.headers["location"]).text
    assert "vienna-office" in plan_page and "150 Mbit/s" in plan_page and "200 Mbit/s" in plan_page
    plan_id = PLAN_URL.match(planned.headers["location"])[1]
    assert client.post(f"/portal/plans/{plan_id}/apply", data={"reason": "back"}).status_code == 303
    row = re.search(r'<tr data-site="vienna-office">.*?</tr>', client.get("/portal/sites").text, re.S)[0]
    assert "200 Mbit/s" in row and "VPN corp 100 Mbit/s" in row
    bad = client.post("/portal/history/revert", data={"version": "x"})
    assert bad.status_code == 422 and 'class="field">version<' in bad.text


def test_an_open_order_can_be_cancelled_from_the_orders_page(world) -> None:
    client, _, tokens = world
    headers = {"Authorization": f"Bearer {tokens['acme-admin']}"}
    intent = client.get("/api/v1/intent", headers=headers).json()
    site = next(s for s in intent["sites"] if s["name"] == "london-hub")
    site["access"]["port"] = 10**10  # a bigger port: field work, so an order
    plan = client.post("/api/v1/plans", json=intent, headers=headers).json()
    client.post(f"/api/v1/plans/{plan['id']}/apply", json={}, headers=headers).raise_for_status()
    _signed_in(client, tokens, "acme-admin")
    orders = client.get("/portal/orders").text
    order_id = re.search(r'<th scope="row">(o-[^<]+)</th>', orders)[1]
    assert "port-change" in orders and "acknowledged" in orders and "Cancel" in orders
    row = re.search(r'<tr data-site="london-hub">.*?</tr>', client.get("/portal/sites").text, re.S)[0]
    assert "order: port-change (acknowledged, due " in row
    cancelled = client.post(f"/portal/orders/{order_id}/cancel")
    assert cancelled.status_code == 303 and cancelled.headers["location"] == "/portal/orders"
    after = client.get("/portal/orders").text
    assert "cancelled" in after and f"/portal/orders/{order_id}/cancel" not in after
    _signed_in(client, tokens, "nordlink-admin")
    assert client.post(f"/portal/orders/{order_id}/cancel").status_code == 404  # not theirs: not found


def test_the_plan_page_shows_what_waits_for_the_field_work(world) -> None:
    client, _, tokens = world
    headers = {"Authorization": f"Bearer {tokens['acme-admin']}"}
    intent = client.get("/api/v1/intent", headers=headers).json()
    site = next(s for s in intent["sites"] if s["name"] == "london-hub")
    site["access"]["port"] = 10**10  # a bigger port: field work
    plan = client.post("/api/v1/plans", json=intent, headers=headers).json()
    assert plan["new_orders"] and plan["pending"]
    _signed_in(client, tokens, "acme-admin")
    page = client.get(f"/portal/plans/{plan['id']}").text
    pending = re.search(r'<ul id="plan-pending">.*?</ul>', page, re.S)
    assert pending is not None, "the plan page does not say what waits for the field work"
    assert "london-hub" in pending[0] and "access.port" in pending[0]


def test_a_capacity_shortage_names_the_bottleneck_link_and_what_is_free(world) -> None:
    client, store, _ = world
    with store.session(write=True) as session:
        token = accounts.create_token(session, role="coop-manager", tenant="coop-mahieu", name="coop")[0].token
    client.cookies.clear()
    assert client.post("/portal/sign-in", data={"token": token}).status_code == 303
    applied_before = client.get("/portal/history").text.count("data-plan=")
    # The village's spur (Thoiry -- Villiers-le-Mahieu) is 1 Gbit/s and already carries the other sites.
    answer = client.post("/portal/sites/mairie-villiers/change", data={
        "down_mbps": "1000", "up_mbps": "1000", "internet": "on", "internet_mbps": "1000"})
    assert answer.status_code == 422, answer.text
    table = re.search(r"<caption>Bottleneck on the backbone</caption>.*?</table>", answer.text, re.S)
    assert table is not None, "the refusal does not show the bottleneck"
    assert "Thoiry" in table[0] and "Villiers-le-Mahieu" in table[0] and "Mbit/s" in table[0]
    assert client.get("/portal/history").text.count("data-plan=") == applied_before  # nothing applied


def test_a_bug_behind_a_page_shows_a_plain_page_never_a_trace(world, monkeypatch: pytest.MonkeyPatch) -> None:
    client, _, tokens = world
    _signed_in(client, tokens, "acme-admin")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr("unilink.usecases.tenant_views.orders", broken)
    answer = client.get("/portal/orders")
    assert answer.status_code == 500 and "Something went wrong" in answer.text
    assert "secret internals" not in answer.text and "Traceback" not in answer.text


def test_a_boost_is_planned_applied_shown_and_ended_from_the_change_form(world, frozen_clock) -> None:
    from datetime import timedelta

    client, _, tokens = world
    _signed_in(client, tokens, "acme-admin")
    until = (frozen_clock.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    base = {"down_mbps": "500", "up_mbps": "500", "vpn_corp": "on", "vpn_corp_mbps": "250"}
    planned = client.post("/portal/sites/london-hub/change", data={
        **base, "boost_service": "corp", "boost_mbps": "450", "boost_until": until})
    assert planned.status_code == 303, planned.text
    plan = client.get(planned.headers["location"]).text
    assert "boost" in plan and "450 Mbit/s" in plan and "Temporary changes" in plan
    plan_id = PLAN_URL.match(planned.headers["location"])[1]
    assert client.post(f"/portal/plans/{plan_id}/apply", data={"reason": "quarter-end"}).status_code == 303
    form = client.get("/portal/sites/london-hub/change").text
    assert "End the boost of corp to 450 Mbit/s" in form
    index = re.search(r'name="drop_boost_(\d+)"', form)[1]
    ended = client.post("/portal/sites/london-hub/change", data={**base, f"drop_boost_{index}": "on"})
    assert ended.status_code == 303
    assert "delete" in client.get(ended.headers["location"]).text
    too_much = client.post("/portal/sites/london-hub/change", data={
        **base, "boost_service": "corp", "boost_mbps": "5000", "boost_until": until})
    assert too_much.status_code == 422 and 'id="boost_mbps"' in too_much.text and "Boost rate" in too_much.text


def test_leaving_a_vpn_needs_the_yes_remove_box_and_the_prices_are_itemised(world) -> None:
    """Issue 11 items 3 and 5 in the portal: the removal is shown with a checkbox that the apply needs."""
    client, _, tokens = world
    _signed_in(client, tokens, "acme-admin")
    planned = client.post("/portal/sites/warsaw-depot/change", data={"down_mbps": "100", "up_mbps": "100"})
    assert planned.status_code == 303, planned.text
    plan_id = PLAN_URL.match(planned.headers["location"])[1]
    shown = client.get(planned.headers["location"]).text
    assert 'id="plan-removals"' in shown and "corp member warsaw-depot" in shown
    assert 'name="confirm_removals"' in shown and 'id="price-lines"' in shown and 'id="price-now"' in shown
    refused = client.post(f"/portal/plans/{plan_id}/apply", data={"reason": "no box"})
    assert refused.status_code == 422 and "confirm_removals" in refused.text
    applied = client.post(f"/portal/plans/{plan_id}/apply", data={"reason": "box", "confirm_removals": "yes"})
    assert applied.status_code == 303
    assert "price lines" in client.get(applied.headers["location"]).text  # the history shows the same lines


def test_the_change_form_carries_its_intent_version_and_a_stale_one_is_refused(world) -> None:
    """Issue 11 item 6 in the portal: a colleague's change between the form and its submission."""
    client, _, tokens = world
    _signed_in(client, tokens, "acme-admin")
    form = client.get("/portal/sites/milan-office/change").text
    version = int(re.search(r'name="base_version" value="(\d+)"', form)[1])
    _apply_form_change(client, "warsaw-depot", {"down_mbps": "80", "up_mbps": "80", "vpn_corp": "on",
                                                "vpn_corp_mbps": "40", "base_version": str(version)}, "first")
    stale = client.post("/portal/sites/milan-office/change", data={
        "down_mbps": "50", "up_mbps": "20", "vpn_corp": "on", "vpn_corp_mbps": "50", "base_version": str(version)})
    assert stale.status_code == 422 and f"version {version + 1} was written" in stale.text
