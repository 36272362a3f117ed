"""`sim`: a simulated router in memory, with latency and fault injection.

Used by tests, benchmarks and the default engine setup. A `SimDriver` can keep its device's
running config in a JSON file (`state_dir`), so that the device outlives the process that drives
it — which is what the crash-recovery test needs: kill the orchestrator mid-transaction, start a
new one, and find the routers as the dead one left them.

Faults: `fail_on="prepare" | "commit" | "verify" | "rollback"` raises `DeviceError` in that
operation; `hang_on=<operation>` blocks it for `hang_s` seconds (the transaction's timeout fires
first). `latency_s` is added to every prepare and commit (a router's own commit time).
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

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
