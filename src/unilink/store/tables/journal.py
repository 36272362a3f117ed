"""devices: the journal of device transactions and the last committed config of every router.

A transaction's row and its steps are written *before* the first push to any router, then updated
at each phase, so that a process killed half-way leaves enough behind for `recover()` to finish it
(every router committed) or undo it (every touched router restored to `before`).
`device_committed_configs` is what the store says each router should run: drift compares against it,
and the engine renders its changes against it (the only stored copy of a router's config).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from unilink.store.base import Base, UtcDateTime

TX_STATES = ("started", "preparing", "committing", "committed", "done", "rolling_back", "rolled_back",
             "rollback_failed")
STEP_STATES = ("pending", "prepared", "committed", "verified", "done", "failed", "rolled_back",
               "rollback_failed")
TX_STATE_CHECK = "state IN (" + ", ".join(f"'{s}'" for s in TX_STATES) + ")"
STEP_STATE_CHECK = "state IN (" + ", ".join(f"'{s}'" for s in STEP_STATES) + ")"


class DeviceTransactionRow(Base):
    __tablename__ = "device_transactions"
    __table_args__ = (CheckConstraint(TX_STATE_CHECK, name="state"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # uuid4 hex with dashes
    state: Mapped[str] = mapped_column(String(20), index=True)
    actor: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(500))
    plan_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DeviceTransactionStepRow(Base):
    __tablename__ = "device_transaction_steps"
    __table_args__ = (CheckConstraint(STEP_STATE_CHECK, name="state"),
                      UniqueConstraint("transaction_id", "router"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[str] = mapped_column(ForeignKey("device_transactions.id", ondelete="CASCADE"),
                                                index=True)
    router: Mapped[str] = mapped_column(String(64))
    vendor: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    # RenderedConfig as a dict; a step of the engine's bound transactions keeps only the hashes (its
    # undo target is the router's committed config, which its database transaction never replaced)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    before_sha: Mapped[str | None] = mapped_column(String(64), nullable=True)
    after_sha: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DeviceCommittedConfigRow(Base):
    __tablename__ = "device_committed_configs"

    router: Mapped[str] = mapped_column(String(64), primary_key=True)
    vendor: Mapped[str] = mapped_column(String(20))
    # RenderedConfig: its text zlib-compressed (a PE's config is ~50 kB and repeats itself: ~8× smaller,
    # and a 50-router change writes 50 of them), its shell commands (FRR) as they are
    text_z: Mapped[bytes] = mapped_column(LargeBinary)
    shell: Mapped[list[list[str]]] = mapped_column(JSON)
    transaction_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    committed_at: Mapped[datetime] = mapped_column(UtcDateTime())
