"""The import rules of docs/architecture.md, checked on the real import graph (grimp: the graph behind
import-linter).

1. No cycle between unilink's top-level packages (`api`, `web`, `cli`, `engine`, `store`, …, and the
   top-level modules such as `units`): a package that imports another must not be imported back, or
   neither can be read, tested or replaced alone.
2. SQL only in `unilink.store`: no module outside it imports `sqlalchemy`.
3. `unilink.access` (principals, accounts, scoping) lies below `api`, `web`, `cli` and `events`.

On failure the test names the chain of imports that closes the cycle, or the module that imports
sqlalchemy, each with its line.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import grimp
import pytest

ROOT = "unilink"
STORE = "unilink.store"
SQL_PACKAGE = "sqlalchemy"


@dataclass(frozen=True, slots=True)
class ModuleImport:
    importer: str
    imported: str
    line: int

    def __str__(self) -> str:
        return f"{self.importer}:{self.line} imports {self.imported}"


def build_graph(package: str) -> grimp.ImportGraph:
    # cache_dir=None: no .grimp_cache written into the checkout
    return grimp.build_graph(package, include_external_packages=True, cache_dir=None)


def top_level(module: str, root: str) -> str | None:
    """`root.api.routes.x` → `root.api`; None for a module outside `root` (an external package)."""
    parts = module.split(".")
    if parts[0] != root or len(parts) < 2:
        return None
    return ".".join(parts[:2])


def _first_line(graph: grimp.ImportGraph, importer: str, imported: str) -> int:
    details = graph.get_import_details(importer=importer, imported=imported)
    return min((d["line_number"] for d in details), default=0)


def package_edges(graph: grimp.ImportGraph, root: str, allowed: Iterable[tuple[str, str]] = ()
                  ) -> dict[tuple[str, str], ModuleImport]:
    """(package, package) → one module import that makes the first import the second (the first by name)."""
    skip = set(allowed)
    edges: dict[tuple[str, str], ModuleImport] = {}
    for importer in sorted(graph.modules):
        source = top_level(importer, root)
        if source is None:
            continue
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            target = top_level(imported, root)
            if target is None or target == source or (importer, imported) in skip:
                continue
            edges.setdefault((source, target), ModuleImport(importer, imported,
                                                            _first_line(graph, importer, imported)))
    return edges


def _path(edges: dict[tuple[str, str], ModuleImport], start: str, goal: str) -> list[str] | None:
    """The shortest package path start → … → goal (breadth first, neighbours by name: deterministic)."""
    successors: dict[str, list[str]] = {}
    for source, target in sorted(edges):
        successors.setdefault(source, []).append(target)
    came_from: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = [node]
            while came_from[path[-1]] is not None:
                path.append(came_from[path[-1]])  # type: ignore[arg-type]
            return path[::-1]
        for nxt in successors.get(node, []):
            if nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    return None


def package_cycles(graph: grimp.ImportGraph, root: str, allowed: Iterable[tuple[str, str]] = ()
                   ) -> list[list[ModuleImport]]:
    """Each package cycle once (from its smallest package name), as the module imports that close it."""
    edges = package_edges(graph, root, allowed)
    cycles: list[list[ModuleImport]] = []
    seen: set[frozenset[str]] = set()
    for source, target in sorted(edges):
        back = _path(edges, target, source)
        if back is None:
            continue
        ring = [source, *back]  # source → target → … → source
        key = frozenset(ring)
        if key in seen:
            continue
        seen.add(key)
        cycles.append([edges[(a, b)] for a, b in zip(ring, ring[1:], strict=False)])
    return cycles


def sql_outside_store(graph: grimp.ImportGraph, root: str, store: str, allowed: Iterable[str] = ()
                      ) -> list[ModuleImport]:
    """Every import of sqlalchemy by a module of `root` outside `store` (and not allowed for now)."""
    skip = set(allowed)
    found = []
    for importer in sorted(graph.find_modules_that_directly_import(SQL_PACKAGE)):
        inside = importer == store or importer.startswith(store + ".")
        if top_level(importer, root) is None or inside or importer in skip:
            continue
        found.append(ModuleImport(importer, SQL_PACKAGE, _first_line(graph, importer, SQL_PACKAGE)))
    return found


def _report(title: str, lines: list[str]) -> str:
    return title + "\n" + "\n".join(f"  {line}" for line in lines)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return build_graph(ROOT)


def test_no_cycle_between_top_level_packages(graph: grimp.ImportGraph) -> None:
    cycles = package_cycles(graph, ROOT)
    described = [" → ".join([c[0].importer.split(".")[1], *(i.imported.split(".")[1] for i in c)]) + ": "
                 + "; ".join(str(i) for i in c) for c in cycles]
    assert not cycles, _report("package cycles (move the shared code into a package below both):", described)


def test_sql_only_in_store(graph: grimp.ImportGraph) -> None:
    found = sql_outside_store(graph, ROOT, STORE)
    assert not found, _report("sqlalchemy imported outside unilink.store (move the query into a store/ "
                              "repository):", [str(i) for i in found])


# Installed only with the `test` extra (pyproject.toml): the product must run without them.
TEST_ONLY_PACKAGES = ("aiosmtpd", "grimp", "hypothesis", "netconf", "networkx", "playwright", "pytest",
                      "schemathesis")


def test_no_test_only_package_imported_at_run_time(graph: grimp.ImportGraph) -> None:
    found = [f"{importer} imports {package}" for package in TEST_ONLY_PACKAGES if package in graph.modules
             for importer in sorted(graph.find_modules_that_directly_import(package))
             if top_level(importer, ROOT) is not None]
    assert not found, _report("test-only packages imported by unilink (a plain `pip install unilink` lacks them):",
                              found)


# The layer the API and the portal share: it may import neither of them (nor the CLI), or the portal
# would reach the API's routes through it again.
BELOW_THE_ADAPTERS = {"unilink.access": ("unilink.api", "unilink.web", "unilink.cli", "unilink.events")}


def test_access_imports_no_adapter(graph: grimp.ImportGraph) -> None:
    edges = package_edges(graph, ROOT)
    found = [str(edges[(low, high)]) for low, highs in BELOW_THE_ADAPTERS.items() for high in highs
             if (low, high) in edges]
    assert not found, _report("unilink.access imports an adapter above it:", found)





# -- the checker itself catches what it must ------------------------------------------------------

def _write_package(base: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = base / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


SYNTHETIC = {
    "synth/__init__.py": "",
    "synth/alpha/__init__.py": "",
    "synth/alpha/one.py": "from synth.beta import two\n",
    "synth/beta/__init__.py": "",
    "synth/beta/two.py": "import os\n\nfrom synth.gamma import three\n",
    "synth/gamma/__init__.py": "",
    "synth/gamma/three.py": "from synth.alpha import one\n",
    "synth/store/__init__.py": "",
    "synth/store/repo.py": "import sqlalchemy\n",
    "synth/web.py": "from sqlalchemy import select\n\nfrom synth.store import repo\n",
}


@pytest.fixture()
def synthetic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> grimp.ImportGraph:
    _write_package(tmp_path, SYNTHETIC)
    monkeypatch.syspath_prepend(str(tmp_path))
    return build_graph("synth")


def test_the_check_names_the_chain_of_a_cycle(synthetic: grimp.ImportGraph) -> None:
    cycles = package_cycles(synthetic, "synth")
    assert [[str(i) for i in c] for c in cycles] == [[
        "synth.alpha.one:1 imports synth.beta.two",
        "synth.beta.two:3 imports synth.gamma.three",
        "synth.gamma.three:1 imports synth.alpha.one",
    ]]


def test_an_allowed_import_breaks_the_cycle(synthetic: grimp.ImportGraph) -> None:
    assert package_cycles(synthetic, "synth", {("synth.gamma.three", "synth.alpha.one")}) == []


def test_the_check_names_the_module_that_imports_sqlalchemy(synthetic: grimp.ImportGraph) -> None:
    assert [str(i) for i in sql_outside_store(synthetic, "synth", "synth.store")] == [
        "synth.web:1 imports sqlalchemy"]
    assert sql_outside_store(synthetic, "synth", "synth.store", {"synth.web"}) == []


# Which top-level package may import which (docs/architecture.md, "Layers"). The core (domain and
# algorithms) imports no adapter; the store imports only the domain it persists; the application
# services sit between the adapters (api, web, cli) and the engine. A new edge is a design decision:
# add it here and in the doc, in the same commit.
_DOMAIN = {"errors", "units", "clock", "inventory", "catalog", "network", "services", "planning", "coop"}
MAY_IMPORT: dict[str, set[str]] = {
    "errors": set(), "units": {"errors"}, "clock": set(),
    "coop": {"catalog", "errors", "inventory", "network", "services", "units"},
    "inventory": {"errors", "units"}, "catalog": {"errors", "units"}, "planning": {"errors", "inventory", "units"},
    "network": {"errors", "inventory", "units"}, "services": {"catalog", "errors", "inventory", "units"},
    "store": _DOMAIN - {"planning", "coop"},
    "devices": {"clock", "errors", "inventory", "network", "units", "store"},
    "lab": {"devices", "errors", "inventory", "network", "units"},
    "engine": _DOMAIN - {"planning", "coop", "clock"} | {"devices", "store"},
    "access": {"errors", "inventory", "store"},
    "events": {"access", "errors", "network", "store"},
    "usage": {"catalog", "clock", "devices", "engine", "errors", "events", "inventory", "network", "services", "store",
              "units"},
    "billing": {"catalog", "errors", "units", "usage"},  # pure: of usage, only the 95/5 rule (usage.percentile)
    "usecases": {"billing", "catalog", "coop", "engine", "errors", "events", "network", "services", "store", "usage"},
    "web": _DOMAIN | {"access", "engine", "events", "store", "usecases"},
    "api": _DOMAIN | {"access", "engine", "events", "store", "usage", "usecases", "web"},
    "cli": _DOMAIN | {"access", "api", "engine", "lab", "store", "usage", "usecases"},
}


def test_each_package_imports_only_the_layers_below_it(graph: grimp.ImportGraph) -> None:
    edges = {(a.split(".")[1], b.split(".")[1]): edge for (a, b), edge in package_edges(graph, ROOT).items()}
    unknown = sorted({a for a, _ in edges} - set(MAY_IMPORT))
    assert not unknown, f"new top-level packages: say in MAY_IMPORT what they may import: {unknown}"
    found = [str(edges[(a, b)]) for a, b in sorted(edges) if b not in MAY_IMPORT[a]]
    assert not found, _report("imports across the layers (see docs/architecture.md, Layers):", found)
