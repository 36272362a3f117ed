"""`sim`: a simulated router in memory, with latency and fault injection.

Used by tests, benchmarks and the default engine setup. A `SimDriver` can keep its device's
running config in a JSON file (`state_dir`), so that the device outlives the process that drives
it — which is what the crash-recovery test needs: kill the orchestrator mid-transaction, start a
new one, and find the routers as the dead one left them.

Faults: `fail_on="prepare" | "commit" | "verify" | "rollback"` raises `DeviceError` in that
operation; `hang_on=<operation>` blocks it for `hang_s` seconds (the transaction's timeout fires
first). `latency_s` is added to every prepare and commit (a router's own commit time).

Counters: `SimCounterReader` (at the end) gives the simulated routers' interface counters from a
seeded traffic model (a daily curve, growth, a burst a day): a function of time and the seed.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from unilink import clock as clock_module
from unilink.clock import Clock
from unilink.devices.counters import Carries, Counter
from unilink.devices.drivers.base import DeviceError
from unilink.devices.render import RenderedConfig

OPERATIONS = ("prepare", "commit", "verify", "rollback")


class SimDriver:
    """One simulated router. Thread-safe: the transaction drives routers from a thread pool."""

    def __init__(self, router: str, *, latency_s: float = 0.0, fail_on: str | None = None,
                 hang_on: str | None = None, hang_s: float = 3600.0, state_dir: Path | str | None = None,
                 initial: RenderedConfig | None = None) -> None:
        for name, value in (("fail_on", fail_on), ("hang_on", hang_on)):
            if value is not None and value not in OPERATIONS:
                raise ValueError(f"{name} must be one of {OPERATIONS}, not {value!r}")
        self.router = router
        self.latency_s = latency_s
        self.fail_on = fail_on
        self.hang_on = hang_on
        self.hang_s = hang_s
        self._state_path = Path(state_dir) / f"{router}.json" if state_dir is not None else None
        self._lock = threading.Lock()
        self._abort = threading.Event()  # set by rollback: a hung operation gives up instead of applying
        self._candidate: RenderedConfig | None = None
        self._previous: RenderedConfig | None = None  # running config before the last commit
        stored = self._load()
        self._running = stored or initial or RenderedConfig(vendor="sim", text="")
        if stored is None and initial is not None:
            self._store()  # a device with a state file starts from `initial` and keeps it
        self.calls: list[str] = []  # what the driver was asked to do, in order (for tests)

    @property
    def instant(self) -> bool:
        """Never blocks (no latency, no hang): a transaction may call it inline, without a thread."""
        return self.latency_s == 0 and self.hang_on is None

    # -- the device's persistent state -------------------------------------------------------

    def _load(self) -> RenderedConfig | None:
        if self._state_path is None or not self._state_path.exists():
            return None
        return RenderedConfig.from_dict(json.loads(self._state_path.read_text()))

    def _store(self) -> None:
        if self._state_path is None:
            return
        tmp = self._state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._running.to_dict()))
        os.replace(tmp, self._state_path)  # atomic: a killed process never leaves half a config

    # -- faults --------------------------------------------------------------------------------

    def _operation(self, name: str) -> None:
        self.calls.append(name)
        if name in ("prepare", "commit") and self.latency_s:
            time.sleep(self.latency_s)
        if self.hang_on == name:
            self._abort.wait(self.hang_s)
            raise DeviceError(self.router, f"{name} hung and was abandoned")
        if self.fail_on == name:
            raise DeviceError(self.router, f"simulated failure on {name}")

    # -- DeviceDriver ----------------------------------------------------------------------------

    def prepare(self, config: RenderedConfig) -> None:
        self._abort.clear()
        self._operation("prepare")
        with self._lock:
            self._candidate = config

    def commit(self) -> None:
        self._operation("commit")
        with self._lock:
            if self._candidate is None:
                raise DeviceError(self.router, "commit without a prepared candidate")
            self._previous = self._running
            self._running = self._candidate
            self._candidate = None
            self._store()

    def rollback(self) -> None:
        self._abort.set()
        self._operation("rollback")
        with self._lock:
            self._candidate = None
            if self._previous is not None:
                self._running = self._previous
                self._previous = None
                self._store()

    def running_config(self) -> str:
        with self._lock:
            return self._running.full_text()

    def running(self) -> RenderedConfig:
        with self._lock:
            return self._running

    def verify(self, expected: RenderedConfig) -> bool:
        self._operation("verify")
        return self.running_config() == expected.full_text()

    def confirm(self) -> None:
        """The change is final: forget the previous config (a later rollback() no longer reverts it)."""
        with self._lock:
            self._previous = None


# -- counters: a seeded traffic model ------------------------------------------------------------
#
# The simulated routers' interface counters come from a model that is a pure function of time and a
# seed, so `make run` shows living figures and a test knows the exact octets between two instants.
# The rate of one direction of one interface is
#     base · (1 + growth · years since origin) · (1 + DAILY_SWING · sin(2π·(t − peak + 6 h)/day))
#     + one burst a day (BURST_S long, BURST_FACTOR · base high, at a seeded time of that day),
# and its counter is the integral of that rate since the origin (the simulated devices' boot), in
# closed form: reading 10,000 interfaces costs no more than computing 10,000 formulas.

DAY_S = 86_400
YEAR_S = 365 * DAY_S
DAILY_SWING = 0.6           # the busy hour runs at 1.6× the day's mean, the night at 0.4×
BURST_S = 600               # one 10-minute burst a day
BURST_FACTOR = 1.5          # at 1.5× the base rate on top of the curve
SIM_ORIGIN = datetime(2026, 1, 1, tzinfo=UTC)


def _unit(seed: int, *parts: object) -> float:
    """A deterministic number in [0, 1) from the seed and `parts` (no `hash()`: it is salted per process)."""
    digest = hashlib.blake2b(repr((seed, *parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass(frozen=True, slots=True)
class SimFlow:
    """One direction of one interface: its base rate, growth per year, busy hour and burst times."""

    key: str
    base_bps: float
    growth: float
    peak_s: float   # seconds after midnight UTC of the busy hour
    seed: int

    @classmethod
    def seeded(cls, key: str, capacity_bps: int, seed: int) -> SimFlow:
        utilisation = 0.05 + 0.3 * _unit(seed, key, "load")   # a mean of 5–35 % of the capacity
        return cls(key, capacity_bps * utilisation / (1 + DAILY_SWING), 0.1 + 0.4 * _unit(seed, key, "growth"),
                   DAY_S * (0.5 + 0.35 * _unit(seed, key, "peak")), seed)

    def _burst_start(self, day: int) -> float:
        return day * DAY_S + (DAY_S - BURST_S) * _unit(self.seed, self.key, "burst", day)

    def rate_bps(self, u: float) -> float:
        """The rate `u` seconds after the origin."""
        day = math.floor(u / DAY_S)
        start = self._burst_start(day)
        burst = BURST_FACTOR * self.base_bps if start <= u < start + BURST_S else 0.0
        phase = 2 * math.pi * (u - self.peak_s + DAY_S / 4) / DAY_S
        return self.base_bps * (1 + self.growth * u / YEAR_S) * (1 + DAILY_SWING * math.sin(phase)) + burst

    def bits(self, u: float) -> float:
        """∫₀ᵘ rate: the closed form of the curve, plus one full burst per day gone and today's part."""
        w, psi, c = 2 * math.pi / DAY_S, 2 * math.pi * (DAY_S / 4 - self.peak_s) / DAY_S, self.growth / YEAR_S
        sine = (math.cos(psi) - math.cos(w * u + psi)) / w
        s_sine = (math.sin(w * u + psi) - math.sin(psi)) / w**2 - u * math.cos(w * u + psi) / w
        curve = u + c * u * u / 2 + DAILY_SWING * (sine + c * s_sine)
        day = math.floor(u / DAY_S)
        today = min(max(u - self._burst_start(day), 0.0), BURST_S)
        return self.base_bps * curve + BURST_FACTOR * self.base_bps * (day * BURST_S + today)

    def octets(self, u: float) -> int:
        return int(self.bits(max(u, 0.0)) // 8)


@dataclass(frozen=True, slots=True)
class SimInterface:
    """An interface of a simulated router: its name, what it carries and its capacity."""

    name: str
    carries: Carries
    capacity_bps: int
    width: int = 64


class SimCounterReader:
    """`read_counters(router)` for simulated routers: `interfaces` per router (what the network and
    the deployed services put there), counters from the seeded model at the clock's time."""

    def __init__(self, interfaces: Mapping[str, Sequence[SimInterface]], *, seed: int = 14,
                 clock: Clock | None = None, origin: datetime = SIM_ORIGIN) -> None:
        self.interfaces = interfaces
        self.seed = seed
        self.clock = clock
        self.origin = origin
        self._flows: dict[tuple[str, str], tuple[SimFlow, SimFlow]] = {}

    def flows(self, router: str, iface: SimInterface) -> tuple[SimFlow, SimFlow]:
        """(in, out) flows of an interface, built once."""
        key = (router, iface.name)
        found = self._flows.get(key)
        if found is None:
            name = f"{router}/{iface.name}"
            found = (SimFlow.seeded(name + "/in", iface.capacity_bps, self.seed),
                     SimFlow.seeded(name + "/out", iface.capacity_bps, self.seed))
            self._flows[key] = found
        return found

    def read_counters(self, router: str) -> list[Counter]:
        now = (self.clock or clock_module.default()).now()
        u = (now - self.origin).total_seconds()
        out = []
        for iface in self.interfaces.get(router, ()):
            flow_in, flow_out = self.flows(router, iface)
            top = 1 << iface.width
            out.append(Counter(router, iface.name, flow_in.octets(u) % top, flow_out.octets(u) % top, now,
                               width=iface.width, uptime_s=max(u, 0.0), carries=iface.carries,
                               speed_bps=iface.capacity_bps))
        return out
