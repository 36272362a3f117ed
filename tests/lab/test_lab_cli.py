"""`unilink lab up|status|down` end to end on this machine, and its refusals of bad input."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from unilink.cli.main import app
from unilink.lab import shell
from unilink.lab.probes import missing_for_l3vpn, missing_for_lab

from .conftest import lab_skip_reason

PREFIX = "ulc-"
runner = CliRunner()


def our_namespaces() -> list[str]:
    return [ns for ns in shell.netns_list() if ns.startswith(PREFIX)]


def test_unknown_pop_is_refused_naming_the_field_and_nothing_is_built(tmp_path: Path) -> None:
    before = shell.netns_list() if missing_for_lab() is None else []
    result = runner.invoke(app, ["lab", "up", "--source", "sample", "--pops", "Paris,Atlantis",
                                 "--dir", str(tmp_path / "lab"), "--prefix", PREFIX, "--json"])
    assert result.exit_code == 2, result.output
    error = json.loads(result.stdout)
    assert error["field"] == "pops" and error["value"] == "Atlantis" and "accepted" in error
    assert not (tmp_path / "lab").exists()
    if missing_for_lab() is None:
        assert shell.netns_list() == before


def test_status_of_no_lab_says_so(tmp_path: Path) -> None:
    result = runner.invoke(app, ["lab", "status", "--dir", str(tmp_path), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"up": False, "directory": str(tmp_path.resolve())}


@pytest.mark.slow
@pytest.mark.lab
def test_up_status_down_leaves_nothing_behind() -> None:
    reason = lab_skip_reason()
    if reason:
        pytest.skip(reason)
    directory = Path(tempfile.mkdtemp(prefix="ul-labcli-", dir="/tmp")) / "lab"
    directory.parent.chmod(0o755)
    try:
        up = runner.invoke(app, ["lab", "up", "--source", "sample", "--pops", "Paris,Strasbourg,Frankfurt",
                                 "--dir", str(directory), "--prefix", PREFIX, "--json"])
        assert up.exit_code == 0, up.output
        status = json.loads(runner.invoke(app, ["lab", "status", "--dir", str(directory), "--json"]).stdout)
        assert status["up"] and [r["pop"] for r in status["routers"]] == ["Paris", "Strasbourg", "Frankfurt"]
        for router in status["routers"]:
            assert router["daemons"] == ["bgpd", "ospfd", "staticd", "zebra"]
            assert router["ospf_neighbors_full"] >= 1
            assert router["evpn_peers_established"] == 2  # iBGP EVPN full mesh of the day-0 config
        sites = {s["name"]: s for s in status["sites"]}
        assert sites["paris-hq"]["down_bps"] == 2_000_000_000  # the demo tenant's contracted rate, shaped
        again = runner.invoke(app, ["lab", "up", "--source", "sample", "--pops", "2", "--dir", str(directory),
                                    "--prefix", PREFIX])
        assert again.exit_code == 1 and "already up" in again.output
    finally:
        down = runner.invoke(app, ["lab", "down", "--dir", str(directory), "--prefix", PREFIX, "--json"])
    assert down.exit_code == 0, down.output
    assert len(json.loads(down.stdout)["removed_namespaces"]) == 6  # 3 routers + 3 site hosts
    assert our_namespaces() == []
    assert not directory.exists()
    directory.parent.rmdir()  # the temporary parent this test made (fails if anything was left in it)
    assert shell.run(["pgrep", "-f", str(directory)], check=False).stdout == ""
    twice = runner.invoke(app, ["lab", "down", "--dir", str(directory), "--prefix", PREFIX, "--json"])
    assert twice.exit_code == 0 and json.loads(twice.stdout)["removed_namespaces"] == []


@pytest.mark.lab
@pytest.mark.kernel_feature  # CI kernels lack VRF/MPLS (../shared/lab/NOTES.md): this skip is allowed
def test_l3vpn_data_plane_where_the_kernel_has_vrf_and_mpls() -> None:
    """A real BGP/MPLS L3VPN needs a VRF device and MPLS forwarding: where both exist, a router
    namespace gets them; here (no CONFIG_NET_VRF / CONFIG_MPLS_ROUTING) this skips, saying which."""
    reason = missing_for_lab() or missing_for_l3vpn()
    if reason:
        pytest.skip(reason)
    ns = f"{PREFIX}vrfprobe"
    shell.run(["ip", "netns", "add", ns])
    try:
        shell.ip(ns, ["link", "add", "vrf-blue", "type", "vrf", "table", "10"])
        shell.in_netns(ns, ["sysctl", "-qw", "net.mpls.platform_labels=1000"])
        assert "vrf-blue" in shell.ip(ns, ["-br", "link", "show", "type", "vrf"]).stdout
    finally:
        shell.run(["ip", "netns", "del", ns], check=False)


@pytest.mark.slow
@pytest.mark.lab
def test_a_failed_up_removes_what_it_had_built(monkeypatch: pytest.MonkeyPatch) -> None:
    """FRR refuses the day-0 config of the routers half-way through `up`: everything made so far
    (namespaces, veths, daemons, files) is removed and the error names the command."""
    reason = lab_skip_reason()
    if reason:
        pytest.skip(reason)
    import unilink.lab.builder as builder
    from unilink.inventory.sample import load_demo_tenants, load_sample_network
    from unilink.lab.shell import LabError

    monkeypatch.setattr(builder, "frr_day0_config", lambda topo, router: "router ospf\n this is not frr\n")
    directory = Path(tempfile.mkdtemp(prefix="ul-labfail-", dir="/tmp"))
    directory.chmod(0o755)
    with pytest.raises(LabError, match="vtysh"):
        builder.Lab.at(directory).up(load_sample_network(), load_demo_tenants(), 2, prefix=PREFIX)
    assert our_namespaces() == []
    assert not directory.exists()
    assert shell.run(["pgrep", "-f", str(directory)], check=False).stdout == ""
