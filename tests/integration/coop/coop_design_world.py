"""A seeded SQLite store for the coop design tests (seeded once per session, copied per test), and a
way to fill the Connectis 78 spur to Villiers-le-Mahieu through the engine."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from unilink.store.db import Store
from unilink.store.seed import seed
from unilink.usecases import tenant_views
from unilink.usecases.change_plans import plan_change
from unilink.usecases.plan_applying import apply_plan

M = 10**6
SPUR = "Thoiry--Villiers-le-Mahieu"  # 1G; the coop's seeded sites use 125M of it


def make_seeded(path: Path) -> None:
    store = Store.open(f"sqlite:///{path}")
    try:
        seed(store)
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        store.close()


def copy_of(template: Path, where: Path) -> Store:
    target = where / "unilink.db"
    shutil.copy(template, target)
    return Store.open(f"sqlite:///{target}")


def fill_spur(store: Store, bps: int = 800 * M) -> None:
    """Another tenant takes `bps` of the spur: a depot at Villiers-le-Mahieu with Internet at that rate,
    its public-backbone line already there (planned as installed, the way the seed plans)."""
    document: dict[str, Any] = dict(tenant_views.deployed_document(store, "acme-logistics"))
    document.pop("_physical", None)
    document["sites"] = [*document["sites"], {
        "name": "villiers-depot", "pop": "Villiers-le-Mahieu", "router": "villiers-le-mahieu-pe1",
        "access": {"technology": "public-backbone", "provider": "Connectis 78", "port": 10**9, "down": bps, "up": bps}}]
    document["services"] = [*document["services"],
                            {"kind": "internet", "name": "villiers-depot-internet", "site": "villiers-depot",
                             "rate": bps}]
    plan = plan_change(store, "acme-logistics", document, actor="test", accesses_installed=True)
    apply_plan(store, plan.id, actor="test", reason="fill the spur")
