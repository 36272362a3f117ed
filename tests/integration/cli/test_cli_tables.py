"""CLI tables at 80 columns: nothing is cut with "…" — a long link name folds onto a second line — and
no line is wider than the terminal."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from unilink.cli.main import app
from unilink.inventory.model import Network, Pop, make_link
from unilink.store.db import Store


def test_network_show_keeps_every_name_whole_at_80_columns(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'unilink.db'}"
    a = Pop("Saint-Germain-en-Laye", "Saint-Germain-en-Laye", "FR", 48.8989, 2.0938)
    b = Pop("Villiers-le-Mahieu", "Villiers-le-Mahieu", "FR", 48.8595, 1.7745)
    c = Pop("Boulogne-Billancourt", "Boulogne-Billancourt", "FR", 48.8397, 2.2399)
    links = [make_link("Saint-Germain-en-Laye--Villiers-le-Mahieu", a, b, 10**10),
             make_link("Boulogne-Billancourt--Saint-Germain-en-Laye", c, a, 10**11)]
    with Store.open(url) as store:
        store.replace_network(Network(name="long-names", pops=[a, b, c], links=links))
    shown = CliRunner().invoke(app, ["network", "show", "--database", url], env={"COLUMNS": "80"})
    assert shown.exit_code == 0, shown.output
    assert "…" not in shown.stdout
    assert max(len(line) for line in shown.stdout.splitlines()) <= 80
    cells = "".join(part.strip() for line in shown.stdout.splitlines() for part in line.split("│")[1:2])
    for link in links:
        assert link.name in cells  # the first column's folded pieces, joined back, give the whole name
