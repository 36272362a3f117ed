"""One scheduler round at a time across workers (store.locks.leader), and `serve --workers` on SQLite refused."""

from __future__ import annotations

from typing import Any

from typer.testing import CliRunner

from unilink.cli.main import app
from unilink.store.db import Store
from unilink.store.locks import leader
from unilink.usecases import scheduled_changes


def test_a_second_worker_skips_the_round_another_leads(pg_store: Store, monkeypatch: Any) -> None:
    other = Store(pg_store.engine, pg_store.clock)  # another worker: its own connections, same database
    fired: list[str] = []
    monkeypatch.setattr(scheduled_changes, "due_changes", lambda store, now: fired.append("round") or [])
    with leader(pg_store, scheduled_changes.SCHEDULER_LOCK) as leading:
        assert leading
        assert scheduled_changes.run_due(other) == []
        assert fired == []  # the other worker did not even look: the round is led elsewhere
    scheduled_changes.run_due(other)
    assert fired == ["round"]  # the lock is free again once the leader's round ended


def test_the_lock_is_held_by_one_at_a_time(pg_store: Store) -> None:
    with leader(pg_store, "x") as first, leader(pg_store, "x") as second, leader(pg_store, "y") as third:
        assert (first, second, third) == (True, False, True)


def test_serve_with_workers_refuses_sqlite(tmp_path: Any) -> None:
    result = CliRunner().invoke(app, ["serve", "--workers", "2", "--database", f"sqlite:///{tmp_path}/u.db"])
    assert result.exit_code != 0
    assert "several workers need PostgreSQL" in result.output and "UNILINK_DATABASE_URL" in result.output
    assert not (tmp_path / "u.db").exists()  # refused before anything was opened


def test_one_usage_collector_across_workers_and_the_next_takes_over(pg_store: Store, monkeypatch: Any) -> None:
    import threading

    from unilink.api.routes import usage_metrics

    collecting = threading.Event()
    monkeypatch.setattr(usage_metrics, "reader_for", lambda store, source: (None, []))
    monkeypatch.setattr(usage_metrics, "run_forever", lambda poller, stop: collecting.set())
    second_worker = usage_metrics.CollectorThread(Store(pg_store.engine, pg_store.clock), 0.05, source="sim")
    with leader(pg_store, usage_metrics.COLLECTOR_LOCK) as first_worker_collects:
        assert first_worker_collects
        second_worker.start()
        assert not collecting.wait(0.5)  # ten rounds of trying: the first worker collects, not this one
    assert collecting.wait(5.0)         # the first one went: the second takes over
    second_worker.stop()
