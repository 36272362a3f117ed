"""The router lab: real FRR routers in Linux network namespaces, built from the inventory.

Layout (pure core first, adapters at the edge):

- `topology`  — pure: choose connected PoPs, name namespaces/interfaces, number addresses, day-0 FRR
                config and the `ip`/`tc` commands that build it. No I/O.
- `probes`    — what this machine can do (root, FRR, iperf3, VRF device, MPLS forwarding).
- `shell`     — the one place that runs `ip`, `tc`, `vtysh` (errors name the command and its output).
- `frr`       — start/stop one FRR instance (zebra, staticd, ospfd, bgpd) per router namespace.
- `builder`   — `up` / `down` / `status` of a whole lab; a JSON state file under the lab dir.
- `traffic`   — ping and iperf3 between site hosts (used by the lab tests and the benchmark).
- `driver`    — the device driver that pushes rendered configs into these routers (`LabDriver`).
- `site_services` — service changes on a running lab through the device layer, without the engine.

Loading this package registers the lab's driver as `lab` in the device layer's registry
(`unilink.devices.drivers.registry`): the device layer never imports the lab, the lab plugs in.
See docs/lab.md for what the lab emulates and what this kernel lacks.
"""

from unilink.lab import driver as _driver  # noqa: F401  (registers the `lab` driver)
