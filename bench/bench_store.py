"""Benchmark of the store: saving and loading the sample backbone, SQLite and (when reachable) PostgreSQL.

Competitor: building the same `Network` from the shipped files (`load_sample_network`: GraphML
parse + capacity rules + YAML), i.e. what a process would do without a database. Figures are the
median of a few runs, in milliseconds; the last line printed is one JSON object.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text

from unilink.inventory import sample
from unilink.inventory.sample import load_sample_network
from unilink.store import network_repo
from unilink.store.db import Store

RUNS = 5
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def median_ms(action: Callable[[], object], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 3)


def measure(prefix: str, url: str, network: object) -> dict[str, float]:
    figures: dict[str, float] = {}
    start = time.perf_counter()
    store = Store.open(url)
    figures[f"{prefix}_open_and_migrate_fresh_ms"] = round((time.perf_counter() - start) * 1000, 3)
    start = time.perf_counter()
    store.replace_network(network)  # type: ignore[arg-type]
    figures[f"{prefix}_save_sample_fresh_ms"] = round((time.perf_counter() - start) * 1000, 3)
    figures[f"{prefix}_save_unchanged_ms"] = median_ms(lambda: store.replace_network(network))  # type: ignore[arg-type]

    def load_uncached() -> object:
        with store.session() as session:
            return network_repo.load(session)

    figures[f"{prefix}_load_uncached_ms"] = median_ms(load_uncached)
    figures[f"{prefix}_load_cached_ms"] = median_ms(store.load_network, runs=50)
    figures[f"{prefix}_open_migrated_ms"] = median_ms(lambda: Store.open(url).close())
    store.close()
    return figures


def main() -> None:
    figures: dict[str, float | int | str] = {}
    # The sample module caches its network: time the uncached build (what a cold process pays).
    figures["competitor_build_from_files_ms"] = median_ms(sample._sample_network.__wrapped__)
    network = load_sample_network()
    figures["sample_pops"], figures["sample_links"] = len(network.pops), len(network.links)
    with tempfile.TemporaryDirectory() as tmp:
        figures.update(measure("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", network))
    figures["ratio_files_over_sqlite_load_uncached"] = round(
        figures["competitor_build_from_files_ms"] / figures["sqlite_load_uncached_ms"], 1)  # type: ignore[operator]
    figures["ratio_files_over_sqlite_load_cached"] = round(
        figures["competitor_build_from_files_ms"] / figures["sqlite_load_cached_ms"], 1)  # type: ignore[operator]
    try:
        admin = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        schema = f"unilink_bench_{uuid.uuid4().hex[:8]}"
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # no server: say so in the figures, do not fail the bench
        figures["postgresql"] = f"skipped: {type(exc).__name__}"
    else:
        try:
            figures.update(measure("postgresql", f"{PG_URL}?options=-csearch_path%3D{schema}", network))
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    for key, value in figures.items():
        print(f"{key}: {value}")
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
