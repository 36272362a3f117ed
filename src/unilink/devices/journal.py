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
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Protocol

from sqlalchemy import JSON, DateTime, LargeBinary, bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from unilink.devices.diff import DeviceChange
from unilink.devices.render import RenderedConfig
from unilink.store.db import Store
from unilink.store.tables.journal import DeviceCommittedConfigRow, DeviceTransactionRow, DeviceTransactionStepRow

FINAL_STATES = frozenset({"done", "rolled_back", "rollback_failed"})
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


# Built once: a transaction writes its entry on every apply (see engine.records for why it matters).
_TX, _STEP = DeviceTransactionRow, DeviceTransactionStepRow
_INSERT_TX = insert(_TX)
_INSERT_STEPS = insert(_STEP)
_TX_STATE = update(_TX).where(_TX.id == bindparam("tx")).values(state=bindparam("state"),
                                                               updated_at=bindparam("updated_at"))
_TX_STATE_ERROR = _TX_STATE.values(error=bindparam("error"))
_STEPS_STATE = (update(_STEP).where(_STEP.transaction_id == bindparam("tx"),
                                    _STEP.router.in_(bindparam("routers", expanding=True)))
                .values(state=bindparam("state"), updated_at=bindparam("updated_at")))
_STEP_ERROR = (update(_STEP).where(_STEP.transaction_id == bindparam("tx"), _STEP.router == bindparam("step_router"))
               .values(error=bindparam("error"), updated_at=bindparam("updated_at")))
# The same SQL on SQLite and PostgreSQL. As text: SQLAlchemy's ON CONFLICT constructs cannot be
# cached, and compiling one cost more than running it.
_UPSERT_COMMITTED = text(
    "INSERT INTO device_committed_configs (router, vendor, text_z, shell, transaction_id, committed_at) "
    "VALUES (:router, :vendor, :text_z, :shell, :transaction_id, :committed_at) "
    "ON CONFLICT (router) DO UPDATE SET vendor = excluded.vendor, text_z = excluded.text_z, "
    "shell = excluded.shell, transaction_id = excluded.transaction_id, committed_at = excluded.committed_at"
).bindparams(bindparam("text_z", type_=LargeBinary), bindparam("shell", type_=JSON),
             bindparam("committed_at", type_=DateTime(timezone=True)))


class StoreJournal:
    """The journal in the database (tables `device_transactions`, `device_transaction_steps`)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def begin(self, tx_id: str, changes: Sequence[DeviceChange], *, actor: str, reason: str,
              plan_id: str | None, state: str = "started", compact: bool = False) -> None:
        """Write the transaction and its steps (one statement for all steps), committed at once.

        `compact`: keep each step's config hashes, not the configs (see `JournalStep`).
        """
        now = _now()
        steps = [{"transaction_id": tx_id, "router": c.router, "vendor": c.vendor, "state": "pending",
                  "before": None if compact or c.before is None else c.before.to_dict(),
                  "after": None if compact else c.after.to_dict(),
                  "before_sha": config_sha(c.before) if compact else None,
                  "after_sha": config_sha(c.after) if compact else None, "error": None, "updated_at": now}
                 for c in changes]
        with self.store.session(write=True) as session:
            connection = session.connection()
            # the parent row first: PostgreSQL checks the steps' foreign key at once
            connection.execute(_INSERT_TX, {"id": tx_id, "state": state, "actor": actor[:100],
                                            "reason": reason[:500], "plan_id": plan_id, "error": None,
                                            "created_at": now, "updated_at": now})
            if steps:
                connection.execute(_INSERT_STEPS, steps)

    def record(self, tx_id: str, state: str, *, steps: Mapping[str, str] | None = None,
               errors: Mapping[str, str] | None = None, error: str | None = None) -> None:
        with self.store.session(write=True) as session:
            self._update(session, tx_id, state, steps or {}, errors or {}, error)

    def finish(self, tx_id: str, state: str, *, steps: Mapping[str, str] | None = None,
               errors: Mapping[str, str] | None = None, error: str | None = None,
               committed: Mapping[str, RenderedConfig] | None = None) -> None:
        with self.store.session(write=True) as session:
            self.finish_in(session, tx_id, state, steps=steps, errors=errors, error=error, committed=committed)

    def finish_in(self, session: Session, tx_id: str, state: str, *, steps: Mapping[str, str] | None = None,
                  errors: Mapping[str, str] | None = None, error: str | None = None,
                  committed: Mapping[str, RenderedConfig] | None = None) -> None:
        """`finish`, written in the caller's session: it commits (or not) with the caller's own changes."""
        now = _now()
        self._update(session, tx_id, state, steps or {}, errors or {}, error)
        if committed:
            store_committed(session, committed, tx_id=tx_id, at=now)

    @staticmethod
    def _update(session: Session, tx_id: str, state: str, steps: Mapping[str, str], errors: Mapping[str, str],
                error: str | None) -> None:
        now = _now()
        connection = session.connection()
        if error is None:
            connection.execute(_TX_STATE, {"tx": tx_id, "state": state, "updated_at": now})
        else:
            connection.execute(_TX_STATE_ERROR, {"tx": tx_id, "state": state, "error": error[:4000],
                                                 "updated_at": now})
        # One UPDATE per distinct step state (not per router): a 50-router phase is one statement.
        by_state: dict[str, list[str]] = {}
        for router, step_state in steps.items():
            by_state.setdefault(step_state, []).append(router)
        for step_state, routers in sorted(by_state.items()):
            connection.execute(_STEPS_STATE, {"tx": tx_id, "routers": sorted(routers), "state": step_state,
                                              "updated_at": now})
        for router, message in sorted(errors.items()):
            connection.execute(_STEP_ERROR, {"tx": tx_id, "step_router": router, "error": message[:4000],
                                             "updated_at": now})

    def unfinished(self) -> list[JournalEntry]:
        with self.store.session() as session:
            txs = session.scalars(select(DeviceTransactionRow)
                                  .where(DeviceTransactionRow.state.not_in(sorted(FINAL_STATES)))
                                  .order_by(DeviceTransactionRow.created_at, DeviceTransactionRow.id)).all()
            return [self._entry(session, tx) for tx in txs]

    def recent(self, limit: int = 50, *, plan_id: str | None = None) -> list[JournalEntry]:
        """The latest transactions, newest first (optionally those of one plan): for history views."""
        with self.store.session() as session:
            query = select(DeviceTransactionRow)
            if plan_id is not None:
                query = query.where(DeviceTransactionRow.plan_id == plan_id)
            txs = session.scalars(query.order_by(DeviceTransactionRow.created_at.desc(), DeviceTransactionRow.id)
                                  .limit(limit)).all()
            return [self._entry(session, tx) for tx in txs]

    def get(self, tx_id: str) -> JournalEntry | None:
        with self.store.session() as session:
            tx = session.get(DeviceTransactionRow, tx_id)
            return self._entry(session, tx) if tx is not None else None

    @staticmethod
    def _entry(session: Session, tx: DeviceTransactionRow) -> JournalEntry:
        rows = session.scalars(select(DeviceTransactionStepRow)
                               .where(DeviceTransactionStepRow.transaction_id == tx.id)
                               .order_by(DeviceTransactionStepRow.router)).all()
        compact = [r.router for r in rows if r.before is None and r.before_sha is not None]
        committed = _committed_in(session, compact) if compact else {}
        steps = tuple(JournalStep(router=r.router, vendor=r.vendor, state=r.state,
                                  before=(RenderedConfig.from_dict(r.before) if r.before is not None
                                          else committed.get(r.router)),
                                  after=RenderedConfig.from_dict(r.after) if r.after is not None else None,
                                  error=r.error, before_sha=r.before_sha, after_sha=r.after_sha) for r in rows)
        return JournalEntry(id=tx.id, state=tx.state, actor=tx.actor, reason=tx.reason, plan_id=tx.plan_id,
                            error=tx.error, steps=steps, created_at=tx.created_at)


def _committed_in(session: Session, routers: Sequence[str] | None = None) -> dict[str, RenderedConfig]:
    row = DeviceCommittedConfigRow
    query = select(row.router, row.vendor, row.text_z, row.shell)
    if routers is not None:
        query = query.where(row.router.in_(sorted(routers)))
    return {router: RenderedConfig(vendor=vendor, text=zlib.decompress(text_z).decode(),
                                   shell=tuple(tuple(str(a) for a in cmd) for cmd in shell))
            for router, vendor, text_z, shell in session.execute(query)}


def committed_configs(session: Session) -> dict[str, RenderedConfig]:
    """Every router's last committed config, read in `session` (the engine's device model)."""
    return _committed_in(session)


def store_committed(session: Session, configs: Mapping[str, RenderedConfig], *, tx_id: str | None,
                    at: datetime) -> None:
    """Record `configs` as what their routers run: one upsert for all of them (no read first)."""
    values = [{"router": router, "vendor": config.vendor, "text_z": zlib.compress(config.text.encode(), 1),
               "shell": [list(cmd) for cmd in config.shell], "transaction_id": tx_id, "committed_at": at}
              for router, config in sorted(configs.items())]
    session.connection().execute(_UPSERT_COMMITTED, values)


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
