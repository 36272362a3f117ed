"""`unilink network import` refuses a network that drops what live services use (exit 4, nothing changed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner
from world import acme, prepare, small_network

from unilink.cli.main import app
from unilink.engine import apply, plan
from unilink.errors import ConflictError
from unilink.inventory.exporters import to_yaml
from unilink.inventory.model import Network
from unilink.store.db import Store


@pytest.fixture
def live(tmp_path: Path) -> tuple[Store, str]:
    url = f"sqlite:///{tmp_path / 'guard.db'}"
    store = prepare(Store.open(url))
    apply(store, plan(store, "acme", acme(), accesses_installed=True).id, "tester", "onboarding")
    return store, url


def without(network: Network, *, router: str | None = None, link: str | None = None, pop: str | None = None
            ) -> Network:
    return Network(network.name, [p for p in network.pops if p.name != pop],
                   [r for r in network.routers if r.name != router and r.pop != pop],
                   [lk for lk in network.links if lk.name != link and pop not in (lk.a, lk.b)],
                   list(network.interconnects))


def import_cli(url: str, path: Path) -> tuple[int, str]:
    result = CliRunner(env={"UNILINK_DATABASE_URL": url}).invoke(app, ["network", "import", str(path)])
    return result.exit_code, result.output


@pytest.mark.parametrize(("dropped", "named"), [
    ({"router": "lyon-pe1"}, ["acme/Plant", "router lyon-pe1"]),
    ({"link": "Lyon-Milan"}, ["acme/", "link Lyon-Milan"]),
    ({"pop": "Milan"}, ["acme/Office", "PoP Milan"]),
])
def test_import_dropping_a_used_element_is_refused_and_changes_nothing(
        live: tuple[Store, str], tmp_path: Path, dropped: dict[str, str], named: list[str]) -> None:
    store, url = live
    network_before, version_before = store.load_network(), store.topology_version()
    path = tmp_path / "smaller.yaml"
    path.write_text(to_yaml(without(small_network(), **dropped)))
    code, output = import_cli(url, path)
    assert code == ConflictError.exit_code == 4, output
    flat = " ".join(output.split())
    assert "still in use" in flat and all(text in flat for text in named), output
    assert "Traceback" not in output
    assert store.topology_version() == version_before
    assert store.load_network() == network_before


def test_import_dropping_an_unused_element_goes_through(live: tuple[Store, str], tmp_path: Path) -> None:
    store, url = live
    network = small_network()
    bigger = Network(network.name, network.pops, network.routers + [
        type(network.routers[0])("lyon-pe2", "Lyon", network.routers[0].role, network.routers[0].vendor,
                                 "10.255.0.9")], network.links, network.interconnects)
    store.replace_network(bigger)
    path = tmp_path / "back.yaml"
    path.write_text(to_yaml(network))  # drops lyon-pe2, on which nothing runs
    code, output = import_cli(url, path)
    assert code == 0, output
    assert "lyon-pe2" not in {r.name for r in store.load_network().routers}
