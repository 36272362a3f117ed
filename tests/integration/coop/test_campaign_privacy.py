"""The public view of a campaign: progress per zone, never a resident's name, e-mail or address, no money
per person, and no count below 5 (k-anonymity) — not even through the progress bar."""

from __future__ import annotations

import json

from campaign_world import CAMPAIGN, IN_EAST, body, open_test_campaign, pledge_and_confirm

from unilink.coop.pledges import normalise_address
from unilink.store.db import Store
from unilink.usecases import campaigns

RESIDENTS = [("Ysolde Quenneville", "ysolde.q@example.org", "17 rue des Glycines"),
             ("Bartholomé Azérolle", "b.azerolle@example.net", "3 chemin de la Fontaine-Saint-Roch"),
             ("Ondine Praslin", "ondine@example.com", "8 impasse Vautrin")]


def _scraped(store: Store) -> str:
    return json.dumps(campaigns.public_view(store, CAMPAIGN), ensure_ascii=False).lower()


def test_the_public_view_holds_no_personal_datum(store: Store) -> None:
    open_test_campaign(store, zones=[{"name": "west", "polygon": [[48.850, 1.750], [48.860, 1.750], [48.860, 1.765],
                                                                  [48.850, 1.765]],
                                      "homes_passed": 400, "homes_source": "test", "target": {"subscribers": 100}}])
    for k, (name, email, address) in enumerate(RESIDENTS, start=1):
        pledge_and_confirm(store, k, name=name, email=email, address=address, deposit_cents=4_321, shares=7)
    for k in range(4, 8):
        pledge_and_confirm(store, k)
    page = _scraped(store)
    for name, email, address in RESIDENTS:
        for needle in (*name.lower().split(), email, email.split("@")[0], address.lower(), normalise_address(address),
                       address.lower().split(" ", 1)[1]):
            assert needle not in page, needle
    assert "resident" not in page and "example.org" not in page
    assert "4321" not in page and not any(key in page for key in ("deposit_cents", "voucher_cents", "funds"))
    zone = campaigns.public_view(store, CAMPAIGN)["zones"][0]
    assert (zone["confirmed"], zone["confirmed_label"], zone["progress"]) == (7, "7", 0.07)


def test_a_count_below_five_is_hidden_and_so_is_its_progress(store: Store) -> None:
    open_test_campaign(store)
    views = []
    for k in range(1, 5):  # east: target 10; 1..4 confirmed look the same
        pledge_and_confirm(store, k, where=IN_EAST)
        east = campaigns.public_view(store, CAMPAIGN)["zones"][1]
        views.append((east["confirmed"], east["confirmed_label"], east["progress"]))
    assert set(views) == {(None, "fewer than 5", 0.0)}
    campaigns.pledge(store, CAMPAIGN, body(9, where=IN_EAST))  # unconfirmed: never counted
    assert campaigns.public_view(store, CAMPAIGN)["zones"][1]["confirmed"] is None
    pledge_and_confirm(store, 5, where=IN_EAST)
    east = campaigns.public_view(store, CAMPAIGN)["zones"][1]
    assert (east["confirmed"], east["progress"], east["status"]) == (5, 0.5, "open")
    assert "collecting pledges" in east["next_step"]


def test_the_next_step_follows_the_zone(store: Store) -> None:
    open_test_campaign(store)
    for k in (1, 2, 3):
        pledge_and_confirm(store, k)  # west reaches 3; no network here: no candidate yet
    west = campaigns.public_view(store, CAMPAIGN)["zones"][0]
    assert west["status"] == "reached" and "being designed" in west["next_step"]
    assert west["confirmed"] is None  # reached, and still fewer than 5: hidden
