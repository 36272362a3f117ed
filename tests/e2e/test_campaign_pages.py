"""The campaign pages over HTTP without a browser (docs/campaign-pages.md): the public page works
without JavaScript (progress bars, the offline map, the pledge form), a refused pledge is shown beside
its field with the input kept and nothing written, a mail link's GET changes nothing, the page and the
public API and the map never show a resident's name, e-mail or address nor a count below 5, and the
manager's pages show the zones, the ledger, the pledges and the design's candidates."""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from campaign_fixture import AUTOUILLET, CAMPAIGN, OUTSIDE, THOIRY, campaign_spec, link_for, resident
from unilink.access import accounts
from unilink.api.app import create_app
from unilink.store.db import Store
from unilink.store.tenancy import add_tenant
from unilink.usecases import campaigns, coop_design
from unilink.web.zone_map import zone_map_svg

PAGE = f"/c/{CAMPAIGN}"
FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


@pytest.fixture
def world(seeded_template: tuple[Path, dict[str, str]], tmp_path: Path) -> Iterator[tuple[TestClient, Store,
                                                                                         dict[str, str]]]:
    template, tokens = seeded_template
    copy = tmp_path / "unilink.db"
    shutil.copyfile(template, copy)
    store = Store.open(f"sqlite:///{copy}", migrate=False)
    with store.session(write=True) as session:
        add_tenant(session, "coop-rival", "cooperative", "A rival cooperative")
        for who, tenant in (("coop-manager", "coop-mahieu"), ("rival-manager", "coop-rival")):
            tokens = {**tokens, who: accounts.create_token(session, role="coop-manager", tenant=tenant,
                                                           name=who)[0].token}
    campaigns.open_campaign(store, {**campaign_spec(), "tenant": "coop-mahieu"}, actor="test")
    app = create_app(store, rate_limit="off", deliver_webhooks=False)
    try:
        with TestClient(app, raise_server_exceptions=True, follow_redirects=False) as client:
            yield client, store, tokens
    finally:
        store.close()


def _form_token(client: TestClient, path: str = PAGE) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = FORM_TOKEN.search(page.text)
    assert found is not None
    return found.group(1)


def _pledge_form(person: dict[str, Any]) -> dict[str, str]:
    return {key: str(person[key]) for key in ("name", "email", "address", "lat", "lon", "plan")}


def _pledge(client: TestClient, person: dict[str, Any], **extra: str) -> Any:
    token = _form_token(client)
    return client.post(f"{PAGE}/pledge", data={**_pledge_form(person), "form_token": token, **extra})


def _confirm(client: TestClient, store: Store, person: dict[str, Any]) -> Any:
    link = link_for(campaigns.mail_outbox(store), person["email"])
    token = _form_token(client, link)
    return client.post(f"{PAGE}/confirm", data={"form_token": token, "token": link.split("token=")[1]})


def _zone(store: Store, name: str) -> dict[str, Any]:
    view = campaigns.manager_view(store, CAMPAIGN, tenant=None)
    return next(z for z in view["zones"] if z["name"] == name)


def _sign_in(client: TestClient, tokens: dict[str, str], who: str) -> None:
    client.cookies.clear()
    answer = client.post("/portal/sign-in", data={"token": tokens[who], "next": "/portal/coop"})
    assert answer.status_code == 303


def _row(page: str, zone: str) -> str:
    found = re.search(rf'<tr data-zone="{zone}">(.*?)</tr>', page, re.S)
    assert found is not None, zone
    return found.group(1)


def test_the_public_page_works_without_javascript(world) -> None:
    client, _, _ = world
    answer = client.get(PAGE)
    assert answer.status_code == 200
    page = answer.text
    assert "<script" not in page  # no script at all: nothing needs JavaScript
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    assert page.count("<progress") == 2 and "<svg" in page and 'class="zone-map"' in page
    assert "2027-03-01 18:00 UTC" in page  # the deadline
    assert "We are collecting pledges until" in page  # what happens next, per zone
    for label in ("Your name", "E-mail", "Postal address", "Latitude", "Longitude", "Plan", "Deposit (€)",
                  "Member shares", "Public voucher (€)"):
        assert f">{html.escape(label)}</label>" in page
    assert "Finding your coordinates" in page and 'method="post"' in page
    assert "unilink_form=" in answer.headers["set-cookie"] and "SameSite=strict" in answer.headers["set-cookie"]


def test_a_pledge_through_the_form_says_check_your_email_and_counts_once_confirmed(world) -> None:
    client, store, _ = world
    person = resident(1)
    answer = _pledge(client, person, deposit="12.50", shares="2")
    assert answer.status_code == 200, answer.text
    assert "Check your e-mail" in answer.text and "y***@example.org" in answer.text
    assert _zone(store, "thoiry")["unconfirmed"] == 1
    link = link_for(campaigns.mail_outbox(store), person["email"])
    for _ in range(2):  # a mail scanner fetching the link changes nothing
        shown = client.get(link)
        assert shown.status_code == 200 and "Confirm my pledge" in shown.text and "<button" in shown.text
    assert _zone(store, "thoiry")["confirmed"] == 0
    done = _confirm(client, store, person)
    assert done.status_code == 200 and "Your pledge is confirmed" in done.text
    zone = _zone(store, "thoiry")
    assert (zone["confirmed"], zone["funds"]["deposits_cents"], zone["funds"]["shares"]) == (1, 1250, 2)


def test_the_withdraw_link_shows_a_button_and_the_post_withdraws(world) -> None:
    client, store, _ = world
    person = resident(1)
    _pledge(client, person)
    link = link_for(campaigns.mail_outbox(store), person["email"], "withdraw")
    assert "Withdraw my pledge" in client.get(link).text
    assert _zone(store, "thoiry")["withdrawn"] == 0
    token = _form_token(client, link)
    done = client.post(f"{PAGE}/withdraw", data={"form_token": token, "token": link.split("token=")[1]})
    assert "Your pledge is withdrawn" in done.text and _zone(store, "thoiry")["withdrawn"] == 1
    again = client.post(f"{PAGE}/withdraw", data={"form_token": token, "token": link.split("token=")[1]})
    assert again.status_code == 422 and "this link is not valid" in again.text


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"lat": str(OUTSIDE[0]), "lon": str(OUTSIDE[1])}, "lat", "not inside a zone of this campaign"),
    ({"email": "ysolde at example"}, "email", "check your e-mail address"),
    ({"lat": "north"}, "lat", "not inside a zone"),
    ({"deposit": "lots"}, "deposit", "amount in euros"),
])
def test_a_refused_pledge_is_shown_beside_its_field_with_the_input_kept(world, change: dict[str, str], field: str,
                                                                        words: str) -> None:
    client, store, _ = world
    person = resident(1)
    token = _form_token(client)
    answer = client.post(f"{PAGE}/pledge", data={**_pledge_form(person), "form_token": token, **change})
    assert answer.status_code == 422
    page = answer.text
    assert f'id="err-{field}"' in page and words in page
    assert re.search(rf'id="f-{field}"[^>]*aria-invalid="true"', page, re.S)
    assert f'value="{person["name"]}"' in page and f'value="{person["address"]}"' in page  # kept
    assert _zone(store, "thoiry")["unconfirmed"] == 0 and campaigns.mail_outbox(store) == []  # nothing written


def test_a_form_without_this_browsers_token_is_refused(world) -> None:
    client, store, _ = world
    data = _pledge_form(resident(1))
    assert client.post(f"{PAGE}/pledge", data=data).status_code == 403  # no token
    _form_token(client)
    assert client.post(f"{PAGE}/pledge", data={**data, "form_token": "x" * 32}).status_code == 403
    client.cookies.clear()
    assert client.post(f"{PAGE}/pledge", data={**data, "form_token": "x" * 32}).status_code == 403  # no cookie
    forged = client.post(f"{PAGE}/pledge", data=data, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403
    assert _zone(store, "thoiry")["unconfirmed"] == 0


def test_no_page_nor_the_public_api_nor_the_map_shows_a_resident_or_a_count_below_5(world) -> None:
    client, store, _ = world
    people = [resident(i) for i in range(1, 7)] + [resident(i, where=AUTOUILLET) for i in range(7, 9)]
    for person in people:
        assert _pledge(client, person, deposit="20", shares="3", voucher="150").status_code == 200
        assert _confirm(client, store, person).status_code == 200
    unconfirmed, withdrawn = resident(9), resident(10, where=AUTOUILLET)
    _pledge(client, unconfirmed)
    _pledge(client, withdrawn)
    campaigns.withdraw_pledge(store, link_for(campaigns.mail_outbox(store), withdrawn["email"],
                                              "withdraw").split("token=")[1])
    page = client.get(PAGE).text
    public_json = client.get(f"/api/v1/public/campaigns/{CAMPAIGN}").text
    svg = zone_map_svg(campaigns.public_view(store, CAMPAIGN)["zones"])
    for person in [*people, unconfirmed, withdrawn]:
        local = person["email"].split("@")[0]
        for text in (person["name"], person["email"], local, person["address"], "Quenneville", "Quenouillettes"):
            for where, body in (("page", page), ("public API", public_json), ("map", svg)):
                assert text.lower() not in html.unescape(body).lower(), (text, where)
    for body in (page, svg):  # one person's money: €20 deposit, 3 shares, €150 voucher
        assert "€20.00" not in body and "€150.00" not in body and "€3.00" not in body
    assert not re.search(r"[:\[,]\s*(2000|15000)\b", public_json)
    thoiry, autouillet = _row(page, "thoiry"), _row(page, "autouillet")
    assert re.search(r'class="num count">6<', thoiry) and 'value="6"' in thoiry
    assert re.search(r'class="num count">fewer than 5<', autouillet) and 'value="0"' in autouillet
    assert ">2<" not in autouillet and "2 of" not in autouillet
    zone_svg = re.search(r'<g class="label" data-zone="autouillet".*?</g>', svg, re.S).group(0)
    assert "fewer than 5 of 40" in zone_svg and not re.search(r">\s*2 of", zone_svg)
    assert "6 of 60" in svg


def test_the_manager_sees_zones_ledger_pledges_and_the_csv(world) -> None:
    client, store, tokens = world
    person = resident(1)
    _pledge(client, person, deposit="20")
    _confirm(client, store, person)
    _sign_in(client, tokens, "coop-manager")
    listed = client.get("/portal/coop")
    assert listed.status_code == 200 and f'data-campaign="{CAMPAIGN}"' in listed.text
    assert 'href="/portal/coop"' in listed.text  # the nav entry
    page = client.get(f"/portal/coop/{CAMPAIGN}").text
    assert 'id="ledger"' in page and "€20.00" in page and "€50,000.00" in page  # funds, build cost
    assert person["name"] in page and person["email"] in page  # the manager's eyes only
    assert 'href="/portal/coop/test-villages/pledges.csv"' in page
    csv_text = client.get(f"/portal/coop/{CAMPAIGN}/pledges.csv")
    assert csv_text.headers["content-type"].startswith("text/csv") and person["email"] in csv_text.text


def test_the_manager_corrects_a_zone_and_a_refusal_keeps_the_input(world) -> None:
    client, store, tokens = world
    _sign_in(client, tokens, "coop-manager")
    path = f"/portal/coop/{CAMPAIGN}/zones/thoiry"
    was = {"was_homes_passed": "520", "was_homes_source": _zone(store, "thoiry")["homes_source"], "was_target": "60"}
    done = client.post(path, data={**was, "homes_passed": "480", "homes_source": "mairie 2026", "target": "60"})
    assert done.status_code == 303 and done.headers["location"].endswith("?done=edited")
    assert (_zone(store, "thoiry")["homes_passed"], _zone(store, "thoiry")["homes_source"]) == (480, "mairie 2026")
    was = {"was_homes_passed": "480", "was_homes_source": "mairie 2026", "was_target": "60"}
    refused = client.post(path, data={**was, "homes_passed": "480", "homes_source": "mairie 2026", "target": "900"})
    assert refused.status_code == 422 and "the target is more than the homes passed" in refused.text
    assert 'value="900"' in refused.text and _zone(store, "thoiry")["target_subscribers"] == 60


def test_the_design_page_shows_every_candidate_side_by_side_and_reruns_the_what_if(world) -> None:
    client, _, tokens = world
    _sign_in(client, tokens, "coop-manager")
    path = f"/portal/coop/{CAMPAIGN}/zones/thoiry/design"
    page = client.get(path)
    assert page.status_code == 200, page.text
    text = page.text
    for row in ("Kind", "Attachment", "Path", "Distance on existing links", "New build", "Backhaul", "Monthly",
                "One-off", "Per member per month", "Feasible"):
        assert f'<th scope="row">{row}</th>' in text
    assert text.count("data-candidate=") >= 2 and " km<" in text and "Mbit/s" in text
    default = re.search(r'id="backhaul">([^<]+)<', text).group(1)
    heavier = client.get(path, params={"busy_hour_mbps": "10", "peak_factor": "2"}).text
    assert re.search(r'id="backhaul">([^<]+)<', heavier).group(1) != default
    assert 'value="10"' in heavier
    assert client.get(path, params={"peak_factor": "-1"}).status_code == 422


def test_ordering_a_design_from_the_portal_shows_the_plan(world, monkeypatch: pytest.MonkeyPatch) -> None:
    client, store, tokens = world
    _sign_in(client, tokens, "coop-manager")
    order = f"/portal/coop/{CAMPAIGN}/zones/autouillet/order"
    early = client.post(order, data={"candidate": "0"})
    assert early.status_code == 409 and "has not reached its target" in html.unescape(early.text)

    def partner_down(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the partner's ordering system is down")

    for i in range(2):
        person = resident(300 + i, where=AUTOUILLET)
        assert _pledge(client, person).status_code in (200, 303)
        assert _confirm(client, store, person).status_code == 200
    with monkeypatch.context() as patched:  # reached with 2 members; the automatic order fails
        patched.setattr(coop_design, "order_design", partner_down)
        campaigns.edit_zone(store, CAMPAIGN, "autouillet", {"target": {"subscribers": 2}}, tenant=None, actor="test")
    assert _zone(store, "autouillet")["design_state"] == "order_failed"

    page = client.get(f"/portal/coop/{CAMPAIGN}/zones/autouillet/design").text
    feasible = re.findall(r'name="candidate" value="(\d+)"', page)
    assert feasible, "the sample network carries a 2-member zone's connection"
    answer = client.post(order, data={"candidate": feasible[0]})
    assert answer.status_code == 200, answer.text
    assert "the connection is ordered" in answer.text and re.search(r'id="plan">p-\d{14}-[0-9a-f]{8}<', answer.text)
    assert _zone(store, "autouillet")["design_state"] == "ordered"
    twice = client.post(order, data={"candidate": feasible[0]})
    assert twice.status_code == 409  # never ordered twice


def test_other_roles_and_other_cooperatives_see_nothing(world) -> None:
    client, _, tokens = world
    _sign_in(client, tokens, "acme-admin")
    assert client.get("/portal/coop").status_code == 403
    assert 'href="/portal/coop"' not in client.get("/portal/sites").text
    assert client.get(f"/portal/coop/{CAMPAIGN}").status_code == 403
    _sign_in(client, tokens, "rival-manager")
    assert CAMPAIGN not in client.get("/portal/coop").text
    for path in (f"/portal/coop/{CAMPAIGN}", f"/portal/coop/{CAMPAIGN}/pledges.csv",
                 f"/portal/coop/{CAMPAIGN}/zones/thoiry/design"):
        assert client.get(path).status_code == 404, path
    _sign_in(client, tokens, "op-admin")
    assert f'data-campaign="{CAMPAIGN}"' in client.get("/portal/coop").text
    _ = THOIRY
