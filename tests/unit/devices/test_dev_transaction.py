"""DeviceTransaction with sim drivers: all or nothing, in parallel, journal first, timeouts."""

from __future__ import annotations

import time

import pytest

from unilink.devices.diff import diff_configs
from unilink.devices.drivers.base import DeviceDriver
from unilink.devices.drivers.sim import SimDriver
from unilink.devices.journal import MemoryJournal
from unilink.devices.render import RenderedConfig
from unilink.devices.transaction import DeviceTransaction, recover
from unilink.errors import ValidationError

OLD = "interface ge-0/0/1 rate 100M\n"
NEW = "interface ge-0/0/1 rate 10M\n"


def _config(text: str) -> RenderedConfig:
    return RenderedConfig(vendor="junos", text=text)


def _setup(n: int, **faults: dict[str, object]) -> tuple[dict[str, SimDriver], list]:
    drivers = {f"r{i}": SimDriver(f"r{i}", initial=_config(OLD), **faults.get(f"r{i}", {})) for i in range(n)}
    changes = [diff_configs(name, "junos", _config(OLD), _config(NEW)) for name in drivers]
    return drivers, changes


def test_sim_driver_satisfies_the_protocol() -> None:
    assert isinstance(SimDriver("r"), DeviceDriver)


def test_all_routers_committed_and_verified() -> None:
    drivers, changes = _setup(5)
    journal = MemoryJournal()
    result = DeviceTransaction(drivers, changes, journal).run()
    assert result.ok and result.state == "done"
    assert all(d.running_config() == NEW for d in drivers.values())
    assert all(d.calls == ["prepare", "commit", "verify"] for d in drivers.values())
    assert [state for _, state in journal.events] == ["started", "committing", "committed", "done"]
    assert journal.committed["r3"].text == NEW


def test_journal_is_written_before_the_first_push() -> None:
    journal = MemoryJournal()

    class Spy(SimDriver):
        def prepare(self, config: RenderedConfig) -> None:
            self.journal_seen = list(journal.events)
            super().prepare(config)

    drivers = {"r0": Spy("r0", initial=_config(OLD))}
    DeviceTransaction(drivers, [diff_configs("r0", "junos", _config(OLD), _config(NEW))], journal).run()
    assert ("started" in [s for _, s in drivers["r0"].journal_seen])


@pytest.mark.parametrize("phase", ["prepare", "commit", "verify"])
def test_a_failure_on_one_router_rolls_back_every_router(phase: str) -> None:
    drivers, changes = _setup(6, r4={"fail_on": phase})
    journal = MemoryJournal()
    result = DeviceTransaction(drivers, changes, journal).run()
    assert result.state == "rolled_back" and result.phase == phase
    assert set(result.failed) == {"r4"}
    assert all(d.running_config() == OLD for d in drivers.values()), "every router back to its previous config"
    assert all(d.calls[-1] == "rollback" for d in drivers.values())
    assert journal.events[-1][1] == "rolled_back"
    entry = next(iter(journal.entries.values()))
    assert {s.router: s.state for s in entry.steps}["r4"] == "rolled_back"
    assert not journal.committed


def test_a_hung_router_times_out_and_everything_rolls_back() -> None:
    drivers, changes = _setup(4, r2={"hang_on": "commit", "hang_s": 30})
    t0 = time.perf_counter()
    result = DeviceTransaction(drivers, changes, MemoryJournal(), timeout_s=0.3).run()
    elapsed = time.perf_counter() - t0
    assert result.state == "rolled_back" and result.phase == "commit"
    assert "no answer within 0.3 s" in result.failed["r2"]
    assert elapsed < 5, "the transaction does not wait for the hung router"
    assert all(d.running_config() == OLD for d in drivers.values())


def test_prepares_and_commits_run_in_parallel() -> None:
    """Every router's prepare (then commit) waits at a barrier for all the others: only parallel calls pass."""
    import threading

    n = 10
    barriers = {"prepare": threading.Barrier(n, timeout=10), "commit": threading.Barrier(n, timeout=10)}

    class Meeting(SimDriver):
        instant = False  # it blocks at the barrier: the transaction must give it a thread

        def prepare(self, config: RenderedConfig) -> None:
            barriers["prepare"].wait()
            super().prepare(config)

        def commit(self) -> None:
            barriers["commit"].wait()
            super().commit()

    drivers = {f"r{i}": Meeting(f"r{i}", initial=_config(OLD)) for i in range(n)}
    changes = [diff_configs(name, "junos", _config(OLD), _config(NEW)) for name in drivers]
    result = DeviceTransaction(drivers, changes, MemoryJournal(), timeout_s=20).run()
    assert result.ok, result.failed


def test_a_router_without_driver_is_refused_before_anything_is_pushed() -> None:
    drivers, changes = _setup(2)
    del drivers["r1"]
    journal = MemoryJournal()
    with pytest.raises(ValidationError) as err:
        DeviceTransaction(drivers, changes, journal)
    assert err.value.value == "r1" and journal.events == []


def test_recover_undoes_a_half_done_transaction_and_finishes_a_complete_one() -> None:
    journal = MemoryJournal()
    drivers, changes = _setup(3)
    # A transaction that died after r0 committed: r1 and r2 still on the old config.
    journal.begin("tx-half", changes, actor="t", reason="", plan_id=None)
    journal.record("tx-half", "committing")
    drivers["r0"].prepare(_config(NEW))
    drivers["r0"].commit()
    outcomes = recover(journal, {name: SimDriver(name, initial=d.running()) for name, d in drivers.items()})
    assert [(o.id, o.decision) for o in outcomes] == [("tx-half", "undone")]
    assert journal.entries["tx-half"].state == "rolled_back"

    # A transaction that died after the last commit but before "done": finished, not undone.
    journal2 = MemoryJournal()
    drivers2 = {f"r{i}": SimDriver(f"r{i}", initial=_config(NEW)) for i in range(3)}
    journal2.begin("tx-full", changes, actor="t", reason="", plan_id=None)
    journal2.record("tx-full", "committing")
    outcomes = recover(journal2, drivers2)
    assert [(o.id, o.decision) for o in outcomes] == [("tx-full", "finished")]
    assert journal2.committed["r1"].text == NEW
    assert recover(journal2, drivers2) == [], "recovery is idempotent"


def test_recover_restores_the_routers_to_their_previous_configs() -> None:
    journal = MemoryJournal()
    drivers, changes = _setup(2)
    journal.begin("tx", changes, actor="t", reason="", plan_id=None)
    drivers["r0"].prepare(_config(NEW))
    drivers["r0"].commit()
    fresh = {name: SimDriver(name, initial=d.running()) for name, d in drivers.items()}
    recover(journal, fresh)
    assert fresh["r0"].running_config() == OLD and fresh["r1"].running_config() == OLD
    assert fresh["r1"].calls.count("prepare") == 0, "an untouched router is left alone"


def test_more_routers_than_threads_with_a_hang_never_prepares_after_the_rollback() -> None:
    from unilink.devices import transaction

    drivers, changes = _setup(6, r0={"hang_on": "prepare", "hang_s": 30}, r1={"hang_on": "prepare", "hang_s": 30})
    old_max = transaction.MAX_WORKERS
    transaction.MAX_WORKERS = 2  # r0 and r1 occupy both threads; r2..r5 stay queued
    try:
        result = DeviceTransaction(drivers, changes, MemoryJournal(), timeout_s=0.3).run()
    finally:
        transaction.MAX_WORKERS = old_max
    assert result.state == "rolled_back"
    time.sleep(0.3)
    for name in ("r2", "r3", "r4", "r5"):
        assert "prepare" not in drivers[name].calls, f"{name} was prepared after the transaction gave up"
        assert drivers[name].running_config() == OLD


def test_recover_undoes_a_transaction_that_was_rolling_back_even_if_routers_run_the_new_config() -> None:
    journal = MemoryJournal()
    drivers = {f"r{i}": SimDriver(f"r{i}", initial=_config(NEW)) for i in range(2)}
    changes = [diff_configs(name, "junos", _config(OLD), _config(NEW)) for name in drivers]
    journal.begin("tx", changes, actor="t", reason="", plan_id=None)
    journal.record("tx", "rolling_back", error="confirm failed on r1")
    (outcome,) = recover(journal, drivers)
    assert outcome.decision == "undone"
    assert all(d.running_config() == OLD for d in drivers.values())


def test_a_driver_without_verify_is_verified_by_its_running_text() -> None:
    class Minimal:
        """Only the four required operations."""

        def __init__(self, router: str) -> None:
            self.router, self.running, self.candidate, self.previous = router, _config(OLD), None, None

        def prepare(self, config: RenderedConfig) -> None:
            self.candidate = config

        def commit(self) -> None:
            self.previous, self.running = self.running, self.candidate

        def rollback(self) -> None:
            if self.previous is not None:
                self.running, self.previous = self.previous, None

        def running_config(self) -> str:
            return self.running.full_text()

    drivers = {"m": Minimal("m")}
    assert isinstance(drivers["m"], DeviceDriver)
    result = DeviceTransaction(drivers, [diff_configs("m", "junos", _config(OLD), _config(NEW))], MemoryJournal()).run()
    assert result.ok and drivers["m"].running_config() == NEW


def test_instant_drivers_run_inline_and_blocking_ones_in_threads() -> None:
    """Drivers that never block (no latency, no hang) are called in the caller's thread; others not."""
    import threading

    seen: dict[str, str] = {}

    class Where(SimDriver):
        def prepare(self, config: RenderedConfig) -> None:
            seen[self.router] = threading.current_thread().name
            super().prepare(config)

    changes = [diff_configs(name, "junos", _config(OLD), _config(NEW)) for name in ("fast", "slow")]
    fast = {"fast": Where("fast", initial=_config(OLD))}
    assert DeviceTransaction(fast, changes[:1], MemoryJournal()).run().ok
    assert seen["fast"] == threading.current_thread().name
    slow = {"slow": Where("slow", initial=_config(OLD), latency_s=0.001)}
    assert DeviceTransaction(slow, changes[1:], MemoryJournal()).run().ok
    assert seen["slow"].startswith("device-tx")


def test_a_hang_retires_the_shared_threads() -> None:
    """After a timeout the hung thread's executor is not used again: the next transaction is not held up."""
    from unilink.devices import transaction

    drivers, changes = _setup(1, r0={"hang_on": "prepare", "hang_s": 5})
    assert DeviceTransaction(drivers, changes, MemoryJournal(), timeout_s=0.2).run().state == "rolled_back"
    hung = transaction._SHARED
    assert hung is None or hung._shutdown
    slow = {"r0": SimDriver("r0", initial=_config(OLD), latency_s=0.001)}
    assert DeviceTransaction(slow, changes, MemoryJournal(), timeout_s=2).run().ok
