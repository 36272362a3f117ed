"""Benchmark: importing Topology Zoo GraphML, unilink vs networkx.read_graphml (the competitor).

unilink's importer does more than parse (typed attributes, stubs, junctions, coordinates, parallel
edges, routers, great-circle lengths, validation), so the ratio is a ceiling check: the whole
import should stay in the same order as networkx's bare parse. Target: Cogentco < 0.2 s.

Prints one JSON object as its last line. Reads ../shared/data/topology-zoo when present, else the
shipped Interoute sample only. Run: .venv/bin/python bench/bench_import.py
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import networkx

from unilink.inventory.importers import import_file
from unilink.inventory.sample import _sample_network, load_sample_network, sample_path

ZOO = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "topology-zoo"
REPEAT = 7


def median_ms(action: Callable[[], object]) -> float:
    action()  # warm caches and imports
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 2)


def main() -> None:
    figures: dict[str, object] = {}
    cogent = ZOO / "Cogentco.graphml"
    target = cogent if cogent.is_file() else sample_path("interoute-2010.graphml")
    name = target.stem.lower().replace("-", "_")
    figures[f"{name}_unilink_ms"] = median_ms(lambda: import_file(target))
    figures[f"{name}_networkx_ms"] = median_ms(lambda: networkx.read_graphml(target))
    figures[f"{name}_ratio_unilink_over_networkx"] = round(
        figures[f"{name}_unilink_ms"] / figures[f"{name}_networkx_ms"], 2)  # type: ignore[operator]
    if ZOO.is_dir():
        files = sorted(ZOO.glob("*.graphml"))
        figures["all_zoo_files"] = len(files)
        figures["all_zoo_unilink_ms"] = median_ms(lambda: [import_file(f) for f in files])
        figures["all_zoo_networkx_ms"] = median_ms(lambda: [networkx.read_graphml(f) for f in files])
    # the sample is cached after its first load: measure the cold build, then the cached copy
    figures["sample_network_build_ms"] = median_ms(lambda: (_sample_network.cache_clear(), load_sample_network()))
    figures["sample_network_cached_ms"] = median_ms(load_sample_network)
    figures["cogentco_target_ms"] = 200
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
