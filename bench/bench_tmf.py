"""TMF641 against the native API: a rate change ordered end to end, through the HTTP API.

TMF641: `POST /tmf-api/serviceOrdering/v4/serviceOrder` with one `modify` item (the E-Line's rate),
which translates the order, plans and applies it, and answers the order `completed`. Native:
`POST /api/v1/plans` (the intent with the new rate) then `POST /api/v1/plans/{id}/apply` — the same
change, the same engine. Both on the seeded sample (the wholesale tenant `nordlink-wholesale`),
SQLite, simulated routers, the app in-process behind Starlette's TestClient (no sockets: what is
measured is the server's work), rounds alternating so that both meet the same machine load.
`ratio_p50` = TMF p50 / native p50: what the façade costs over the native path.

Prints one JSON object as its last line.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "200"))
WARMUP = 5
TENANT = "nordlink-wholesale"
ELINE = "oslo-handoff-hamburg-handoff"
ORDERING = "/tmf-api/serviceOrdering/v4"
INVENTORY = "/tmf-api/serviceInventory/v4"


def _setup(path: Path) -> tuple[object, str]:
    import unilink.engine  # noqa: F401 - registers the engine's seed step (the demo intents)
    from unilink.access import accounts
    from unilink.store.db import Store
    from unilink.store.seed import seed

    store = Store.open(f"sqlite:///{path}")
    seed(store)
    with store.session(write=True) as session:
        token = accounts.create_token(session, role="tenant-admin", tenant=TENANT, name="bench")[0].token
    return store, token


def _quantiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return round(statistics.median(samples), 2), round(cuts[98], 2)


def main() -> None:
    from fastapi.testclient import TestClient

    from unilink.api.app import create_app

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        store, token = _setup(Path(tmp) / "unilink.db")
        setup_s = time.perf_counter() - started
        headers = {"Authorization": f"Bearer {token}"}
        app = create_app(store, rate_limit="off", deliver_webhooks=False)
        with TestClient(app) as client:
            eline = client.get(f"{INVENTORY}/service", headers=headers, params={"name": ELINE}).json()[0]["id"]
            intent = client.get("/api/v1/intent", headers=headers).json()
            intent.pop("tenant", None)
            line = next(s for s in intent["services"] if s["name"] == ELINE)
            tmf_ms: list[float] = []
            native_ms: list[float] = []
            for i in range(WARMUP + ROUNDS):
                # a different rate each time, within the 2G access: every change is a real one
                tmf_rate = 1_100_000_000 + 20_000_000 * (i % 40)
                native_rate = tmf_rate + 10_000_000
                t0 = time.perf_counter()
                order = client.post(f"{ORDERING}/serviceOrder", headers=headers, json={"serviceOrderItem": [
                    {"id": "1", "action": "modify",
                     "service": {"id": eline, "serviceCharacteristic": [{"name": "rate", "value": tmf_rate}]}}]})
                t1 = time.perf_counter()
                assert order.status_code == 201 and order.json()["state"] == "completed", order.text
                line["rate"] = native_rate
                plan = client.post("/api/v1/plans", headers=headers, json=intent)
                assert plan.status_code == 201, plan.text
                applied = client.post(f"/api/v1/plans/{plan.json()['id']}/apply", headers=headers, json={})
                t2 = time.perf_counter()
                assert plan.status_code == 201 and applied.status_code == 200, applied.text
                if i >= WARMUP:
                    tmf_ms.append((t1 - t0) * 1000)
                    native_ms.append((t2 - t1) * 1000)
            final = client.get(f"{INVENTORY}/service/{eline}", headers=headers).json()
            rate = next(c["value"] for c in final["serviceCharacteristic"] if c["name"] == "rate")
            assert rate == native_rate, rate  # the last change landed
        store.close()
    tmf_p50, tmf_p99 = _quantiles(tmf_ms)
    native_p50, native_p99 = _quantiles(native_ms)
    figures = {"bench": "tmf", "rounds": ROUNDS, "tenant": TENANT, "database": "sqlite", "setup_s": round(setup_s, 1),
               "tmf641_order_p50_ms": tmf_p50, "tmf641_order_p99_ms": tmf_p99,
               "native_plan_apply_p50_ms": native_p50, "native_plan_apply_p99_ms": native_p99,
               "ratio_p50": round(tmf_p50 / native_p50, 2), "ratio_p99": round(tmf_p99 / native_p99, 2),
               "load_average_1m": round(os.getloadavg()[0], 2), "total_s": round(time.perf_counter() - started, 1)}
    print(f"TMF641 p50 {tmf_p50} ms, native {native_p50} ms", file=sys.stderr)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
