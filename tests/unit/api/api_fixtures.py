"""Helpers of the API tests: an API over a fresh SQLite store with three tenants and one token per role.

Tenants: `acme` and `globex` (enterprises), `village` (a cooperative). Tokens (`api.tokens[key]`):
op-admin, op-viewer, acme-admin, acme-viewer, globex-admin, village-manager.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from unilink.access import accounts
from unilink.inventory.model import Network, Pop, Router, RouterRole, Vendor, make_link
from unilink.store import tenancy
from unilink.store.db import Store
from unilink.store.tables.auth import WebhookRow

TOKEN_SPECS = {
    "op-admin": ("operator-admin", None),
    "op-viewer": ("operator-viewer", None),
    "acme-admin": ("tenant-admin", "acme"),
    "acme-viewer": ("tenant-viewer", "acme"),
    "globex-admin": ("tenant-admin", "globex"),
    "village-manager": ("coop-manager", "village"),
}


@dataclass
class Api:
    client: TestClient
    store: Store
    tokens: dict[str, str]
    objects: dict[str, object]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, path: str, who: str, **kwargs: object):  # noqa: ANN201 - httpx.Response
        return self.client.get(path, headers=self.headers(who), **kwargs)

    def post(self, path: str, who: str, **kwargs: object):  # noqa: ANN201
        return self.client.post(path, headers=self.headers(who), **kwargs)

    def put(self, path: str, who: str, **kwargs: object):  # noqa: ANN201
        return self.client.put(path, headers=self.headers(who), **kwargs)

    def delete(self, path: str, who: str, **kwargs: object):  # noqa: ANN201
        return self.client.delete(path, headers=self.headers(who), **kwargs)


def small_network() -> Network:
    paris = Pop("Paris", "Paris", "FR", 48.8566, 2.3522)
    london = Pop("London", "London", "GB", 51.5074, -0.1278)
    frankfurt = Pop("Frankfurt", "Frankfurt am Main", "DE", 50.1109, 8.6821)
    routers = [Router("par-pe1", "Paris", RouterRole.EDGE, Vendor.FRR, "10.255.0.1"),
               Router("lon-pe1", "London", RouterRole.EDGE, Vendor.JUNOS, "10.255.0.2"),
               Router("fra-p1", "Frankfurt", RouterRole.CORE, Vendor.IOSXR, "10.255.0.3")]
    links = [make_link("Paris-London", paris, london, 100 * 10**9, a_router="par-pe1", b_router="lon-pe1"),
             make_link("Paris-Frankfurt", paris, frankfurt, 10 * 10**9)]
    return Network(name="small", pops=[paris, london, frankfurt], routers=routers, links=links)


def seed_accounts(store: Store) -> dict[str, str]:
    with store.session(write=True) as session:
        tenancy.add_tenant(session, "acme", "enterprise", "Acme Industries")
        tenancy.add_tenant(session, "globex", "enterprise", "Globex Corporation")
        tenancy.add_tenant(session, "village", "cooperative", "Villiers-le-Mahieu numérique")
        return {key: accounts.create_token(session, role=role, tenant=tenant, name=key)[0].token
                for key, (role, tenant) in TOKEN_SPECS.items()}




def seed_objects(store: Store) -> dict[str, object]:
    """Per-tenant objects whose ids the tests need: a webhook, a spare token and a user each for acme and globex."""
    objects: dict[str, object] = {}
    with store.session(write=True) as session:
        for tenant in ("acme", "globex"):
            hook = WebhookRow(tenant=tenant, url=f"http://127.0.0.1:9/{tenant}", secret="0123456789abcdef",
                              event_types=[], active=True, created_at=datetime.now(UTC))
            session.add(hook)
            session.flush()
            objects[f"{tenant}_hook"] = hook.id
            _, info = accounts.create_token(session, role="tenant-viewer", tenant=tenant, name=f"spare-{tenant}")
            objects[f"{tenant}_token"] = info.prefix
            user = accounts.create_user(session, username=f"clerk@{tenant}", password=None, role="tenant-viewer",
                                        tenant=tenant)
            objects[f"{tenant}_user"] = user.username
    return objects


def site_document(site: str) -> dict[str, object]:
    """A one-site intent on the small network whose access needs field work (so applying it raises an order)."""
    return {"sites": [{"name": site, "pop": "Paris", "access": {"technology": "ftth", "provider": "on-net",
                                                               "port": "1G", "down": "300M", "up": "100M"}}],
            "services": [{"kind": "internet", "name": f"{site}-internet", "site": site, "rate": "100M"}]}


def campaign_spec(name: str) -> dict[str, object]:
    return {"name": name, "title": f"Fibre ({name})", "deadline": "2027-03-01T18:00:00Z",
            "plans": [{"name": "fibre-300", "down_bps": 300_000_000, "up_bps": 300_000_000, "monthly_cents": 2990}],
            "zones": [{"name": "thoiry", "commune": "Thoiry", "target": {"subscribers": 40}}]}


def seed_campaigns(store: Store, objects: dict[str, object]) -> None:
    """A campaign of `village` (`village-fibre`, with one unconfirmed pledge), and one of another
    cooperative, `hamlet` (`hamlet-fibre`), for the authorization matrix."""
    from unilink.usecases import campaigns

    with store.session(write=True) as session:
        tenancy.add_tenant(session, "hamlet", "cooperative", "Hameau numérique")
    for tenant, name in (("village", "village-fibre"), ("hamlet", "hamlet-fibre")):
        campaigns.open_campaign(store, {**campaign_spec(name), "tenant": tenant}, actor="seed")
    pledged = campaigns.pledge(store, "village-fibre", {
        "name": "Ada Lovelace", "email": "ada@example.org", "address": "1 rue de l'Église, Thoiry",
        "lat": 48.8672, "lon": 1.7969, "plan": "fibre-300"})
    objects["village_pledge"] = pledged["pledge_id"]


def seed_engine_objects(store: Store, objects: dict[str, object]) -> None:
    """Per tenant (acme, globex): a site in service (`<tenant>-office`), a site awaiting field work with
    its open order (`<tenant>-hq`), and a plan ready to apply."""
    from unilink import engine

    for tenant in ("acme", "globex"):
        office = site_document(f"{tenant}-office")
        first = engine.plan(store, tenant, office, actor="seed", accesses_installed=True)
        engine.apply(store, first.id, "seed", "fixture")
        both = site_document(f"{tenant}-hq")
        both["sites"] = office["sites"] + both["sites"]
        both["services"] = office["services"] + both["services"]
        second = engine.plan(store, tenant, both, actor="seed")
        objects[f"{tenant}_order"] = engine.apply(store, second.id, "seed", "fixture").orders[0]
        objects[f"{tenant}_plan"] = engine.plan(store, tenant, office, actor="seed").id


def seed_members(store: Store, objects: dict[str, object]) -> None:
    """Per cooperative (village, hamlet): plans basic (100M/50M) and plus (300M/100M), line flat-1 on par-pe1,
    a public pool and an IPv6 pool, one member and its requested subscription (`village_sub`, `hamlet_sub`)."""
    from unilink.usecases import memberships

    for n, coop in enumerate(("village", "hamlet"), start=1):
        memberships.add_plan(store, coop, name="basic", down="100M", up="50M", monthly_cents=2500)
        memberships.add_plan(store, coop, name="plus", down="300M", up="100M", monthly_cents=3500)
        memberships.add_line(store, coop, name="flat-1", router="par-pe1", port=f"m{n}", ceiling_down="1G",
                             ceiling_up="1G")
        memberships.add_pool(store, coop, name="public", kind="ipv4", prefix=f"192.0.2.{16 * n}/28")
        memberships.add_pool(store, coop, name="v6", kind="ipv6", prefix=f"2001:db8:{n}::/48", delegated_length=56)
        member = memberships.add_member(store, coop, name="Ada", email="ada@example.org", address="1 rue")
        objects[f"{coop}_member"] = member["id"]
        objects[f"{coop}_sub"] = memberships.request(store, coop, member=member["id"], plan="basic",
                                                     line="flat-1")["id"]


USAGE_START = datetime(2026, 11, 24, tzinfo=UTC)   # 7 days of samples before TEST_NOW (2026-12-01 02:30)


def seed_usage(store: Store) -> None:
    """7 days of 5-minute samples for `acme-office` and `globex-office` (300M down committed): 30 Mbit/s
    down, but 288 Mbit/s (96 %) from 14:00 to 15:00 UTC every day; 20 Mbit/s up."""
    from usage_samples import busy_days, write_rates

    for tenant in ("acme", "globex"):
        down = busy_days(7, busy_bps=288 * 10**6, quiet_bps=30 * 10**6)
        write_rates(store, tenant=tenant, site=f"{tenant}-office", start=USAGE_START, down_bps=down,
                    up_bps=[20 * 10**6] * len(down), interface=f"{tenant}.100")


def seed_invoices(store: Store, objects: dict[str, object]) -> None:
    """acme's and globex's December 2026 invoices (their office, applied at TEST_NOW), issued as if on
    January 1st: `acme_invoice`, `globex_invoice`."""
    from unilink.usecases import invoicing

    for tenant in ("acme", "globex"):
        issued = invoicing.issue_month(store, tenant, "2026-12", now=datetime(2027, 1, 1, tzinfo=UTC), actor="seed")
        objects[f"{tenant}_invoice"] = issued["number"]
