"""A small world for the entry-point tests: Paris–London (10 Gbit/s), tenant `acme` with an E-Line of
1 Gbit/s in service, and tokens for an operator-admin and acme's admin.

`the_change()` is the change every entry point makes: the E-Line to 9 Gbit/s (90 % of the link: a
capacity alarm in each direction) and a new site whose FTTH line needs field work (an order).
`recorded(store)` is what a change left behind — history, intent versions, outbox rows, events — with
the random ids (plans, orders) and the actors replaced, so that two worlds compare equal.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from unilink.access import accounts
from unilink.engine import core as engine_core
from unilink.events.publish import events_after
from unilink.inventory.model import Network, Pop, Router, RouterRole, Vendor, make_link
from unilink.store import outbox_repo, tenancy
from unilink.store.db import Store
from unilink.usecases.change_plans import plan_change
from unilink.usecases.plan_applying import apply_plan

TENANT = "acme"
G = 10**9
IDS = re.compile(r"\b(p-\d{14}-[0-9a-f]{8}|o-\d{8}-[0-9a-f]{8})\b")
FIBRE = {"technology": "fibre", "provider": "on-net", "port": "100G", "down": "95G", "up": "95G"}
FTTH = {"technology": "ftth", "provider": "on-net", "port": "1G", "down": "300M", "up": "100M"}


def small_network() -> Network:
    paris = Pop("Paris", "Paris", "FR", 48.8566, 2.3522)
    london = Pop("London", "London", "GB", 51.5074, -0.1278)
    routers = [Router("par-pe1", "Paris", RouterRole.EDGE, Vendor.FRR, "10.255.0.1"),
               Router("lon-pe1", "London", RouterRole.EDGE, Vendor.JUNOS, "10.255.0.2")]
    links = [make_link("Paris-London", paris, london, 10 * G, a_router="par-pe1", b_router="lon-pe1")]
    return Network(name="small", pops=[paris, london], routers=routers, links=links)


def document(eline_rate: str, *, annex: bool) -> dict[str, Any]:
    sites = [{"name": "par-dc", "pop": "Paris", "access": dict(FIBRE)},
             {"name": "lon-dc", "pop": "London", "access": dict(FIBRE)}]
    services: list[dict[str, Any]] = [{"kind": "eline", "name": "par-lon", "a": "par-dc", "b": "lon-dc",
                                       "rate": eline_rate}]
    if annex:
        sites.append({"name": "par-annex", "pop": "Paris", "access": dict(FTTH)})
        services.append({"kind": "internet", "name": "annex-internet", "site": "par-annex", "rate": "100M"})
    return {"sites": sites, "services": services}


def the_change() -> dict[str, Any]:
    return document("9G", annex=True)


def make_template(path: Path) -> dict[str, str]:
    """Seed the world into the SQLite file `path`; the tokens by key (op-admin, acme-admin)."""
    store = Store.open(f"sqlite:///{path}")
    try:
        store.replace_network(small_network())
        with store.session(write=True) as session:
            tenancy.add_tenant(session, TENANT, "enterprise", "Acme Industries")
            tokens = {"op-admin": accounts.create_token(session, role="operator-admin", tenant=None,
                                                        name="op-admin")[0].token,
                      "acme-admin": accounts.create_token(session, role="tenant-admin", tenant=TENANT,
                                                          name="acme-admin")[0].token}
        first = plan_change(store, TENANT, document("1G", annex=False), actor="seed", accesses_installed=True)
        apply_plan(store, first.id, actor="seed", reason="onboarding")
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        store.close()
    return tokens


def copy_of(template: Path, directory: Path) -> Store:
    copy = directory / "unilink.db"
    shutil.copyfile(template, copy)
    return Store.open(f"sqlite:///{copy}", migrate=False)


def _anonymous(value: Any) -> Any:
    return json.loads(IDS.sub(lambda m: "<plan>" if m.group(1).startswith("p-") else "<order>", json.dumps(value)))


def recorded(store: Store, *, since_history: int = 0, since_outbox: int = 0, since_event: int = 0
             ) -> dict[str, Any]:
    """What changes recorded after the given ids (history rows, outbox rows, events), without random ids
    and actors (each entry point names its own: a token's subject, the shell user, "scheduler")."""
    history = [{k: v for k, v in row.items() if k not in ("id", "actor")}
               for row in reversed(engine_core.history(store, TENANT)) if row["id"] > since_history]
    with store.session() as session:
        outbox = [{k: v for k, v in row.items() if k not in ("id", "event_id")}
                  for row in outbox_repo.rows(session) if row["id"] > since_outbox]
        events = [{"type": e.type, "tenant": e.tenant, "data": e.data}
                  for e in events_after(session, since_event, tenant=None, operator=True, limit=1000)]
    return _anonymous({"history": history, "outbox": outbox, "events": events,
                       "status": engine_core.status(store, TENANT)})


def marks(store: Store) -> dict[str, int]:
    """The newest history, outbox and event ids: what `recorded` should start after."""
    history = engine_core.history(store, TENANT, limit=1)
    with store.session() as session:
        outbox = outbox_repo.rows(session)
        events = events_after(session, 0, tenant=None, operator=True, limit=100_000)
    return {"since_history": history[0]["id"] if history else 0, "since_outbox": outbox[-1]["id"] if outbox else 0,
            "since_event": events[-1].id if events else 0}
