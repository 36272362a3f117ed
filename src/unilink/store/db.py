"""The database: opening it, migrating it, sessions, and the backbone network saved in it.

SQLite is the default (one file under ./var/, no server), in WAL mode so that readers never block
the writer, with foreign keys enforced and a busy timeout so that concurrent writers wait instead of
failing. PostgreSQL is selected with `UNILINK_DATABASE_URL=postgresql+psycopg://...`.

Write transactions (`store.session(write=True)`) take the database's write lock when they begin
(SQLite `BEGIN IMMEDIATE`), so that a read-then-write transaction can never fail half-way with
"database is locked": it waits for the other writer first. On SQLite they first queue at a
`WriterGate` (a lock file shared by every process, plus a thread lock): SQLite's own wait is a
sleep-and-retry loop (1, 2, 5, 10 … ms), which under steady contention — two API workers saving
plans — costs far more than the transactions themselves; the gate wakes the next writer at once.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from unilink import clock as clock_module
from unilink.clock import Clock
from unilink.errors import ValidationError
from unilink.inventory.model import Network
from unilink.store import network_repo
from unilink.store.network_repo import NetworkChange
from unilink.store.tables.inventory import TopologyRow

DATABASE_URL_ENV = "UNILINK_DATABASE_URL"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Any fixed number: PostgreSQL sessions that migrate take this advisory lock, so they run one at a time.
MIGRATION_LOCK_KEY = 0x756E696C  # "unil"
_WRITE_OPTION = "unilink_write"


def default_url() -> str:
    """`UNILINK_DATABASE_URL` when set, else an SQLite file in ./var/ of the current directory."""
    return os.environ.get(DATABASE_URL_ENV) or f"sqlite:///{Path.cwd() / 'var' / 'unilink.db'}"


def backend_of(url: str) -> str:
    """The database behind a URL: "sqlite" or "postgresql"."""
    return make_url(url).get_backend_name()


def make_engine(url: str) -> Engine:
    """An engine for `url`, configured for unilink (SQLite: WAL, foreign keys, busy timeout)."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError for garbage
        raise ValidationError("not a database URL", field="database_url", value=url,
                              accepted="sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB") from exc
    if parsed.drivername in ("postgresql", "postgres"):
        # Plain "postgresql://" means psycopg2 to SQLAlchemy (and "postgres://" nothing); unilink ships psycopg 3.
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    if parsed.get_backend_name() == "postgresql":
        return create_engine(parsed, pool_pre_ping=True)
    raise ValidationError("unsupported database", field="database_url", value=url,
                          accepted="sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB")


class WriterGate:
    """One SQLite writer at a time across threads and processes, woken in turn (see the module doc).

    Re-entrant within a thread (a write session opened inside another one passes straight through);
    `flock` on a file beside the database orders the processes, and is released by the kernel if a
    process dies holding it.
    """

    def __init__(self, path: Path) -> None:
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._thread_lock:
            if self._depth == 0:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)

WAL_AUTOCHECKPOINT_PAGES = 50_000  # ~200 MB: only reached when no WalCheckpointer runs
CHECKPOINT_EVERY_S = 1.0


class WalCheckpointer:
    """Copies the WAL of every open SQLite store back into its database file, once a second.

    One thread per process, whatever the number of stores (tests open hundreds). A PASSIVE
    checkpoint never waits for readers or writers (what it cannot copy now, it copies next time)
    and runs in SQLite's C code without Python's lock, so requests do not pay for it. A database
    whose WAL is small is left alone until it grows. Stores register on open and leave on close
    (or when garbage-collected); the thread ends when none is left.
    """

    MIN_WAL_BYTES = 256 * 1024

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users: dict[str, int] = {}  # database path → open stores
        self._thread: threading.Thread | None = None

    def register(self, database: str) -> None:
        with self._lock:
            self._users[database] = self._users.get(database, 0) + 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True, name="sqlite-checkpoint")
                self._thread.start()

    def unregister(self, database: str) -> None:
        with self._lock:
            left = self._users.get(database, 0) - 1
            if left > 0:
                self._users[database] = left
            else:
                self._users.pop(database, None)

    def _run(self) -> None:
        import sqlite3

        connections: dict[str, sqlite3.Connection] = {}
        try:
            while True:
                time.sleep(CHECKPOINT_EVERY_S)
                with self._lock:
                    databases = set(self._users)
                    if not databases:
                        self._thread = None
                        return
                for gone in set(connections) - databases:
                    connections.pop(gone).close()
                for database in databases:
                    self._checkpoint(connections, database)
        finally:
            for connection in connections.values():
                connection.close()

    def _checkpoint(self, connections: dict[str, Any], database: str) -> None:
        import sqlite3

        try:
            if os.path.getsize(database + "-wal") < self.MIN_WAL_BYTES:
                return
            if database not in connections:
                connections[database] = sqlite3.connect(database, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
            connections[database].execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except (OSError, sqlite3.Error):  # no WAL yet, or the file was removed under us: later, quietly
            return


CHECKPOINTER = WalCheckpointer()
_GATES: dict[str, WriterGate] = {}
_GATES_LOCK = threading.Lock()


def writer_gate(database: str) -> WriterGate:
    """The process's gate of an SQLite file: one per file, whatever the number of stores on it."""
    with _GATES_LOCK:
        if database not in _GATES:
            _GATES[database] = WriterGate(Path(database + "-writer"))
        return _GATES[database]


def connection_of(executor: Session | Connection) -> Connection:
    """The connection of a session's transaction (or the connection itself): for Core statements
    that must run in whichever of the two the caller holds."""
    return executor if isinstance(executor, Connection) else executor.connection()


def _sqlite_file(engine: Engine) -> str | None:
    """The path of an SQLite database file (None for another database or an in-memory one)."""
    url = engine.url
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module (it would BEGIN lazily, and never
        # IMMEDIATE); SQLAlchemy's "begin" event below issues the BEGIN instead.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable across crashes in WAL mode, faster commits
        # Checkpoints run on a thread of their own (WalCheckpointer), not inside whichever commit
        # crosses 1,000 pages (SQLite's default): that commit took 5-7 ms longer. This is the backstop.
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def alembic_config(connection: Connection | None = None) -> Config:
    """The Alembic configuration, built in code: no alembic.ini is needed at run time."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(MIGRATIONS_DIR / "versions"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def run_migrations(engine: Engine, config: Config | None = None) -> None:
    """Upgrade the database to every head (each domain's migration branch), one process at a time.

    On SQLite, foreign keys are switched off while migrating (and checked before committing):
    batch migrations rebuild a table by copy + DROP + RENAME, and with foreign keys on, the DROP of
    a referenced table would fail or cascade-delete the rows that point at it.
    """
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:  # PRAGMA foreign_keys is a no-op inside a transaction: set it before BEGIN
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            conn.execution_options(**{_WRITE_OPTION: True})
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
                migration_config = config or alembic_config()
                migration_config.attributes["connection"] = conn
                command.upgrade(migration_config, "heads")
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"a migration left rows with dangling foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def migration_heads() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


# Called with the store after every committed write transaction. Empty in production; the test suite
# registers its invariants here (tests/conftest.py: nothing is ever booked beyond a link's capacity).
AFTER_WRITE: list[Callable[[Store], None]] = []


def _copy(network: Network) -> Network:
    """A copy the caller may change: new lists of the same (immutable) elements."""
    return Network(name=network.name, pops=list(network.pops), routers=list(network.routers),
                   links=list(network.links), interconnects=list(network.interconnects))


class Store:
    """The database of unilink. Open with `Store.open()`; close with `store.close()`."""

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self.engine = engine
        # the time the engine and scheduler run on for this database (see unilink.clock)
        self.clock: Clock = clock or clock_module.default()
        database = _sqlite_file(engine)  # the gate and the checkpointer: for an SQLite file only
        self._gate = writer_gate(database) if database is not None else None
        self._checkpointed = database
        if database is not None:
            CHECKPOINTER.register(database)
            self._finalizer = weakref.finalize(self, CHECKPOINTER.unregister, database)
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False)
        self._write_engine = engine.execution_options(**{_WRITE_OPTION: True})
        self._write_sessions = sessionmaker(bind=self._write_engine, expire_on_commit=False)
        self._network_cache: tuple[int, Network] | None = None

    @classmethod
    def open(cls, url: str | None = None, *, migrate: bool = True, clock: Clock | None = None) -> Store:
        """Open the database at `url` (default: `default_url()`) and migrate it to heads.

        `clock` is the time the engine and scheduler read through this store (default: the process's,
        `unilink.clock.default()`, the wall clock unless a test froze one).
        """
        engine = make_engine(url or default_url())
        if migrate:
            run_migrations(engine)
        return cls(engine, clock)

    def close(self) -> None:
        if self._checkpointed is not None:
            self._finalizer()  # unregisters, once
            self._checkpointed = None
        self.engine.dispose()
        self._gate = None  # shared by every store of this file in the process (see writer_gate)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """A session that commits when the block ends and rolls back if it raises.

        `write=True` takes the write lock at the start (SQLite): use it for read-then-write work.
        """
        if write and self._gate is not None:
            with self._gate.held(), self._write_sessions() as session, session.begin():
                yield session
        else:
            factory = self._write_sessions if write else self._sessions
            with factory() as session, session.begin():
                yield session
        if write:
            self._after_write()

    @contextmanager
    def connection(self, *, write: bool = False) -> Iterator[Connection]:
        """A Core connection in a transaction that commits when the block ends (rolls back if it
        raises): for work that touches no ORM object, at about half the cost of a session. `write`
        as for `session`."""
        if write and self._gate is not None:
            with self._gate.held(), self._write_engine.begin() as connection:
                yield connection
        else:
            with (self._write_engine if write else self.engine).begin() as connection:
                yield connection
        if write:
            self._after_write()

    def _after_write(self) -> None:
        """Run the checks registered in AFTER_WRITE (the test suite's invariants; none in production)."""
        for check in AFTER_WRITE:
            check(self)

    # -- the backbone network ------------------------------------------------------------------

    def load_network(self) -> Network:
        """The network as saved: same PoPs, routers, links and interconnects, in the same order.

        Cached per topology version: while the version is unchanged (one tiny query, so other
        processes' changes are seen), a copy of the last network read is returned.
        """
        with self.session() as session:
            if self.engine.dialect.name == "postgresql":  # one snapshot for the version and all five tables
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            version = session.execute(select(TopologyRow.version).where(TopologyRow.id == 1)).scalar_one()
            cached = self._network_cache
            if cached is None or cached[0] != version:
                cached = (version, network_repo.load(session))
                self._network_cache = cached
        return _copy(cached[1])

    def replace_network(self, network: Network) -> NetworkChange:
        """Make the saved network exactly `network`, in one transaction (all or nothing).

        Rows are matched by name and updated in place, so unchanged PoPs, routers and links keep
        their ids (other domains' foreign keys point at them).
        """
        network.validate()
        with self.session(write=True) as session:
            return network_repo.sync(session, network)

    def merge_network(self, network: Network) -> NetworkChange:
        """Add `network`'s elements to the saved network; same names replace, others are kept."""
        network.validate()
        with self.session(write=True) as session:
            network_repo.lock_topology(session)  # before reading: a concurrent merge must not be lost
            merged = network_repo.merged(network_repo.load(session), network)
            merged.validate()
            return network_repo.sync(session, merged)

    def topology_version(self) -> int:
        """A number that grows on every change to the network (plans made before it are stale)."""
        with self.session() as session:
            return session.scalars(select(TopologyRow.version).where(TopologyRow.id == 1)).one()
