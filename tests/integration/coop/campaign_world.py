"""The campaign tests' world: a cooperative tenant, a campaign over two drawn zones, and residents who
pledge and find their links in the mail outbox (the way a resident finds them in their inbox)."""

from __future__ import annotations

import re
from typing import Any

from unilink.store import campaign_repo, outbox_repo
from unilink.store.db import Store
from unilink.store.tenancy import add_tenant
from unilink.usecases import campaigns

COOP = "coop-test"
CAMPAIGN = "fibre-test"
PLAN = "fibre-300"
# Two squares side by side (~1.1 km each), west and east
WEST = [[48.850, 1.750], [48.860, 1.750], [48.860, 1.765], [48.850, 1.765]]
EAST = [[48.850, 1.765], [48.860, 1.765], [48.860, 1.780], [48.850, 1.780]]
IN_WEST, IN_EAST = (48.855, 1.757), (48.855, 1.772)


def add_coop(store: Store, name: str = COOP, kind: str = "cooperative") -> None:
    with store.session(write=True) as session:
        add_tenant(session, name, kind, name.title())


def spec(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": CAMPAIGN, "tenant": COOP, "title": "Fibre for the test villages",
        "deadline": "2027-01-31T18:00:00Z", "max_extensions": 2, "share_price_cents": 100,
        "plans": [{"name": PLAN, "down_bps": 300_000_000, "up_bps": 100_000_000, "monthly_cents": 2_900},
                  {"name": "fibre-1000", "down_bps": 1_000_000_000, "up_bps": 500_000_000, "monthly_cents": 3_900}],
        "zones": [{"name": "west", "polygon": WEST, "homes_passed": 40, "homes_source": "test count",
                   "target": {"subscribers": 3}, "build_cost_cents": 1_000_000},
                  {"name": "east", "polygon": EAST, "homes_passed": 100, "homes_source": "test count",
                   "target": {"share": 0.1}, "build_cost_cents": 2_000_000}]}
    return base | overrides


def open_test_campaign(store: Store, **overrides: Any) -> dict[str, Any]:
    add_coop(store)
    return campaigns.open_campaign(store, spec(**overrides), actor="manager")


def body(k: int, *, where: tuple[float, float] = IN_WEST, **overrides: Any) -> dict[str, Any]:
    return {"name": f"Resident {k}", "email": f"resident{k}@example.org", "address": f"{k} rue du Test",
            "lat": where[0], "lon": where[1], "plan": PLAN} | overrides


def links(store: Store, email: str) -> dict[str, str]:
    """The confirm and withdraw tokens of the newest mail to `email`."""
    for mail in campaigns.mail_outbox(store, limit=1000):
        if mail["to"] == email and "confirm?token=" in mail["body"]:
            return {purpose: re.search(rf"/{purpose}\?token=([\w-]+)", mail["body"]).group(1)  # type: ignore[union-attr]
                    for purpose in ("confirm", "withdraw")}
    raise AssertionError(f"no confirmation mail to {email}")


def pledge_and_confirm(store: Store, k: int, **kw: Any) -> dict[str, Any]:
    campaigns.pledge(store, CAMPAIGN, body(k, **kw))
    return campaigns.confirm_pledge(store, links(store, body(k, **kw)["email"])["confirm"])


def counts(store: Store) -> dict[str, int]:
    with store.session() as session:
        return {**campaign_repo.row_counts(session), "outbox": outbox_repo.counts(session)["total"]}


def topics(store: Store, prefix: str = "campaign.") -> list[tuple[str, dict[str, Any]]]:
    with store.session() as session:
        return [(r["topic"], r["payload"]) for r in outbox_repo.rows(session) if r["topic"].startswith(prefix)]


def zone(store: Store, name: str, tenant: str | None = None) -> dict[str, Any]:
    view = campaigns.manager_view(store, CAMPAIGN, tenant=tenant)
    return next(z for z in view["zones"] if z["name"] == name)
