"""One change across many routers: on all of them or on none (`commit_changes`, the one commit path).

    journal "started" (before any push) → prepare all, in parallel, with a timeout
    → commit all (parallel) → verify all → confirm (drivers with a confirmed commit) → journal "done"

Any failure or timeout in any phase rolls back every router that was touched (prepared or
committed, including one whose prepare hung), in parallel, and the journal says so at each step.

`recover(journal, drivers)` runs at start-up: a transaction the journal shows unfinished is
finished when every router already runs its new config (the process died after the last commit),
and otherwise undone: every router is put back to its `before` config (a no-op where it never
changed). Both decisions are idempotent, so recovery itself may be interrupted and rerun.
A transaction bound to its caller's database transaction (journal state `preparing`, see
`devices.push.BoundJournal`) is always undone: its caller's database never took the change.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, field

from unilink.devices.device_intent import DeviceIntent
from unilink.devices.diff import DeviceChange
from unilink.devices.drivers.base import DeviceDriver, DeviceError, DeviceTimeout, verify_config
from unilink.devices.journal import BOUND_STATE, Journal, JournalEntry, StoreJournal
from unilink.devices.render import VENDORS, RenderedConfig, render
from unilink.errors import UnilinkError, ValidationError

DEFAULT_TIMEOUT_S = 30.0
MAX_WORKERS = 32


@dataclass(frozen=True, slots=True)
class TransactionResult:
    id: str
    state: str                                  # done | rolled_back | rollback_failed
    routers: tuple[str, ...]
    failed: dict[str, str] = field(default_factory=dict)   # router → error, of the phase that failed
    phase: str | None = None                    # the phase that failed: prepare | commit | verify | confirm
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.state == "done"

    def raise_for_failure(self) -> TransactionResult:
        """`DeviceCommitError` unless every router took the change; the result itself otherwise."""
        if not self.ok:
            failed = ", ".join(f"{router}: {error}" for router, error in sorted(self.failed.items()))
            raise DeviceCommitError(f"the routers refused the change in {self.phase} ({failed}); "
                                    f"every router was rolled back ({self.state})", field="devices")
        return self

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "state": self.state, "routers": list(self.routers), "failed": self.failed,
                "phase": self.phase, "timings_ms": self.timings_ms}


class DeviceCommitError(UnilinkError):
    """The routers refused the change; every router was rolled back and nothing was recorded."""

    exit_code = 1


def commit_changes(changes: Sequence[DeviceChange], drivers: Mapping[str, DeviceDriver], journal: Journal, *,
                   actor: str = "unilink", reason: str = "", plan_id: str | None = None, tx_id: str | None = None,
                   timeout_s: float = DEFAULT_TIMEOUT_S) -> TransactionResult:
    """THE commit path of every change to routers — the engine's apply, `push.push_configs`, drift's
    reconcile, the lab's own changes: journal, prepare on every router, commit all, verify, confirm;
    any failure or timeout rolls every touched router back (see the module docstring). Returns the
    outcome; `.raise_for_failure()` turns a refusal into a `DeviceCommitError`."""
    return DeviceTransaction(drivers, changes, journal, actor=actor, reason=reason, plan_id=plan_id,
                             timeout_s=timeout_s, tx_id=tx_id).run()


def _error_text(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


class _Pool:
    """Runs one operation on many routers at once and waits at most `timeout_s` for all of them.

    Threads come from one executor shared by every transaction of the process (starting threads per
    transaction cost more than a fast router's whole commit). An executor that saw a call time out
    is retired: its hung threads must not hold up later transactions. `inline`: every driver is
    in-process and never blocks (a `SimDriver` without latency or hang): calls run in the caller's
    thread, one after the other, and no timeout can fire.
    """

    def __init__(self, size: int, timeout_s: float, *, inline: bool = False, fresh: bool = False) -> None:
        self.inline = inline
        self.fresh = fresh and not inline
        self.executor = None if inline else (_new_executor(size) if fresh else _shared_executor())
        self.timeout_s = timeout_s

    def run(self, routers: Sequence[str], action: Callable[[str], object]) -> dict[str, str]:
        """Run `action(router)` for each router in parallel; return the failures (router → error)."""
        if self.executor is None:
            return self._run_inline(routers, action)
        futures: dict[Future[object], str] = {self.executor.submit(action, r): r for r in routers}
        done, pending = wait_futures(futures, timeout=self.timeout_s)
        failures: dict[str, str] = {}
        for future in done:
            exc = future.exception()
            if exc is not None:
                failures[futures[future]] = _error_text(exc)
        for future in pending:
            router = futures[future]
            # A call still queued (more routers than threads) must never start after the rollback.
            future.cancel()
            failures[router] = str(DeviceTimeout(router, f"no answer within {self.timeout_s:g} s"))
        if pending and not self.fresh:
            _retire(self.executor)
        return failures

    @staticmethod
    def _run_inline(routers: Sequence[str], action: Callable[[str], object]) -> dict[str, str]:
        failures: dict[str, str] = {}
        for router in routers:
            try:
                action(router)
            except Exception as exc:  # noqa: BLE001 - a router's failure is reported, as from a thread
                failures[router] = _error_text(exc)
        return failures

    def close(self) -> None:
        # Never wait for a hung driver thread here: rollback has already told it to give up.
        if self.fresh and self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)


_SHARED: ThreadPoolExecutor | None = None
_SHARED_SIZE = 0
_SHARED_LOCK = threading.Lock()


def _new_executor(size: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=max(1, min(size, MAX_WORKERS)), thread_name_prefix="device-tx")


def _shared_executor() -> ThreadPoolExecutor:
    """The process's executor for device calls (a new one when MAX_WORKERS changed)."""
    global _SHARED, _SHARED_SIZE
    with _SHARED_LOCK:
        if _SHARED is None or _SHARED_SIZE != MAX_WORKERS:
            if _SHARED is not None:
                _SHARED.shutdown(wait=False)
            _SHARED, _SHARED_SIZE = _new_executor(MAX_WORKERS), MAX_WORKERS
        return _SHARED


def _retire(executor: ThreadPoolExecutor) -> None:
    """Stop handing work to `executor` (one of its threads hung); the next transaction gets a new one."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is executor:
            _SHARED = None
    executor.shutdown(wait=False, cancel_futures=True)


class DeviceTransaction:
    """`DeviceTransaction(drivers, changes, journal).run()`; see the module docstring."""

    def __init__(self, drivers: Mapping[str, DeviceDriver], changes: Sequence[DeviceChange], journal: Journal,
                 *, actor: str = "unilink", reason: str = "", plan_id: str | None = None,
                 timeout_s: float = DEFAULT_TIMEOUT_S, verify: bool = True, tx_id: str | None = None) -> None:
        missing = sorted({c.router for c in changes} - set(drivers))
        if missing:
            raise ValidationError("no driver for router", field="changes.router", value=missing[0],
                                  accepted="a router with a configured driver")
        routers = [c.router for c in changes]
        if len(set(routers)) != len(routers):
            raise ValidationError("a router appears twice in one transaction", field="changes.router",
                                  value=next(r for r in routers if routers.count(r) > 1),
                                  accepted="one change per router")
        self.drivers = drivers
        self.changes = sorted(changes, key=lambda c: c.router)
        self.journal = journal
        self.actor, self.reason, self.plan_id = actor, reason, plan_id
        self.timeout_s = timeout_s
        self.verify = verify
        self.id = tx_id or str(uuid.uuid4())

    def run(self) -> TransactionResult:
        started = time.perf_counter()
        timings: dict[str, float] = {}
        routers = [c.router for c in self.changes]
        after = {c.router: c.after for c in self.changes}
        self.journal.begin(self.id, self.changes, actor=self.actor, reason=self.reason, plan_id=self.plan_id)
        if not routers:
            self.journal.finish(self.id, "done")
            return TransactionResult(id=self.id, state="done", routers=(), timings_ms={"total": 0.0})
        pool = _Pool(len(routers), self.timeout_s, inline=self._inline(routers))
        try:
            # The journal's "started" row, written above before any push, covers the prepare phase.
            failures = self._phase(pool, "prepare", routers, lambda r: self.drivers[r].prepare(after[r]), timings)
            if failures:
                return self._rollback(routers, "prepare", failures, timings, started)
            self.journal.record(self.id, "committing", steps=dict.fromkeys(routers, "prepared"))
            failures = self._phase(pool, "commit", routers, lambda r: self.drivers[r].commit(), timings)
            if failures:
                return self._rollback(routers, "commit", failures, timings, started)
            self.journal.record(self.id, "committed", steps=dict.fromkeys(routers, "committed"))
            if self.verify:
                failures = self._phase(pool, "verify", routers, self._verify_one(after), timings)
                if failures:
                    return self._rollback(routers, "verify", failures, timings, started)
            confirming = [r for r in routers if hasattr(self.drivers[r], "confirm")]
            failures = self._phase(pool, "confirm", confirming,
                                   lambda r: self.drivers[r].confirm(), timings)  # type: ignore[attr-defined]
            if failures:
                return self._rollback(routers, "confirm", failures, timings, started)
            timings["total"] = round((time.perf_counter() - started) * 1000, 3)
            self.journal.finish(self.id, "done", steps=dict.fromkeys(routers, "done"), committed=after)
            return TransactionResult(id=self.id, state="done", routers=tuple(routers), timings_ms=timings)
        finally:
            pool.close()

    def _inline(self, routers: Sequence[str]) -> bool:
        return all(getattr(self.drivers[r], "instant", False) for r in routers)

    @staticmethod
    def _phase(pool: _Pool, name: str, routers: list[str], action: Callable[[str], object],
               timings: dict[str, float]) -> dict[str, str]:
        t0 = time.perf_counter()
        failures = pool.run(routers, action) if routers else {}
        timings[name] = round((time.perf_counter() - t0) * 1000, 3)
        return failures

    def _verify_one(self, after: Mapping[str, RenderedConfig]) -> Callable[[str], object]:
        def verify(router: str) -> None:
            if not verify_config(self.drivers[router], after[router]):
                raise DeviceError(router, "running config differs from the committed one after commit")
        return verify

    def _rollback(self, routers: list[str], phase: str, failures: dict[str, str],
                  timings: dict[str, float], started: float) -> TransactionResult:
        error = f"{phase} failed on {', '.join(sorted(failures))}"
        self.journal.record(self.id, "rolling_back", errors=failures, error=error,
                            steps={r: "failed" for r in failures})
        t0 = time.perf_counter()
        # Every router may have been touched (even one that hung): roll them all back, from fresh
        # threads, since the old ones may still be stuck in a hung call.
        rollback_pool = _Pool(len(routers), self.timeout_s, inline=self._inline(routers), fresh=True)
        try:
            rollback_failures = rollback_pool.run(routers, lambda r: self.drivers[r].rollback())
        finally:
            rollback_pool.close()
        timings["rollback"] = round((time.perf_counter() - t0) * 1000, 3)
        timings["total"] = round((time.perf_counter() - started) * 1000, 3)
        steps = {r: ("rollback_failed" if r in rollback_failures else "rolled_back") for r in routers}
        state = "rollback_failed" if rollback_failures else "rolled_back"
        self.journal.finish(self.id, state, steps=steps, errors=rollback_failures, error=error)
        return TransactionResult(id=self.id, state=state, routers=tuple(routers),
                                 failed={**failures, **{r: f"rollback: {e}" for r, e in rollback_failures.items()}},
                                 phase=phase, timings_ms=timings)


# ---------------------------------------------------------------------------------------------
# Recovery
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RecoveryOutcome:
    id: str
    decision: str            # finished | undone | failed
    routers: tuple[str, ...]
    errors: dict[str, str] = field(default_factory=dict)


def _empty(vendor: str, router: str) -> RenderedConfig:
    """A router's config before unilink managed anything on it: the rendering of an empty intent."""
    if vendor in VENDORS:
        return render(vendor, DeviceIntent(router=router, vendor=vendor, loopback="0.0.0.0"))
    return RenderedConfig(vendor=vendor, text="")


def _restore(driver: DeviceDriver, before: RenderedConfig) -> None:
    """Put a router back to `before`, whatever state the dead process left it in."""
    # Best effort: drops a pending candidate (and a still-unconfirmed commit); a fresh session may
    # have nothing to roll back.
    with contextlib.suppress(Exception):
        driver.rollback()
    if not verify_config(driver, before):
        driver.prepare(before)
        driver.commit()
        confirm = getattr(driver, "confirm", None)
        if confirm is not None:
            confirm()
        if not verify_config(driver, before):
            raise DeviceError(driver.router, "still differs from its previous config after restore")


def recover_entry(entry: JournalEntry, journal: Journal, drivers: Mapping[str, DeviceDriver]) -> RecoveryOutcome:
    routers = tuple(s.router for s in entry.steps)
    missing = [r for r in routers if r not in drivers]
    if missing:
        errors = dict.fromkeys(missing, "no driver for this router at recovery")
        journal.finish(entry.id, "rollback_failed", errors=errors, error="recovery: missing drivers")
        return RecoveryOutcome(id=entry.id, decision="failed", routers=routers, errors=errors)
    # Decided by the routers themselves rather than by the journal's last word: the process may have
    # died after the last commit but before writing "committed", or a NETCONF router may have
    # reverted an unconfirmed commit on its own after the journal said "committed".
    # A transaction that had already decided to roll back is always undone, even if its routers
    # happen to run the new config: the caller was told (or would have been told) it failed.
    # A transaction bound to its caller's database transaction (the engine's apply) and still in its
    # first state is one whose caller never committed: the database kept the old state, so the
    # routers go back to it even when they all run the new config (the process died after the push).
    # A compact step (no config after, only its hash) is the engine's: always undone, as above.
    all_new = (entry.state not in ("rolling_back", BOUND_STATE)
               and all(s.after is not None and _safe_verify(drivers[s.router], s.after) for s in entry.steps))
    if all_new:
        for s in entry.steps:
            confirm = getattr(drivers[s.router], "confirm", None)
            if confirm is not None:
                confirm()
        journal.finish(entry.id, "done", steps=dict.fromkeys(routers, "done"),
                       committed={s.router: s.after for s in entry.steps if s.after is not None},
                       error="recovered: finished")
        return RecoveryOutcome(id=entry.id, decision="finished", routers=routers)
    errors: dict[str, str] = {}
    for s in entry.steps:
        try:
            _restore(drivers[s.router], s.before or _empty(s.vendor, s.router))
        except Exception as exc:  # noqa: BLE001 - report every router, do not stop at the first
            errors[s.router] = _error_text(exc)
    steps = {r: ("rollback_failed" if r in errors else "rolled_back") for r in routers}
    state = "rollback_failed" if errors else "rolled_back"
    journal.finish(entry.id, state, steps=steps, errors=errors, error="recovered: undone")
    return RecoveryOutcome(id=entry.id, decision="failed" if errors else "undone", routers=routers, errors=errors)


def _safe_verify(driver: DeviceDriver, expected: RenderedConfig) -> bool:
    try:
        return verify_config(driver, expected)
    except Exception:  # noqa: BLE001 - an unreachable router is not known to run the new config
        return False


def recover(journal_or_store: Journal | object, drivers: Mapping[str, DeviceDriver]) -> list[RecoveryOutcome]:
    """Finish or undo every unfinished transaction. Accepts a `Journal` or a `Store`."""
    journal = journal_or_store if hasattr(journal_or_store, "unfinished") else StoreJournal(journal_or_store)
    return [recover_entry(entry, journal, drivers) for entry in journal.unfinished()]  # type: ignore[union-attr]
