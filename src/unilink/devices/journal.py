"""The journal of device transactions: in the store (`StoreJournal`) or in memory (`MemoryJournal`).

The transaction writes its row and one step per router *before* the first push, then records each
phase. Each phase is one database transaction (all its routers at once), so a 50-router change
costs a handful of writes, not hundreds. What recovery needs survives a crash at any point:
the state of the transaction, and per router the config before and after.

A transaction *bound* to a database transaction of its caller (the engine's apply, see
`BoundJournal`) starts in state `preparing`: its `done` is written in the caller's own database
transaction, atomically with everything the caller records (reservations, intent version, configs).
So an entry found still `preparing` after a crash is one whose caller never committed: the database
kept the old state, and recovery undoes the routers whatever they run — never half-applied.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Protocol

from unilink.devices.diff import DeviceChange
from unilink.devices.render import RenderedConfig
from unilink.store import journal_repo as repo
from unilink.store.db import Store
from unilink.store.journal_repo import FINAL_STATES, JournalSession

__all__ = ["BOUND_STATE", "FINAL_STATES", "Journal", "JournalEntry", "JournalStep", "MemoryJournal", "StoreJournal",
           "committed_configs", "config_sha", "last_committed", "store_committed", "text_sha"]
BOUND_STATE = "preparing"  # the first state of a transaction whose outcome is its caller's DB transaction


@dataclass(frozen=True, slots=True)
class JournalStep:
    """One router of a transaction. A compact step (the engine's) keeps the hashes of its configs:
    its `before` is then read back from the router's committed config, and `after` is None."""

    router: str
    vendor: str
    state: str
    before: RenderedConfig | None
    after: RenderedConfig | None
    error: str | None = None
    before_sha: str | None = None
    after_sha: str | None = None


def config_sha(config: RenderedConfig | None) -> str:
    """The SHA-256 of everything pushed (`full_text`); of "" for no config."""
    return text_sha(config.full_text() if config is not None else "")


@lru_cache(maxsize=256)
def text_sha(text: str) -> str:
    """SHA-256 of a config text, hex. Cached: a change hashes the same few configs (each ~50 kB) several
    times — planned, journalled, checked under the lock — and they are the same string objects, which
    the cache finds by identity, without comparing their characters."""
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class JournalEntry:
    id: str
    state: str
    actor: str
    reason: str
    plan_id: str | None
    error: str | None
    steps: tuple[JournalStep, ...]
    created_at: datetime

    def to_dict(self) -> dict[str, object]:
        """For API and CLI views: states and errors, not the configs themselves."""
        return {"id": self.id, "state": self.state, "actor": self.actor, "reason": self.reason,
                "plan_id": self.plan_id, "error": self.error, "created_at": self.created_at.isoformat(),
                "steps": [{"router": s.router, "vendor": s.vendor, "state": s.state, "error": s.error}
                          for s in self.steps]}


class Journal(Protocol):
    def begin(self, tx_id: str, changes: Sequence[DeviceChange], *, actor: str, reason: str,
              plan_id: str | None) -> None: ...

    def record(self, tx_id: str, state: str, *, steps: Mapping[str, str] | None = None,
               errors: Mapping[str, str] | None = None, error: str | None = None) -> None: ...

    def finish(self, tx_id: str, state: str, *, steps: Mapping[str, str] | None = None,
               errors: Mapping[str, str] | None = None, error: str | None = None,
               committed: Mapping[str, RenderedConfig] | None = None) -> None: ...

    def unfinished(self) -> list[JournalEntry]: ...


def _now() -> datetime:
    return datetime.now(UTC)


class StoreJournal:
    """The journal in the database (tables `device_transactions`, `device_transaction_steps`; the SQL is
    `unilink.store.journal_repo`)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def begin(self, tx_id: str, changes: Sequence[DeviceChange], *, actor: str, reason: str,
              plan_id: str | None, state: str = "started", compact: bool = False) -> None:
        """Write the transaction and its steps (one statement for all steps), committed at once.

        `compact`: keep each step's config hashes, not the configs (see `JournalStep`).
        """
        steps = [{"router": c.router, "vendor": c.vendor,
                  "before": None if compact or c.before is None else c.before.to_dict(),
                  "after": None if compact else c.after.to_dict(),
                  "before_sha": config_sha(c.before) if compact else None,
                  "after_sha": config_sha(c.after) if compact else None}
                 for c in changes]
        with self.store.session(write=True) as session:
            repo.insert_transaction(session, tx_id, state=state, actor=actor, reason=reason, plan_id=plan_id,
                                    steps=steps, at=_now())

    def record(self, tx_id: str, state: str, *, steps: Mapping[str, str] | None = None,
               errors: Mapping[str, str] | None = None, error: str | None = None) -> None:
        with self.store.session(write=True) as session:
            repo.update_transaction(session, tx_id, state, steps=steps or {}, errors=errors or {}, error=error,
                                    at=_now())

    def finish(self, tx_id: str, state: str, *, steps: Mapping[str, str] | None = None,
               errors: Mapping[str, str] | None = None, error: str | None = None,
               committed: Mapping[str, RenderedConfig] | None = None) -> None:
        with self.store.session(write=True) as session:
            self.finish_in(session, tx_id, state, steps=steps, errors=errors, error=error, committed=committed)

    def finish_in(self, session: JournalSession, tx_id: str, state: str, *, steps: Mapping[str, str] | None = None,
                  errors: Mapping[str, str] | None = None, error: str | None = None,
                  committed: Mapping[str, RenderedConfig] | None = None) -> None:
        """`finish`, written in the caller's session: it commits (or not) with the caller's own changes."""
        now = _now()
        repo.update_transaction(session, tx_id, state, steps=steps or {}, errors=errors or {}, error=error, at=now)
        if committed:
            store_committed(session, committed, tx_id=tx_id, at=now)

    def unfinished(self) -> list[JournalEntry]:
        with self.store.session() as session:
            return [_entry(session, tx) for tx in repo.unfinished_transactions(session)]

    def recent(self, limit: int = 50, *, plan_id: str | None = None) -> list[JournalEntry]:
        """The latest transactions, newest first (optionally those of one plan): for history views."""
        with self.store.session() as session:
            return [_entry(session, tx) for tx in repo.recent_transactions(session, limit, plan_id=plan_id)]

    def get(self, tx_id: str) -> JournalEntry | None:
        with self.store.session() as session:
            tx = repo.get_transaction(session, tx_id)
            return _entry(session, tx) if tx is not None else None


def _entry(session: JournalSession, tx: repo.TransactionRecord) -> JournalEntry:
    """A stored transaction as the device layer's entry; a compact step's `before` is read back from
    the router's committed config, in the same session."""
    compact = [s.router for s in tx.steps if s.before is None and s.before_sha is not None]
    committed = _committed_in(session, compact) if compact else {}
    steps = tuple(JournalStep(router=s.router, vendor=s.vendor, state=s.state,
                              before=(RenderedConfig.from_dict(s.before) if s.before is not None
                                      else committed.get(s.router)),
                              after=RenderedConfig.from_dict(s.after) if s.after is not None else None,
                              error=s.error, before_sha=s.before_sha, after_sha=s.after_sha) for s in tx.steps)
    return JournalEntry(id=tx.id, state=tx.state, actor=tx.actor, reason=tx.reason, plan_id=tx.plan_id,
                        error=tx.error, steps=steps, created_at=tx.created_at)


def _committed_in(session: JournalSession, routers: Sequence[str] | None = None) -> dict[str, RenderedConfig]:
    return {router: RenderedConfig(vendor=c.vendor, text=c.text, shell=c.shell)
            for router, c in repo.committed(session, routers).items()}


def committed_configs(session: JournalSession) -> dict[str, RenderedConfig]:
    """Every router's last committed config, read in `session` (the engine's device model)."""
    return _committed_in(session)


def store_committed(session: JournalSession, configs: Mapping[str, RenderedConfig], *, tx_id: str | None,
                    at: datetime) -> None:
    """Record `configs` as what their routers run: one upsert for all of them (no read first)."""
    repo.upsert_committed(session, {router: repo.CommittedConfig(vendor=c.vendor, text=c.text, shell=c.shell)
                                    for router, c in configs.items()}, tx_id=tx_id, at=at)


def last_committed(store: Store) -> dict[str, RenderedConfig]:
    """What every router should be running, by the store: its last committed config."""
    with store.session() as session:
        return dict(sorted(_committed_in(session).items()))


@dataclass
class MemoryJournal:
    """A journal kept in memory: for unit tests and callers that need no crash recovery.

    `events` lists (tx_id, state) in order, so tests can check that the journal was written before
    the first push.
    """

    events: list[tuple[str, str]] = field(default_factory=list)
    entries: dict[str, JournalEntry] = field(default_factory=dict)
    committed: dict[str, RenderedConfig] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def begin(self, tx_id: str, changes: Sequence[DeviceChange], *, actor: str, reason: str,
              plan_id: str | None) -> None:
        steps = tuple(JournalStep(router=c.router, vendor=c.vendor, state="pending", before=c.before, after=c.after)
                      for c in changes)
        with self._lock:
            self.entries[tx_id] = JournalEntry(id=tx_id, state="started", actor=actor, reason=reason,
                                               plan_id=plan_id, error=None, steps=steps, created_at=_now())
            self.events.append((tx_id, "started"))

    def record(self, tx_id: str, state: str, *, steps: Mapping[str, str] | None = None,
               errors: Mapping[str, str] | None = None, error: str | None = None) -> None:
        with self._lock:
            entry = self.entries[tx_id]
            new_steps = tuple(JournalStep(router=s.router, vendor=s.vendor, state=(steps or {}).get(s.router, s.state),
                                          before=s.before, after=s.after,
                                          error=(errors or {}).get(s.router, s.error)) for s in entry.steps)
            self.entries[tx_id] = JournalEntry(id=entry.id, state=state, actor=entry.actor, reason=entry.reason,
                                               plan_id=entry.plan_id, error=error or entry.error, steps=new_steps,
                                               created_at=entry.created_at)
            self.events.append((tx_id, state))

    def finish(self, tx_id: str, state: str, *, steps: Mapping[str, str] | None = None,
               errors: Mapping[str, str] | None = None, error: str | None = None,
               committed: Mapping[str, RenderedConfig] | None = None) -> None:
        self.record(tx_id, state, steps=steps, errors=errors, error=error)
        with self._lock:
            self.committed.update(committed or {})

    def unfinished(self) -> list[JournalEntry]:
        with self._lock:
            return [e for e in self.entries.values() if e.state not in FINAL_STATES]
