"""What this machine can do for a router lab, probed at run time (never assumed).

The kernel of the project's VM has no loadable modules: whatever is not built in is absent
(no VRF device, no MPLS forwarding, no netem). Each probe returns a reason string when a feature
is missing, so that tests can `pytest.skip(reason)` and the CLI can say why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

FRR_DAEMON_DIR = Path("/usr/lib/frr")
FRR_DAEMONS = ("zebra", "staticd", "ospfd", "bgpd")
MPLS_SYSCTL = Path("/proc/sys/net/mpls/platform_labels")


def missing_for_lab() -> str | None:
    """Why the lab cannot run here, or None when it can (root, iproute2, FRR daemons, vtysh)."""
    if os.geteuid() != 0:
        return "the lab needs root (network namespaces, veth, FRR daemons)"
    for program in ("ip", "tc", "vtysh"):
        if shutil.which(program) is None:
            return f"{program} is not installed (apt-get install iproute2 frr)"
    for daemon in FRR_DAEMONS:
        if not (FRR_DAEMON_DIR / daemon).exists():
            return f"FRR daemon {FRR_DAEMON_DIR / daemon} is absent (apt-get install frr)"
    try:
        import pwd

        pwd.getpwnam("frr")
    except KeyError:
        return "user 'frr' does not exist (installed by the frr package)"
    return None


def missing_for_traffic() -> str | None:
    """Why throughput cannot be measured here, or None (iperf3 and ping present)."""
    for program in ("iperf3", "ping"):
        if shutil.which(program) is None:
            return f"{program} is not installed (apt-get install iperf3 iputils-ping)"
    return None


def _try_ip(args: list[str]) -> tuple[bool, str]:
    try:
        proc = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=5, check=False)
    except (FileNotFoundError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    return proc.returncode == 0, (proc.stderr or proc.stdout).strip()


def _probe_link(kind_args: list[str]) -> tuple[bool, str]:
    """Try to create a link in a throw-away namespace (never in the host's own), then remove both."""
    ns = f"ulprobe-{os.getpid()}"
    ok, output = _try_ip(["netns", "add", ns])
    if not ok:
        return False, f"cannot create a network namespace: {output}"
    try:
        return _try_ip(["-n", ns, "link", "add", "probe0", *kind_args])
    finally:
        _try_ip(["netns", "del", ns])


def missing_vrf_device() -> str | None:
    """None when `ip link add ... type vrf` works, else why not."""
    if os.geteuid() != 0:
        return "probing the VRF device needs root"
    ok, output = _probe_link(["type", "vrf", "table", "99"])
    return None if ok else f"no Linux VRF device in this kernel (CONFIG_NET_VRF): {output}"


def missing_mpls_forwarding() -> str | None:
    """None when the kernel forwards MPLS (the sysctl exists), else why not."""
    if MPLS_SYSCTL.exists():
        return None
    return f"no MPLS forwarding in this kernel (CONFIG_MPLS_ROUTING): {MPLS_SYSCTL} is absent"


def missing_for_l3vpn() -> str | None:
    """A real BGP/MPLS L3VPN data plane needs both a VRF device and MPLS forwarding."""
    return missing_vrf_device() or missing_mpls_forwarding()


def missing_vxlan() -> str | None:
    if os.geteuid() != 0:
        return "probing VXLAN needs root"
    ok, output = _probe_link(["type", "vxlan", "id", "42", "dstport", "4789", "local", "127.0.0.1"])
    return None if ok else f"no VXLAN device in this kernel: {output}"


@dataclass(frozen=True, slots=True)
class Capabilities:
    lab: str | None
    traffic: str | None
    vxlan: str | None
    l3vpn: str | None

    def to_dict(self) -> dict[str, object]:
        return {key: ("yes" if value is None else f"no: {value}") for key, value in asdict(self).items()}


def probe_all() -> Capabilities:
    return Capabilities(lab=missing_for_lab(), traffic=missing_for_traffic(), vxlan=missing_vxlan(),
                        l3vpn=missing_for_l3vpn())
