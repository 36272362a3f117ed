"""The device journal's SQL: transactions, their steps, and the last committed config of every router.

`unilink.devices.journal.StoreJournal` is the device layer's view of these tables; this module is
the only one that knows their SQL. It deals in plain values (dicts of a `RenderedConfig`'s fields,
strings, datetimes): the device layer turns them into its own types, so the store imports nothing
of `unilink.devices` (no package cycle).

Each phase of a device transaction is one database transaction with one UPDATE per step state,
and the statements are built once: a transaction writes its entry on every apply, and compiling a
statement cost more than running it (see store.change_repo for the same reason).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, LargeBinary, bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from unilink.store.tables.journal import DeviceCommittedConfigRow, DeviceTransactionRow, DeviceTransactionStepRow

# What the device layer passes as "a session" (it imports no sqlalchemy itself).
JournalSession = Session

FINAL_STATES = frozenset({"done", "rolled_back", "rollback_failed"})


@dataclass(frozen=True, slots=True)
class StepRecord:
    """One stored step: `before`/`after` are a RenderedConfig's dict (None: not kept, see the hashes)."""

    router: str
    vendor: str
    state: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    error: str | None
    before_sha: str | None
    after_sha: str | None


@dataclass(frozen=True, slots=True)
class TransactionRecord:
    id: str
    state: str
    actor: str
    reason: str
    plan_id: str | None
    error: str | None
    created_at: datetime
    steps: tuple[StepRecord, ...]


@dataclass(frozen=True, slots=True)
class CommittedConfig:
    """What a router should run, by the store: a RenderedConfig's fields (the text decompressed)."""

    vendor: str
    text: str
    shell: tuple[tuple[str, ...], ...]


_TX, _STEP, _COMMITTED = DeviceTransactionRow, DeviceTransactionStepRow, DeviceCommittedConfigRow
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


# -- writing ---------------------------------------------------------------------------------------

def insert_transaction(session: Session, tx_id: str, *, state: str, actor: str, reason: str, plan_id: str | None,
                       steps: Sequence[Mapping[str, Any]], at: datetime) -> None:
    """The transaction's row, then all its steps in one statement (PostgreSQL checks the steps'
    foreign key at once: the parent row goes first). `steps`: router, vendor, before, after,
    before_sha, after_sha (before/after as a RenderedConfig's dict, or None)."""
    connection = session.connection()
    connection.execute(_INSERT_TX, {"id": tx_id, "state": state, "actor": actor[:100], "reason": reason[:500],
                                    "plan_id": plan_id, "error": None, "created_at": at, "updated_at": at})
    if steps:
        connection.execute(_INSERT_STEPS, [{**step, "transaction_id": tx_id, "state": "pending", "error": None,
                                            "updated_at": at} for step in steps])


def update_transaction(session: Session, tx_id: str, state: str, *, steps: Mapping[str, str],
                       errors: Mapping[str, str], error: str | None, at: datetime) -> None:
    """The transaction's state (and error), its steps' states (router → state) and errors."""
    connection = session.connection()
    if error is None:
        connection.execute(_TX_STATE, {"tx": tx_id, "state": state, "updated_at": at})
    else:
        connection.execute(_TX_STATE_ERROR, {"tx": tx_id, "state": state, "error": error[:4000], "updated_at": at})
    # One UPDATE per distinct step state (not per router): a 50-router phase is one statement.
    by_state: dict[str, list[str]] = {}
    for router, step_state in steps.items():
        by_state.setdefault(step_state, []).append(router)
    for step_state, routers in sorted(by_state.items()):
        connection.execute(_STEPS_STATE, {"tx": tx_id, "routers": sorted(routers), "state": step_state,
                                          "updated_at": at})
    for router, message in sorted(errors.items()):
        connection.execute(_STEP_ERROR, {"tx": tx_id, "step_router": router, "error": message[:4000],
                                         "updated_at": at})


def upsert_committed(session: Session, configs: Mapping[str, CommittedConfig], *, tx_id: str | None,
                     at: datetime) -> None:
    """Record `configs` as what their routers run: one upsert for all of them (no read first)."""
    values = [{"router": router, "vendor": config.vendor, "text_z": zlib.compress(config.text.encode(), 1),
               "shell": [list(cmd) for cmd in config.shell], "transaction_id": tx_id, "committed_at": at}
              for router, config in sorted(configs.items())]
    session.connection().execute(_UPSERT_COMMITTED, values)


# -- reading ---------------------------------------------------------------------------------------

def unfinished_transactions(session: Session) -> list[TransactionRecord]:
    """Transactions not in a final state, oldest first."""
    txs = session.scalars(select(_TX).where(_TX.state.not_in(sorted(FINAL_STATES)))
                          .order_by(_TX.created_at, _TX.id)).all()
    return [_record(session, tx) for tx in txs]


def recent_transactions(session: Session, limit: int, *, plan_id: str | None = None) -> list[TransactionRecord]:
    """The latest transactions, newest first (optionally those of one plan)."""
    query = select(_TX)
    if plan_id is not None:
        query = query.where(_TX.plan_id == plan_id)
    txs = session.scalars(query.order_by(_TX.created_at.desc(), _TX.id).limit(limit)).all()
    return [_record(session, tx) for tx in txs]


def get_transaction(session: Session, tx_id: str) -> TransactionRecord | None:
    tx = session.get(_TX, tx_id)
    return _record(session, tx) if tx is not None else None


def committed(session: Session, routers: Iterable[str] | None = None) -> dict[str, CommittedConfig]:
    """The last committed config of every router (or of `routers`)."""
    query = select(_COMMITTED.router, _COMMITTED.vendor, _COMMITTED.text_z, _COMMITTED.shell)
    if routers is not None:
        query = query.where(_COMMITTED.router.in_(sorted(routers)))
    return {router: CommittedConfig(vendor=vendor, text=zlib.decompress(text_z).decode(),
                                    shell=tuple(tuple(str(a) for a in cmd) for cmd in shell))
            for router, vendor, text_z, shell in session.execute(query)}


def _record(session: Session, tx: DeviceTransactionRow) -> TransactionRecord:
    rows = session.scalars(select(_STEP).where(_STEP.transaction_id == tx.id).order_by(_STEP.router)).all()
    steps = tuple(StepRecord(router=r.router, vendor=r.vendor, state=r.state, before=r.before, after=r.after,
                             error=r.error, before_sha=r.before_sha, after_sha=r.after_sha) for r in rows)
    return TransactionRecord(id=tx.id, state=tx.state, actor=tx.actor, reason=tx.reason, plan_id=tx.plan_id,
                             error=tx.error, created_at=tx.created_at, steps=steps)
