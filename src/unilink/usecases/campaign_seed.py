"""Seed step "sample campaign": one campaign of the demo cooperative (coop-mahieu) over the villages
around Villiers-le-Mahieu and Thoiry, with a few FICTIONAL confirmed pledges so the public page shows
progress — fewer than 5 in some zones, so it also shows k-anonymity at work.

The communes are real (the gazetteer, `coop/data/communes.yaml`, with homes passed and their source);
the residents are invented (names, `example.org` e-mails, addresses). Deterministic: the deadline is
relative to the store's clock, every id is derived from the data, no mail is written (nobody to send it
to). The store finds it as the entry point "sample campaign" of `unilink.seed_steps` (pyproject.toml).
"""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import timedelta
from typing import Any

from unilink.coop import geo
from unilink.coop.pledges import normalise_address
from unilink.errors import UnilinkError
from unilink.store import campaign_repo

STEP = "sample campaign"
NAME = "villages-mahieu"
TENANT = "coop-mahieu"
ACTOR = "seed"
PLANS = [
    {"name": "fibre-300", "down_bps": 300_000_000, "up_bps": 100_000_000, "monthly_cents": 2_900},
    {"name": "fibre-1000", "down_bps": 1_000_000_000, "up_bps": 500_000_000, "monthly_cents": 3_900},
]
# (zone, commune, target share of homes, build cost): Reggefiber built at 30-50 %, Google's goals were 5-25 %
ZONES = [("villiers", "Villiers-le-Mahieu", 0.3, 18_500_000), ("thoiry", "Thoiry", 0.25, 24_000_000),
         ("autouillet", "Autouillet", 0.3, 9_500_000), ("marcq", "Marcq", 0.3, 14_000_000),
         ("goupillieres", "Goupillières", 0.3, 9_000_000)]
# fictional residents: (zone, name, street address, plan, deposit, shares)
PLEDGES = [
    ("villiers", "Camille Lefort", "3 rue de la Mairie", "fibre-300", 5_000, 10),
    ("villiers", "Hugo Besnard", "12 chemin des Vignes", "fibre-1000", 5_000, 50),
    ("villiers", "Léa Marchand", "7 place de l'Église", "fibre-300", 0, 1),
    ("villiers", "Nathan Perrin", "21 route de Thoiry", "fibre-300", 5_000, 5),
    ("villiers", "Inès Carré", "4 impasse du Lavoir", "fibre-1000", 10_000, 100),
    ("villiers", "Louis Garnier", "9 rue du Château", "fibre-300", 0, 1),
    ("villiers", "Chloé Rivière", "15 allée des Tilleuls", "fibre-300", 5_000, 20),
    ("thoiry", "Jules Fontaine", "2 rue du Parc", "fibre-1000", 5_000, 25),
    ("thoiry", "Manon Leclerc", "18 rue de la Gare", "fibre-300", 5_000, 10),
    ("thoiry", "Gabriel Roussel", "6 avenue du Général Leclerc", "fibre-300", 0, 1),
    ("thoiry", "Zoé Mercier", "11 rue des Écoles", "fibre-300", 5_000, 1),
    ("thoiry", "Arthur Lambert", "30 rue de Marcq", "fibre-1000", 5_000, 40),
    ("autouillet", "Alice Dumas", "1 rue de l'Abreuvoir", "fibre-300", 5_000, 5),
    ("autouillet", "Paul Renaud", "8 chemin du Moulin", "fibre-300", 0, 1),
    ("goupillieres", "Emma Giraud", "5 rue Saint-Martin", "fibre-300", 5_000, 10),
]


def seed_sample_campaign(store: Any, force: bool) -> str:
    """The sample campaign when it is missing (`force`: rebuilt from scratch)."""
    from unilink.usecases.campaigns import open_campaign

    with store.session(write=True) as session:
        if campaign_repo.campaign(session, NAME) is not None:
            if not force:
                return f"kept the campaign {NAME!r}"
            campaign_repo.delete_campaign(session, NAME)
    now = store.clock.now().replace(hour=18, minute=0, second=0, microsecond=0)
    deadline = now + timedelta(days=60)
    try:
        open_campaign(store, _spec(deadline.isoformat()), actor=ACTOR, now=store.clock.now())
    except UnilinkError as exc:  # e.g. no coop-mahieu tenant: the demo campaign needs the demo tenants
        raise UnilinkError(f"the sample campaign needs the demo cooperative {TENANT!r}: {exc}") from exc
    confirmed = _seed_pledges(store, now - timedelta(days=10))
    return f"opened the campaign {NAME!r}: {len(ZONES)} zones, {confirmed} confirmed pledges"


def _spec(deadline: str) -> dict[str, Any]:
    return {"name": NAME, "tenant": TENANT, "deadline": deadline, "max_extensions": 2,
            "title": "Fibre for the villages around Villiers-le-Mahieu and Thoiry", "plans": PLANS,
            "zones": [{"name": zone, "commune": commune, "target": {"share": share}, "build_cost_cents": cost}
                      for zone, commune, share, cost in ZONES]}


def _seed_pledges(store: Any, since: Any) -> int:
    from unilink.usecases.campaigns import _zone_at

    with store.session(write=True) as session:
        found = campaign_repo.campaign(session, NAME)
        assert found is not None
        zones = {z["name"]: z for z in campaign_repo.zones(session, found["id"])}
        for k, (zone_name, who, street, plan, deposit, shares) in enumerate(PLEDGES):
            zone = zones[zone_name]
            lat, lon = _home(zone, k)
            assert _zone_at(list(zones.values()), lat, lon)["name"] == zone_name  # the point is in its zone
            email = _ascii(who.lower().replace(" ", ".")) + "@example.org"
            address = f"{street}, {zone['commune']}"
            at = since + timedelta(hours=7 * k)
            pledge_id = campaign_repo.add_pledge(
                session, public_id=hashlib.sha256(f"{NAME}/{email}".encode()).hexdigest()[:16],
                campaign_id=found["id"], zone_id=zone["id"], name=who, email=email, email_key=email,
                address=address, address_key=normalise_address(address), lat=lat, lon=lon, plan=plan,
                deposit_cents=deposit, shares=shares, voucher_cents=0, created_at=at)
            campaign_repo.set_pledge_status(session, pledge_id, from_=("unconfirmed",), to="confirmed",
                                            at=at + timedelta(minutes=20))
    return len(PLEDGES)


def _home(zone: dict[str, Any], k: int) -> tuple[float, float]:
    """A point near the zone's centre, spread round it (deterministic; within ~400 m)."""
    lat, lon = geo.centroid(zone["polygon"])
    digest = hashlib.sha256(f"{zone['name']}/{k}".encode()).digest()
    return round(lat + (digest[0] - 128) / 128 * 0.0035, 6), round(lon + (digest[1] - 128) / 128 * 0.005, 6)


def _ascii(text: str) -> str:
    """"inès.carré" → "ines.carre": the accents folded, not dropped."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
