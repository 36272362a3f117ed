"""The lab fixture: one real FRR lab (4 PoPs of the sample network, the demo enterprise's sites)
per test module, always torn down — and checked gone — at the end, even when a test fails."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from unilink.lab import shell
from unilink.lab.probes import missing_for_lab, missing_for_traffic

LAB_PREFIX = "ult-"  # distinct from the CLI's default "ul-": a developer's own lab is never touched


def lab_skip_reason() -> str | None:
    if os.environ.get("UNILINK_FAST"):
        return "UNILINK_FAST is set: the FRR lab tests are slow"
    return missing_for_lab() or missing_for_traffic()


@pytest.fixture(scope="module")
def lab_changes() -> Iterator[object]:
    reason = lab_skip_reason()
    if reason:
        pytest.skip(reason)
    from unilink.inventory.sample import load_demo_tenants, load_sample_network
    from unilink.lab.builder import Lab
    from unilink.lab.site_services import LabChanges

    directory = Path(tempfile.mkdtemp(prefix="ul-labtest-", dir="/tmp"))
    directory.chmod(0o755)  # FRR runs as user frr and must enter it
    lab = Lab.at(directory)
    topology = None
    try:
        topology = lab.up(load_sample_network(), load_demo_tenants(), 4, prefix=LAB_PREFIX)
        yield LabChanges(lab)
    finally:
        lab.down(prefix=LAB_PREFIX)
        left = [ns for ns in shell.netns_list() if ns.startswith(LAB_PREFIX)]
        assert not left, f"namespaces left behind: {left}"
        assert not directory.exists(), f"{directory} left behind"
        if topology is not None:
            for r in topology.routers:
                assert not lab.frr(r.netns).pids(), f"FRR of {r.netns} still running"
