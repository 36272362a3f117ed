"""First-start data: the sample backbone, the demo tenants, and each domain's own demo data.

`seed(store)` runs every step in `STEPS`, in order. Each step is idempotent: it adds what is
missing and leaves what is there (unless `force`, which resets the demo data it owns), so
`unilink seed --if-empty` on every start is safe.

Another domain adds its seeding as ONE line in `STEPS`: a name and "module:function", where the
function is `(store: Store, force: bool) -> str` returning what it did in a few words; or a name and
`REGISTERED`, when the domain registers the function itself at start-up
(`store.callbacks.register_seed_step`), as the engine does: the store never imports the engine. A
domain the process may not have imported when it seeds (the `unilink seed` command loads no use case)
declares its step as an entry point of group `unilink.seed_steps` in pyproject.toml instead, under the
step's name: the store finds it there, still without naming the package.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points

from sqlalchemy import select

from unilink.errors import UnilinkError
from unilink.store import callbacks
from unilink.store.db import Store
from unilink.store.tables.tenancy import Tenant
from unilink.store.tenancy import add_tenant

SeedStep = Callable[[Store, bool], str]
REGISTERED = "registered"  # a step whose domain registers its function (store.callbacks)
SEED_STEP_GROUP = "unilink.seed_steps"  # or declares it as an entry point (pyproject.toml)

STEPS: list[tuple[str, str]] = [
    ("inventory", "unilink.store.seed:seed_inventory"),
    ("tenants", "unilink.store.seed:seed_tenants"),
    # -- other domains' steps below, one line each, in the order they must run --
    ("service intents", REGISTERED),  # engine.seeding.seed_service_intents (engine.wiring)
    ("sample campaign", REGISTERED),  # usecases.campaign_seed (an installed entry point: see _installed_step)
    ("api tokens", "unilink.store.seed:seed_token_hint"),
]


@dataclass(frozen=True, slots=True)
class SeedResult:
    step: str
    outcome: str


def seed(store: Store, *, force: bool = False) -> list[SeedResult]:
    """Seed what is missing (`force`: also reset the sample network and demo tenants).

    Demo data is optional: a step that refuses on purpose (a `UnilinkError`, e.g. the demo intents
    when the user imported their own network and the sample PoPs are gone) is reported as skipped
    and the next steps still run, so `make run` starts on any database. Bugs still raise.
    """
    results = []
    for name, target in STEPS:
        try:
            outcome = _resolve(name, target)(store, force)
        except UnilinkError as exc:
            outcome = f"skipped: {exc}"
        results.append(SeedResult(name, outcome))
    return results


def _resolve(name: str, target: str) -> SeedStep:
    if target == REGISTERED:
        step = callbacks.seed_step(name) or _installed_step(name)
        if step is None:  # its domain is not loaded in this process
            raise UnilinkError(f"no {name!r} seed step is registered (import unilink.engine first, or install unilink)")
        return step
    module_name, _, function_name = target.partition(":")
    return getattr(importlib.import_module(module_name), function_name)


def _installed_step(name: str) -> SeedStep | None:
    """The seed step an installed package declares as the entry point `name` of `unilink.seed_steps`."""
    found = entry_points(group=SEED_STEP_GROUP, name=name)
    return next((entry.load() for entry in found), None)


def seed_inventory(store: Store, force: bool) -> str:
    """The sample backbone (Interoute 2010 + Connectis 78 + interconnects) when there is no network."""
    from unilink.inventory.sample import load_sample_network

    if store.load_network().pops and not force:
        return "kept the existing network"
    network = load_sample_network()
    change = store.replace_network(network)
    return (f"loaded the sample network {network.name!r}: {len(network.pops)} PoPs, {len(network.links)} links "
            f"(topology version {change.version})")


def seed_tenants(store: Store, force: bool) -> str:
    """The demo tenants that do not exist yet (`force`: also reset their kind and display name)."""
    from unilink.inventory.sample import load_demo_tenants

    added = reset = 0
    with store.session(write=True) as session:
        existing = {t.name: t for t in session.scalars(select(Tenant))}
        for raw in load_demo_tenants():
            tenant = existing.get(raw["name"])
            if tenant is None:
                add_tenant(session, raw["name"], raw["kind"], raw["display_name"])
                added += 1
            elif force and (tenant.kind, tenant.display_name) != (raw["kind"], raw["display_name"]):
                tenant.kind, tenant.display_name = raw["kind"], raw["display_name"]
                reset += 1
    return f"added {added} demo tenants" + (f", reset {reset}" if reset else "")


def seed_token_hint(store: Store, force: bool) -> str:
    """No token is created at seeding (none may end up in a file): say how to make one."""
    return ("no API tokens are seeded: `unilink serve` (make run) prints a single-use sign-in link for the "
            "operator administrator, or create one with: .venv/bin/unilink token create --role operator-admin "
            "(or --role tenant-admin --tenant <name>)")
