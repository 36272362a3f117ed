"""Campaigns end to end on SQLite and PostgreSQL: open, pledge, confirm, withdraw, reach, extend, expire,
refund — and every refused request leaves every table as it was."""

from __future__ import annotations

from datetime import timedelta

import pytest
from campaign_world import (
    CAMPAIGN,
    COOP,
    IN_EAST,
    IN_WEST,
    add_coop,
    body,
    counts,
    links,
    open_test_campaign,
    pledge_and_confirm,
    spec,
    topics,
    zone,
)

from unilink.clock import FrozenClock
from unilink.errors import ConflictError, NotFoundError, ValidationError
from unilink.store.db import Store
from unilink.usecases import campaigns


def test_open_gives_the_manager_view_with_targets_from_counts_and_shares(any_store: Store) -> None:
    view = open_test_campaign(any_store)
    assert (view["status"], view["tenant"], view["max_extensions"]) == ("open", COOP, 2)
    west, east = view["zones"]
    assert (west["target_subscribers"], east["target_subscribers"]) == (3, 10)  # 10 % of 100 homes
    assert west["status"] == "open" and west["confirmed"] == 0 and west["funds"]["total_cents"] == 0
    assert campaigns.list_campaigns(any_store, tenant=COOP)[0]["name"] == CAMPAIGN
    assert campaigns.list_campaigns(any_store, tenant="someone-else") == []


def test_a_commune_zone_gets_its_hexagon_and_homes_from_the_gazetteer(store: Store) -> None:
    view = open_test_campaign(store, zones=[{"name": "thoiry", "commune": "thoiry", "target": {"share": 0.25}}])
    thoiry = view["zones"][0]
    assert (thoiry["commune"], thoiry["homes_passed"], thoiry["target_subscribers"]) == ("Thoiry", 520, 130)
    assert len(thoiry["polygon"]) == 6 and "INSEE" in thoiry["homes_source"]
    made = campaigns.pledge(store, CAMPAIGN, body(1, where=(48.8672, 1.7969)))  # Thoiry's centre
    assert made["zone"] == "thoiry"


def test_only_confirmed_pledges_count(any_store: Store) -> None:
    open_test_campaign(any_store)
    made = campaigns.pledge(any_store, CAMPAIGN, body(1, deposit_cents=5_000, shares=10, voucher_cents=20_000))
    assert made["status"] == "unconfirmed" and made["email_masked"] == "r***@example.org"
    assert (zone(any_store, "west")["confirmed"], zone(any_store, "west")["unconfirmed"]) == (0, 1)
    assert zone(any_store, "west")["funds"]["total_cents"] == 0  # money counts once confirmed
    confirmed = campaigns.confirm_pledge(any_store, links(any_store, "resident1@example.org")["confirm"])
    assert confirmed == {"pledge_id": made["pledge_id"], "campaign": CAMPAIGN, "zone": "west",
                         "status": "confirmed", "zone_reached": False}
    west = zone(any_store, "west")
    assert (west["confirmed"], west["unconfirmed"]) == (1, 0)
    assert west["funds"] == {"deposits_cents": 5_000, "shares": 10, "shares_cents": 1_000,
                             "vouchers_cents": 20_000, "total_cents": 26_000}
    assert west["covered"] == 0.026


def test_a_link_works_once(any_store: Store) -> None:
    open_test_campaign(any_store)
    campaigns.pledge(any_store, CAMPAIGN, body(1))
    token = links(any_store, "resident1@example.org")["confirm"]
    campaigns.confirm_pledge(any_store, token)
    before = counts(any_store)
    with pytest.raises(ValidationError) as refused:
        campaigns.confirm_pledge(any_store, token)
    assert refused.value.field == "token"
    assert zone(any_store, "west")["confirmed"] == 1 and counts(any_store) == before
    with pytest.raises(ValidationError):
        campaigns.confirm_pledge(any_store, "x" * 43)  # unknown
    with pytest.raises(ValidationError):  # a withdraw link does not confirm
        campaigns.confirm_pledge(any_store, links(any_store, "resident1@example.org")["withdraw"])


def test_a_link_expires_after_seven_days(store: Store, frozen_clock: FrozenClock) -> None:
    open_test_campaign(store)
    campaigns.pledge(store, CAMPAIGN, body(1))
    frozen_clock.advance(timedelta(days=7, seconds=1))
    with pytest.raises(ValidationError):
        campaigns.confirm_pledge(store, links(store, "resident1@example.org")["confirm"])
    assert zone(store, "west")["confirmed"] == 0
    # the lapsed pledge no longer holds the e-mail: the resident pledges again and gets a new link
    campaigns.pledge(store, CAMPAIGN, body(1))
    assert campaigns.confirm_pledge(store, links(store, "resident1@example.org")["confirm"])["status"] == "confirmed"


def test_one_pledge_per_normalised_email(any_store: Store) -> None:
    open_test_campaign(any_store)
    campaigns.pledge(any_store, CAMPAIGN, body(1))
    before = counts(any_store)
    with pytest.raises(ConflictError) as refused:
        campaigns.pledge(any_store, CAMPAIGN, body(2, email="  Resident1@EXAMPLE.org "))
    assert refused.value.field == "email"
    assert "Resident 1" not in str(refused.value.to_dict()) and "rue" not in str(refused.value.to_dict())
    assert counts(any_store) == before


def test_one_pledge_per_normalised_address(any_store: Store) -> None:
    open_test_campaign(any_store)
    campaigns.pledge(any_store, CAMPAIGN, body(1, address="12, Rue de l'Église"))
    before = counts(any_store)
    with pytest.raises(ConflictError) as refused:
        campaigns.pledge(any_store, CAMPAIGN, body(2, address="12 r. de l eglise"))
    assert refused.value.field == "address" and counts(any_store) == before


def test_a_withdrawn_pledge_stops_counting_and_frees_its_email_and_address(any_store: Store) -> None:
    open_test_campaign(any_store)
    pledge_and_confirm(any_store, 1, deposit_cents=5_000, shares=3)
    withdrawn = campaigns.withdraw_pledge(any_store, links(any_store, "resident1@example.org")["withdraw"])
    assert withdrawn["status"] == "withdrawn"
    west = zone(any_store, "west")
    assert (west["confirmed"], west["withdrawn"], west["funds"]["total_cents"]) == (0, 1, 0)
    refunds = campaigns.ledger(any_store, CAMPAIGN, tenant=COOP)["zones"][0]["refunds_owed"]
    assert (refunds["pledges"], refunds["to_residents_cents"]) == (1, 5_300)
    pledge_and_confirm(any_store, 1)  # same e-mail and address: allowed again
    assert zone(any_store, "west")["confirmed"] == 1


def test_the_manager_withdraws_a_pledge_of_their_campaign_only(store: Store) -> None:
    open_test_campaign(store)
    pledge_id = pledge_and_confirm(store, 1)["pledge_id"]
    with pytest.raises(NotFoundError):
        campaigns.withdraw_by_manager(store, CAMPAIGN, pledge_id, tenant="other-coop", actor="x")
    campaigns.withdraw_by_manager(store, CAMPAIGN, pledge_id, tenant=COOP, actor="manager")
    assert zone(store, "west")["confirmed"] == 0
    with pytest.raises(ConflictError):
        campaigns.withdraw_by_manager(store, CAMPAIGN, pledge_id, tenant=COOP, actor="manager")


def test_reaching_the_target_fires_once_and_stays_reached_after_a_withdrawal(any_store: Store) -> None:
    open_test_campaign(any_store)
    results = [pledge_and_confirm(any_store, k) for k in range(1, 5)]  # target 3
    assert [r["zone_reached"] for r in results] == [False, False, True, False]
    reached = [p for t, p in topics(any_store) if t == "campaign.reached"]
    assert reached == [{"campaign": CAMPAIGN, "zone": "west", "confirmed": 3, "target_subscribers": 3,
                        "homes_passed": 40}]
    with any_store.session() as session:
        from unilink.store import outbox_repo
        tenants = {r["tenant"] for r in outbox_repo.rows(session) if r["topic"] == "campaign.reached"}
    assert tenants == {COOP}  # the coop's webhooks hear of it
    campaigns.withdraw_pledge(any_store, links(any_store, "resident1@example.org")["withdraw"])
    campaigns.withdraw_pledge(any_store, links(any_store, "resident2@example.org")["withdraw"])
    west = zone(any_store, "west")
    assert west["confirmed"] == 2 and west["reached_at"] is not None and west["status"] != "open"
    pledge_and_confirm(any_store, 9)
    assert len([t for t, _ in topics(any_store) if t == "campaign.reached"]) == 1
    # the design ran once (no network here: infeasible, said once)
    assert [t for t, _ in topics(any_store) if t != "campaign.reached"] == ["campaign.design_infeasible"]


def test_lowering_a_target_to_the_confirmed_count_reaches_the_zone_once(any_store: Store) -> None:
    open_test_campaign(any_store)
    for k in (1, 2):
        pledge_and_confirm(any_store, k, where=IN_EAST)
    view = campaigns.edit_zone(any_store, CAMPAIGN, "east", {"homes_passed": 20, "homes_source": "the town hall"},
                               tenant=COOP, actor="manager")
    east = next(z for z in view["zones"] if z["name"] == "east")
    assert (east["homes_passed"], east["target_subscribers"], east["reached_at"]) == (20, 2, east["reached_at"])
    assert east["reached_at"] is not None  # 10 % of 20 homes = 2 = confirmed: reached by the edit
    campaigns.edit_zone(any_store, CAMPAIGN, "east", {"target": {"subscribers": 1}}, tenant=COOP, actor="manager")
    assert [p["zone"] for t, p in topics(any_store) if t == "campaign.reached"] == ["east"]


def test_edit_refuses_a_target_above_homes_and_a_count_without_source(store: Store) -> None:
    open_test_campaign(store)
    before = counts(store)
    with pytest.raises(ValidationError) as refused:
        campaigns.edit_zone(store, CAMPAIGN, "west", {"target": {"subscribers": 41}}, tenant=COOP, actor="m")
    assert refused.value.field == "zones[west].target"
    with pytest.raises(ValidationError):
        campaigns.edit_zone(store, CAMPAIGN, "west", {"homes_passed": 50}, tenant=COOP, actor="m")
    with pytest.raises(NotFoundError):
        campaigns.edit_zone(store, CAMPAIGN, "west", {"build_cost_cents": 1}, tenant="other", actor="m")
    assert counts(store) == before and zone(store, "west")["target_subscribers"] == 3


def test_extensions_move_the_deadline_later_at_most_max_times(store: Store) -> None:
    open_test_campaign(store, max_extensions=2)
    with pytest.raises(ValidationError) as earlier:
        campaigns.extend(store, CAMPAIGN, until="2027-01-15T00:00:00Z", tenant=COOP, actor="m")
    assert earlier.value.field == "until"
    view = campaigns.extend(store, CAMPAIGN, until="2027-02-28T18:00:00Z", tenant=COOP, actor="m")
    assert view["deadline"] == "2027-02-28T18:00:00Z" and view["extensions_used"] == 1
    assert {z["deadline"] for z in view["zones"]} == {"2027-02-28T18:00:00Z"}
    # a zone's own extension counts with the campaign's: east has one left, then none
    view = campaigns.extend(store, CAMPAIGN, until="2027-03-15T18:00:00Z", zone="east", tenant=COOP, actor="m")
    assert [z["deadline"] for z in view["zones"]] == ["2027-02-28T18:00:00Z", "2027-03-15T18:00:00Z"]
    with pytest.raises(ConflictError):
        campaigns.extend(store, CAMPAIGN, until="2027-03-31T18:00:00Z", zone="east", tenant=COOP, actor="m")
    campaigns.extend(store, CAMPAIGN, until="2027-03-31T18:00:00Z", tenant=COOP, actor="m")  # the campaign's 2nd
    with pytest.raises(ConflictError):
        campaigns.extend(store, CAMPAIGN, until="2027-04-30T18:00:00Z", tenant=COOP, actor="m")
    assert [z["deadline"] for z in campaigns.manager_view(store, CAMPAIGN, tenant=COOP)["zones"]] == [
        "2027-03-31T18:00:00Z", "2027-03-31T18:00:00Z"]


def test_a_zone_short_of_its_target_expires_with_its_refunds_owed(any_store: Store, frozen_clock: FrozenClock) -> None:
    open_test_campaign(any_store)
    pledge_and_confirm(any_store, 1, where=IN_EAST, deposit_cents=5_000, shares=20, voucher_cents=50_000)
    pledge_and_confirm(any_store, 2, where=IN_EAST)  # no money: nothing to refund
    campaigns.pledge(any_store, CAMPAIGN, body(3, where=IN_EAST, deposit_cents=9_999))  # never confirmed
    for k in (4, 5, 6):
        pledge_and_confirm(any_store, k)  # west reaches its 3
    assert campaigns.expire_due(any_store) == []  # nothing due yet
    frozen_clock.set(frozen_clock.now().replace(year=2027, month=2, day=1))
    expired = campaigns.expire_due(any_store)
    assert expired == [{"campaign": CAMPAIGN, "zone": "east", "confirmed": 2, "target_subscribers": 10,
                        "refunds": 1, "deposit_cents": 5_000, "shares_cents": 2_000, "voucher_cents": 50_000}]
    assert campaigns.expire_due(any_store) == []  # once
    view = campaigns.manager_view(any_store, CAMPAIGN, tenant=COOP)
    assert [z["status"] for z in view["zones"]][1] == "expired" and view["status"] == "closed"
    owed = campaigns.ledger(any_store, CAMPAIGN, tenant=COOP)["totals"]["refunds_owed"]
    assert (owed["to_residents_cents"], owed["to_funders_cents"], owed["pledges"]) == (7_000, 50_000, 1)
    assert [p["zone"] for t, p in topics(any_store) if t == "campaign.expired"] == ["east"]
    with pytest.raises(ConflictError):
        campaigns.pledge(any_store, CAMPAIGN, body(7, where=IN_EAST))


def test_a_campaign_past_its_deadline_takes_no_pledge(store: Store, frozen_clock: FrozenClock) -> None:
    open_test_campaign(store)
    frozen_clock.set(frozen_clock.now().replace(year=2027, month=1, day=30))
    campaigns.pledge(store, CAMPAIGN, body(1))  # its link is valid for 7 days, the zone for 2
    frozen_clock.set(frozen_clock.now().replace(year=2027, month=2, day=1))
    before = counts(store)
    with pytest.raises(ConflictError):
        campaigns.pledge(store, CAMPAIGN, body(2))
    with pytest.raises(ConflictError):  # nor a late confirmation
        campaigns.confirm_pledge(store, links(store, "resident1@example.org")["confirm"])
    assert counts(store) == before
    assert campaigns.public_view(store, CAMPAIGN)["status"] == "expired"


@pytest.mark.parametrize(("change", "field"), [
    ({"lat": 48.0, "lon": 2.0}, "lat"),  # outside every zone
    ({"email": "not-an-email"}, "email"),
    ({"email": "a@b"}, "email"),
    ({"plan": "fibre-10g"}, "plan"),
    ({"deposit_cents": -100}, "deposit_cents"),
    ({"shares": -1}, "shares"),
    ({"voucher_cents": 1.5}, "voucher_cents"),
    ({"name": " "}, "name"),
    ({"address": "!!!"}, "address"),
])
def test_a_bad_pledge_is_refused_and_writes_nothing(store: Store, change: dict[str, object], field: str) -> None:
    open_test_campaign(store)
    before = counts(store)
    with pytest.raises(ValidationError) as refused:
        campaigns.pledge(store, CAMPAIGN, body(1, **change))
    assert refused.value.field == field
    if field == "lat":
        assert "west" in str(refused.value.accepted) and "east" in str(refused.value.accepted)
    assert counts(store) == before


@pytest.mark.parametrize(("change", "field"), [
    ({"deadline": "2026-11-30T00:00:00Z"}, "deadline"),  # the frozen clock is at 2026-12-01
    ({"deadline": "soon"}, "deadline"),
    ({"zones": []}, "zones"),
    ({"name": "Not A Slug"}, "name"),
    ({"plans": []}, "plans"),
])
def test_a_bad_campaign_is_refused_and_writes_nothing(store: Store, change: dict[str, object], field: str) -> None:
    add_coop(store)
    before = counts(store)
    with pytest.raises(ValidationError) as refused:
        campaigns.open_campaign(store, spec(**change), actor="m")
    assert refused.value.field == field and counts(store) == before


def test_zone_errors_name_the_zone(store: Store) -> None:
    add_coop(store)
    zones = spec()["zones"]
    cases = [([zones[0], {**zones[1], "name": "west"}], "zones[1].name"),
             ([{**zones[0], "target": {"subscribers": 41}}], "zones[0].target"),
             ([{**zones[0], "polygon": [[48.85, 1.75], [48.86, 1.76], [48.85, 1.76], [48.86, 1.75]]}],
              "zones[0].polygon"),  # a bow tie
             ([{**zones[0], "polygon": [[48.85, 1.75], [48.86, 1.76]]}], "zones[0].polygon"),
             ([{**zones[0], "build_cost_cents": -1}], "zones[0].build_cost_cents")]
    for bad, field in cases:
        with pytest.raises(ValidationError) as refused:
            campaigns.open_campaign(store, spec(zones=bad), actor="m")
        assert refused.value.field == field
    assert counts(store)["campaigns"] == 0


def test_only_a_cooperative_runs_a_campaign(store: Store) -> None:
    add_coop(store, "acme", kind="enterprise")
    with pytest.raises(ValidationError):
        campaigns.open_campaign(store, spec(tenant="acme"), actor="m")
    with pytest.raises(NotFoundError):
        campaigns.open_campaign(store, spec(tenant="nobody"), actor="m")
    add_coop(store)
    campaigns.open_campaign(store, spec(), actor="m")
    with pytest.raises(ConflictError):
        campaigns.open_campaign(store, spec(), actor="m")


def test_another_tenant_never_sees_the_campaign(store: Store) -> None:
    open_test_campaign(store)
    for read in (campaigns.manager_view, campaigns.ledger, campaigns.pledges_csv):
        with pytest.raises(NotFoundError) as hidden:
            read(store, CAMPAIGN, tenant="other-coop")
        assert hidden.value.to_dict() == {"error": "no such campaign", "field": "campaign", "value": CAMPAIGN}
    with pytest.raises(NotFoundError) as absent:
        campaigns.manager_view(store, "no-such", tenant="other-coop")
    assert absent.value.message == "no such campaign"


def test_the_csv_has_every_pledge_and_keeps_formulas_as_text(store: Store) -> None:
    open_test_campaign(store)
    pledge_and_confirm(store, 1, name="=HYPERLINK(\"http://evil\")", deposit_cents=500, shares=2)
    campaigns.pledge(store, CAMPAIGN, body(2, where=IN_EAST))
    lines = campaigns.pledges_csv(store, CAMPAIGN, tenant=COOP).splitlines()
    assert lines[0].startswith("pledge_id,zone,name,email,address")
    assert len(lines) == 3 and "'=HYPERLINK" in lines[1] and ",confirmed,500,2,200,0," in lines[1]
    assert "resident2@example.org" in lines[2] and ",unconfirmed," in lines[2]
    assert IN_WEST  # both zones present
