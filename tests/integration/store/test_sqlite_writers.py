"""SQLite under concurrent writers: the writer gate (threads and processes queue, nobody sleeps in
SQLite's busy loop, nothing is lost) and the background WAL checkpointer."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from pathlib import Path

from sqlalchemy import text

from unilink.store.db import CHECKPOINT_EVERY_S, Store, WriterGate

ROWS_PER_WRITER = 200


def _write_rows(url: str, writer: int) -> None:
    """Read-then-write transactions that would lose updates if two ran at once."""
    store = Store.open(url, migrate=False)
    try:
        for i in range(ROWS_PER_WRITER):
            with store.session(write=True) as session:
                count = session.execute(text("SELECT value FROM counter WHERE id = 1")).scalar_one()
                session.execute(text("UPDATE counter SET value = :v WHERE id = 1"), {"v": count + 1})
                session.execute(text("INSERT INTO log (writer, i) VALUES (:w, :i)"), {"w": writer, "i": i})
    finally:
        store.close()


def test_writers_in_several_processes_and_threads_queue_and_lose_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    store = Store.open(url)
    with store.session(write=True) as session:
        session.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)"))
        session.execute(text("CREATE TABLE log (writer INTEGER, i INTEGER)"))
        session.execute(text("INSERT INTO counter VALUES (1, 0)"))
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_write_rows, args=(url, w)) for w in range(2)]
    threads = [threading.Thread(target=_write_rows, args=(url, 10 + w)) for w in range(2)]
    started = time.perf_counter()
    for worker in (*processes, *threads):
        worker.start()
    for worker in (*processes, *threads):
        worker.join(timeout=120)
    elapsed = time.perf_counter() - started
    assert all(p.exitcode == 0 for p in processes)
    with store.session() as session:
        assert session.execute(text("SELECT value FROM counter")).scalar_one() == 4 * ROWS_PER_WRITER
        assert session.execute(text("SELECT count(*) FROM log")).scalar_one() == 4 * ROWS_PER_WRITER
    store.close()
    assert (tmp_path / "w.db-writer").exists()
    assert elapsed < 60, f"{4 * ROWS_PER_WRITER} small transactions took {elapsed:.1f} s"


def test_the_gate_is_reentrant_in_a_thread_and_exclusive_between_threads(tmp_path: Path) -> None:
    gate = WriterGate(tmp_path / "g")
    inside: list[str] = []

    def enter() -> None:
        with gate.held():
            inside.append("other")

    with gate.held(), gate.held():  # the same thread passes again
        other = threading.Thread(target=enter)
        other.start()
        other.join(timeout=0.3)
        assert inside == [], "another thread entered while the gate was held"
        inside.append("me")
    other.join(timeout=5)
    assert inside == ["me", "other"]


def test_the_wal_is_checkpointed_in_the_background(tmp_path: Path) -> None:
    """Commits do not checkpoint (the threshold is far away): the checkpointer thread copies the WAL
    into the database file within a few seconds."""
    path = tmp_path / "c.db"
    store = Store.open(f"sqlite:///{path}")
    try:
        with store.session(write=True) as session:
            session.execute(text("CREATE TABLE blob (data BLOB)"))
        time.sleep(CHECKPOINT_EVERY_S * 2.5)
        before = path.stat().st_size
        with store.session(write=True) as session:
            for _ in range(100):
                session.execute(text("INSERT INTO blob VALUES (:d)"), {"d": os.urandom(20_000)})
        assert path.stat().st_size == before, "the commit itself checkpointed"
        deadline = time.monotonic() + CHECKPOINT_EVERY_S * 5
        while path.stat().st_size <= before and time.monotonic() < deadline:
            time.sleep(0.1)
        assert path.stat().st_size > before + 1_000_000
    finally:
        store.close()
