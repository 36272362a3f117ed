"""The campaigns' pure rules: zones on the map, normalisation, targets, k-anonymity, refunds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from unilink.coop import geo
from unilink.coop.campaigns import next_step, parse_deadline, parse_target, public_count, refund_of
from unilink.coop.communes import commune
from unilink.coop.pledges import mask_email, normalise_address, normalise_email, token_hash
from unilink.errors import ValidationError

NOW = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)


def test_a_commune_hexagon_holds_its_centre_and_not_the_next_village() -> None:
    villiers = commune("Villiers-le-Mahieu")
    hexagon = geo.hexagon(villiers.lat, villiers.lon, villiers.radius_km)
    assert len(hexagon) == 6 and geo.contains(hexagon, villiers.lat, villiers.lon)
    assert geo.centroid(hexagon) == pytest.approx((villiers.lat, villiers.lon), abs=1e-5)
    marcq = commune("Marcq")
    assert not geo.contains(hexagon, marcq.lat, marcq.lon)
    corner_km = geo.distance_km((villiers.lat, villiers.lon), (hexagon[0][0], hexagon[0][1]))
    assert corner_km == pytest.approx(villiers.radius_km, rel=1e-2)  # a plane approximation: within 1 %


def test_polygons_need_an_area_and_edges_that_do_not_cross() -> None:
    square = [[0.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, 0.0], [0.0, 0.0]]  # closed: the repeat goes
    assert geo.parse_polygon(square, field="p") == square[:4]
    for bad in ([[0, 0], [1, 1]], [[0, 0], [1, 1], [2, 2]], [[0, 0], [1, 1], [0, 1], [1, 0]], [[0, 0], [0, 1], [91, 0]],
                "square"):
        with pytest.raises(ValidationError):
            geo.parse_polygon(bad, field="p")


def test_emails_are_stripped_and_lower_cased_and_nothing_else() -> None:
    assert normalise_email("  Jean.Dupont+Coop@Example.ORG ") == "jean.dupont+coop@example.org"
    for bad in ("jean", "jean@", "@example.org", "a b@example.org", "a@example", "a@@example.org", 42):
        with pytest.raises(ValidationError):
            normalise_email(bad)
    assert mask_email("jean.dupont@example.org") == "j***@example.org"


def test_addresses_compare_without_case_accents_punctuation_or_abbreviations() -> None:
    assert normalise_address("12, Rue de l'Église") == normalise_address("12 r. de l eglise") == "12 rue de l eglise"
    assert normalise_address("3 Av.  du Général-Leclerc") == "3 avenue du general leclerc"
    assert normalise_address("3 bis rue X") != normalise_address("3 rue X")


def test_targets_are_counts_or_shares_at_most_the_homes() -> None:
    assert parse_target({"subscribers": 30}, 100, field="t") == (30, None)
    assert parse_target({"share": 0.25}, 310, field="t") == (78, 0.25)  # rounded up
    for bad in ({"subscribers": 101}, {"share": 0}, {"share": 1.5}, {"subscribers": 1, "share": 0.1}, 30):
        with pytest.raises(ValidationError):
            parse_target(bad, 100, field="t")


def test_deadlines_are_after_now() -> None:
    assert parse_deadline("2027-01-01T00:00:00+01:00", now=NOW) == datetime(2026, 12, 31, 23, tzinfo=UTC)
    assert parse_deadline("2027-01-01T00:00:00", now=NOW).tzinfo == UTC  # no zone: UTC
    for bad in ("2026-11-30T00:00:00Z", NOW.isoformat(), "tomorrow"):
        with pytest.raises(ValidationError):
            parse_deadline(bad, now=NOW)


@pytest.mark.parametrize("confirmed", [0, 1, 2, 3, 4])
def test_counts_below_five_look_alike(confirmed: int) -> None:
    assert public_count(confirmed, 10) == {"confirmed": None, "confirmed_label": "fewer than 5", "progress": 0.0}


def test_counts_from_five_are_shown() -> None:
    assert public_count(5, 10) == {"confirmed": 5, "confirmed_label": "5", "progress": 0.5}
    assert public_count(12, 10)["progress"] == 1.0


def test_refunds_are_deposit_and_shares_at_par_and_the_voucher_for_its_funder() -> None:
    assert refund_of({"deposit_cents": 5_000, "shares": 20, "voucher_cents": 30_000}, 100) == {
        "deposit_cents": 5_000, "shares_cents": 2_000, "voucher_cents": 30_000}


def test_every_status_has_a_sentence_for_residents() -> None:
    sentences = {s: next_step(s, deadline=NOW, lead_time_days=42) for s in ("open", "reached", "designed", "ordered",
                                                                              "expired")}
    assert len(set(sentences.values())) == 5 and "6 weeks" in sentences["ordered"]
    assert "refunded" in sentences["expired"] and "01 December 2026" in sentences["open"]


def test_a_token_is_kept_as_its_sha256() -> None:
    assert token_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
