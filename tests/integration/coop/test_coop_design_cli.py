"""`unilink coop design`: the public CLI contract of issue 13 item 3, on the seeded sample."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from coop_design_world import SPUR, copy_of, fill_spur, make_seeded
from typer.testing import CliRunner

from unilink.cli.main import app

M = 10**6
CANDIDATE_KEYS = {"kind": str, "attach": str, "path": list, "distance_km": (int, float), "new_build_km": (int, float),
                  "backhaul_bps": int, "feasible": bool, "monthly_cents": int, "one_off_cents": int,
                  "per_member_monthly_cents": int}
AREA = ("--communes", "Villiers-le-Mahieu,Thoiry")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("coop-design-cli") / "seeded.db"
    make_seeded(path)
    return path


@pytest.fixture
def cli(template: Path, tmp_path: Path):
    store = copy_of(template, tmp_path)
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["coop", "design", *args], env={"UNILINK_DATABASE_URL": store.url})
        return result.exit_code, result.stdout

    run.store = store  # type: ignore[attr-defined]
    yield run
    store.close()


def test_the_json_contract_on_the_sample(cli) -> None:
    code, out = cli(*AREA, "--members", "120", "--json")
    assert code == 0, out
    answer = json.loads(out)
    assert {"model", "candidates", "best"} <= set(answer)
    assert answer["model"]["busy_hour_bps_per_member"] == 2_400_000
    assert answer["model"]["peak_factor"] == 1.25 and answer["model"]["members"] == 120
    assert isinstance(answer["best"], int)
    for candidate in answer["candidates"]:
        for key, kind in CANDIDATE_KEYS.items():
            assert isinstance(candidate[key], kind), (key, candidate[key])
        assert candidate["kind"] in ("backbone_pop", "public_backbone", "local_loop")
        assert all(isinstance(pop, str) for pop in candidate["path"])
        assert candidate["backhaul_bps"] == 400 * M  # 120 × 2.4 × 1.25 × 1.1 = 396 Mbit/s → 400
    kinds = {c["kind"] for c in answer["candidates"]}
    assert kinds == {"backbone_pop", "public_backbone", "local_loop"}
    best = answer["candidates"][answer["best"]]
    assert (best["kind"], best["attach"]) == ("public_backbone", "Thoiry")
    assert best["path"] == ["Thoiry", "Plaisir", "Saint-Quentin-en-Yvelines", "Versailles", "Paris"]
    feasible = [c["per_member_monthly_cents"] for c in answer["candidates"] if c["feasible"]]
    assert best["per_member_monthly_cents"] == min(feasible)
    paris = next(c for c in answer["candidates"] if c["kind"] == "backbone_pop" and c["attach"] == "Paris")
    assert paris["path"] == ["Paris"] and paris["distance_km"] == 0 and paris["new_build_km"] > 40


def test_the_figures_move_with_the_model(cli) -> None:
    code, out = cli(*AREA, "--members", "100", "--busy-hour-mbps", "2.4", "--peak-factor", "1.25",
                    "--growth", "0.5", "--horizon-years", "0", "--json")
    assert code == 0, out
    answer = json.loads(out)
    assert {c["backhaul_bps"] for c in answer["candidates"]} == {300 * M}
    code, out = cli(*AREA, "--members", "100", "--busy-hour-mbps", "5", "--horizon-years", "0", "--json")
    assert {c["backhaul_bps"] for c in json.loads(out)["candidates"]} == {700 * M}  # 625 → 700
    code, out = cli("--lat", "48.8606", "--lon", "1.7733", "--members", "10", "--plan-mbps", "1000", "--json")
    assert code == 0, out
    assert {c["backhaul_bps"] for c in json.loads(out)["candidates"]} == {1000 * M}


def test_a_full_spur_is_named_as_the_bottleneck(cli) -> None:
    fill_spur(cli.store)  # 125M + 800M of the 1G spur booked: 75M free
    code, out = cli(*AREA, "--members", "120", "--json")
    assert code == 0, out
    answer = json.loads(out)
    villiers = next(c for c in answer["candidates"] if c["attach"] == "Villiers-le-Mahieu")
    assert not villiers["feasible"]
    assert villiers["bottleneck"] == {"reason": "not enough capacity free on the link", "link": SPUR,
                                      "a": "Thoiry", "b": "Villiers-le-Mahieu", "capacity_bps": 10**9,
                                      "free_bps": 75 * M, "needed_bps": 400 * M}
    assert answer["candidates"][answer["best"]]["attach"] == "Thoiry"


def test_exit_3_when_nothing_is_feasible_naming_the_bottlenecks(cli) -> None:
    # 40,000 members need 140 Gbit/s: over every access technology's ceiling
    code, out = cli(*AREA, "--members", "40000", "--json")
    assert code == 3, out
    answer = json.loads(out)
    assert "error" in answer and answer["best"] is None
    assert {b["access"] for b in answer["bottleneck"]} == {"fibre", "public-backbone"}
    assert all(b["needed_bps"] == 140 * 10**9 for b in answer["bottleneck"])
    code, _ = cli(*AREA, "--members", "40000")
    assert code == 3


@pytest.mark.parametrize(("args", "field"), [
    (("--communes", "Villiers-le-Mahieu,Atlantis", "--members", "120"), "communes"),
    ((*AREA, "--members", "0"), "--members"),
    ((*AREA, "--members", "120", "--peak-factor", "0"), "peak_factor"),
    ((*AREA, "--members", "120", "--busy-hour-mbps", "-1"), "--busy-hour-mbps"),
    (("--lat", "48.86", "--members", "120"), "--lat"),
    (("--members", "120"), "--communes"),
])
def test_bad_input_exits_2_naming_the_field(cli, args: tuple[str, ...], field: str) -> None:
    code, out = cli(*args, "--json")
    assert code == 2, out
    answer = json.loads(out)
    assert answer["field"] == field
    if field == "communes":
        assert "Villiers-le-Mahieu" in answer["accepted"] and "Thoiry" in answer["accepted"]


def test_the_table_shows_the_candidates_side_by_side(cli) -> None:
    code, out = cli(*AREA, "--members", "120")
    assert code == 0, out
    header = next(line for line in out.splitlines() if "#0" in line)
    assert all(f"#{i}" in header for i in range(7)) and "#3 ★" in header  # Thoiry, the best, marked
    assert "400M" in out and "€8.81" in out


def test_the_cost_assumptions_are_adjustable(cli) -> None:
    code, out = cli(*AREA, "--members", "120", "--route-factor", "1.5", "--euros-per-km", "5000",
                    "--amortisation-months", "240", "--json")
    assert code == 0, out
    answer = json.loads(out)
    assert answer["assumptions"]["route_factor"] == 1.5 and answer["assumptions"]["amortisation_months"] == 240
    paris = answer["candidates"][0]
    assert (paris["kind"], paris["attach"]) == ("backbone_pop", "Paris")
    fibre_km = paris["new_build_km"]
    assert paris["one_off_cents"] == round(fibre_km * 500_000) + 250_000  # € 5,000/km + the fibre installation
    code, out = cli(*AREA, "--members", "120", "--route-factor", "0.9", "--json")
    assert code == 2 and json.loads(out)["field"] == "route_factor"
