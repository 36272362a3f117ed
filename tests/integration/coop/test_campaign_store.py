"""The campaign tables: the migration creates what the models say; the partial unique indexes hold one
active pledge per e-mail and per address even when the code's own check is bypassed; the sample seed."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from campaign_world import open_test_campaign

import unilink.store.tables  # noqa: F401  (every table: complete metadata)
from unilink.errors import ConflictError
from unilink.store import campaign_repo
from unilink.store.base import Base
from unilink.store.db import Store
from unilink.store.seed import seed
from unilink.usecases import campaigns

COOP_TABLES = {"campaigns", "campaign_zones", "pledges", "pledge_tokens", "campaign_refunds", "mail_outbox"}


def test_the_migration_creates_what_the_models_say(any_store: Store) -> None:
    with any_store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert [d for d in diffs if COOP_TABLES & set(str(d).replace("'", " ").replace(",", " ").split())] == []


def test_the_index_holds_one_active_pledge_even_past_the_check(any_store: Store,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    open_test_campaign(any_store)
    with any_store.session() as session:
        found = campaign_repo.campaign(session, "fibre-test")
        assert found is not None
        zone_id = campaign_repo.zones(session, found["id"])[0]["id"]
    row = {"campaign_id": found["id"], "zone_id": zone_id, "name": "A", "email": "a@example.org",
           "email_key": "a@example.org", "address": "1 rue X", "address_key": "1 rue x", "lat": 48.855,
           "lon": 1.757, "plan": "fibre-300", "deposit_cents": 0, "shares": 0, "voucher_cents": 0,
           "created_at": any_store.clock.now()}
    with any_store.session(write=True) as session:
        campaign_repo.add_pledge(session, public_id="p1", **row)
    monkeypatch.setattr(campaign_repo, "select", _never_finds(campaign_repo.select))  # as if two raced
    for other, field in (({"address": "2 rue X", "address_key": "2 rue x"}, "email"),
                         ({"email": "b@example.org", "email_key": "b@example.org"}, "address")):
        with pytest.raises(ConflictError) as refused, any_store.session(write=True) as session:
            campaign_repo.add_pledge(session, public_id="p2", **{**row, **other})
        assert refused.value.field == field


def _never_finds(select):  # type: ignore[no-untyped-def]
    """`select` for add_pledge's pre-check only: it looks for a pledge id and, here, finds none."""
    from unilink.store.tables.coop import PledgeRow

    def patched(*columns):  # type: ignore[no-untyped-def]
        query = select(*columns)
        return query.where(False) if columns == (PledgeRow.id,) else query
    return patched


def test_the_seed_ships_the_sample_campaign_deterministically(store: Store) -> None:
    steps = {r.step: r.outcome for r in seed(store)}
    assert steps["sample campaign"].startswith("opened the campaign 'villages-mahieu'")
    first = campaigns.public_view(store, "villages-mahieu")
    csv_first = campaigns.pledges_csv(store, "villages-mahieu", tenant="coop-mahieu")
    assert first["status"] == "open" and first["tenant"] == "coop-mahieu"
    zones = {z["name"]: z for z in first["zones"]}
    assert {"villiers", "thoiry"} <= set(zones) and all(z["homes_source"] for z in zones.values())
    assert zones["villiers"]["confirmed"] >= 5 and zones["autouillet"]["confirmed"] is None  # k-anonymity shown
    seed(store, force=True)  # rebuilt: the same campaign, the same pledges
    assert campaigns.public_view(store, "villages-mahieu") == first
    assert campaigns.pledges_csv(store, "villages-mahieu", tenant="coop-mahieu") == csv_first
    assert {r.step: r.outcome for r in seed(store)}["sample campaign"] == "kept the campaign 'villages-mahieu'"
