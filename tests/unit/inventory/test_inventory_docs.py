"""The examples of docs/inventory.md run, and the figures it quotes are what the code computes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from unilink.inventory.importers import import_file

DOC = Path(__file__).resolve().parents[3] / "docs" / "inventory.md"


def blocks(language: str) -> list[str]:
    """The fenced code blocks of the doc whose fence names `language` ("" for a bare fence)."""
    found = []
    for fence, body in re.findall(r"^```(\w*)\n(.*?)^```$", DOC.read_text(encoding="utf-8"), flags=re.S | re.M):
        if fence == language:
            found.append(body)
    return found


def test_yaml_example_imports(tmp_path: Path) -> None:
    (example,) = blocks("yaml")
    path = tmp_path / "tiny.yaml"
    path.write_text(example, encoding="utf-8")
    result = import_file(path)
    assert [lk.name for lk in result.network.links] == ["Versailles--Poissy", "backup"]
    assert result.demands[0].bps == 500_000_000


def test_sndlib_and_repetita_examples_import(tmp_path: Path) -> None:
    sndlib, repetita = blocks("")[:2]
    (tmp_path / "net.txt").write_text(sndlib, encoding="utf-8")
    result = import_file(tmp_path / "net.txt")
    assert result.network.links[0].capacity_bps == 10**10 and result.demands[0].bps == 12_500_000
    (tmp_path / "net.graph").write_text(repetita, encoding="utf-8")
    link = import_file(tmp_path / "net.graph").network.links[0]
    assert (link.capacity_bps, link.latency_ms, link.length_km) == (10**10, 1.7, 343.5)


def test_quoted_latency_rule() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert "343.5 km → 1.7175 ms" in text
    from unilink.inventory.model import Pop, make_link

    link = make_link("x", Pop("Paris", "Paris", "FR", 48.86, 2.35), Pop("London", "London", "GB", 51.51, -0.13), 1)
    assert (link.length_km, link.latency_ms) == pytest.approx((343.5, 1.7175))
