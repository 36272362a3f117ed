"""Token → principal on every request: fast, and a revocation or an expiry counts at once in every process.

Looking a token up costs two queries, so the principal a token stands for is kept in memory (a token's
role and tenant never change). What does change is whether it is still valid: revoked through another
server process or by a local `unilink token revoke`, deleted, or expired (its `expires_at` passed, or was
moved earlier in the database). So every request asks the database — not revoked, and not expired at
this request's time — as cheaply as it can be asked:
- SQLite: on the event loop itself, on a read-only connection of its own (`SqliteTokenCheck`): ~4 µs
  alone, ~15 µs inside the server (three system calls per read transaction), where SQLAlchemy's pool
  would cost ~200 µs and a thread hop more than the query;
- other databases (a network round trip): in a worker thread, one query answering every request that
  arrived before it started (`LiveTokens`): under load a dozen requests share one query.
Measured cost on the read benchmark: docs/api.md, "Tokens and roles".
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool

from unilink.access import accounts
from unilink.access.ratelimit import TokenBucketLimiter
from unilink.access.security import Principal
from unilink.store import accounts_repo
from unilink.store.db import Store

# How long a principal is kept in memory: it only saves the lookup (validity is asked on every request).
PRINCIPAL_CACHE_S = 300.0
MAX_CACHED = 10_000


def live_prefixes(store: Store, prefixes: Iterable[str], now: datetime | None = None) -> set[str]:
    """Those of `prefixes` whose token still exists, is not revoked and has not expired at `now`."""
    return accounts_repo.live_prefixes(store, prefixes, now or datetime.now(UTC))


class _Batch:
    """The tokens of the requests waiting for the next validity query, and its answer."""

    __slots__ = ("store", "prefixes", "done")

    def __init__(self, store: Store, loop: asyncio.AbstractEventLoop) -> None:
        self.store = store
        self.prefixes: set[str] = set()
        self.done: asyncio.Future[set[str]] = loop.create_future()
        # nobody may be left to read a failure (every waiter cancelled): read it here, no warning
        self.done.add_done_callback(lambda f: f.cancelled() or f.exception())


class LiveTokens:
    """Which tokens are still valid, asked of the database in batches (one query in flight per process).

    A request joins the batch whose query has not started yet; that query starts when the previous one
    has ended. A batch therefore always queries after each of its requests arrived: a revocation
    committed before a request arrived is seen by it, whichever process committed it.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._open: _Batch | None = None
        self._turn = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    async def alive(self, store: Store, prefix: str) -> bool:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # another event loop (a test client started anew): nothing carries over
            self._loop, self._open, self._turn = loop, None, asyncio.Lock()
        batch = self._open
        if batch is None or batch.store is not store:
            batch = self._open = _Batch(store, loop)
            task = loop.create_task(self._query(batch))
            self._tasks.add(task)  # the loop keeps only weak references to tasks
            task.add_done_callback(self._tasks.discard)
        batch.prefixes.add(prefix)
        return prefix in await asyncio.shield(batch.done)  # a client gone must not cancel the others' query

    async def _query(self, batch: _Batch) -> None:
        async with self._turn:
            if self._open is batch:
                self._open = None  # from here on, new requests wait for the next query
            try:
                batch.done.set_result(await run_in_threadpool(live_prefixes, batch.store, batch.prefixes))
            except Exception as exc:  # the waiting requests fail with it (a 500, logged), the next batch retries
                batch.done.set_exception(exc)


class SqliteTokenCheck:
    """The validity query on a plain sqlite3 connection, from the event loop (no pool, no thread hop).

    In WAL mode a reader never waits for a writer, and each statement (autocommit) reads the latest
    commit of any process. Should the file still be busy (a checkpoint truncating the WAL), `alive`
    answers None after a short wait and the caller asks through the thread pool instead.
    """

    # SQLAlchemy stores an SQLite DATETIME as UTC text "YYYY-MM-DD HH:MM:SS.ffffff": compared as text
    QUERY = ("SELECT 1 FROM api_tokens WHERE prefix = ? AND revoked_at IS NULL "
             "AND (expires_at IS NULL OR expires_at > ?)")
    BUSY_TIMEOUT_S = 0.05  # the event loop waits at most this long

    def __init__(self, path: str) -> None:
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                     timeout=self.BUSY_TIMEOUT_S)
        self._conn.execute("PRAGMA query_only = ON")  # this connection only ever reads
        self._lock = threading.Lock()  # one event loop uses it; a second one (tests) must not interleave

    @staticmethod
    def path_of(store: Store) -> str | None:
        """The database file of an SQLite store (None: another database, or no file to open twice)."""
        url = store.engine.url
        database = url.database or ""
        if url.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
            return None
        return database

    def alive(self, prefix: str) -> bool | None:
        try:
            with self._lock:
                return self._conn.execute(self.QUERY, (prefix, self._now_text())).fetchone() is not None
        except sqlite3.Error:
            return None

    _second = -1
    _second_text = ""

    def _now_text(self) -> str:
        """Now as the stored text, rounded up to the next whole second: a token is refused up to a
        second before its expiry, never after it; formatted once a second (it costs more than the query)."""
        second = int(time.time()) + 1
        if second != self._second:
            text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
            self._second, self._second_text = second, text
        return self._second_text

    def close(self) -> None:
        with self._lock:
            self._conn.close()


@dataclass(slots=True)
class _Cached:
    principal: Principal
    until_s: float  # monotonic; never past the token's expiry


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Authenticator:
    """Token → principal: the lookup cached in memory, the token's validity asked on every request."""

    def __init__(self, limiter: TokenBucketLimiter | None) -> None:
        self.limiter = limiter
        self.live = LiveTokens()
        self._sqlite: tuple[Store, SqliteTokenCheck | None] | None = None
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    async def authenticate(self, store: Store, token: str) -> Principal | None:
        """The API's path (on the event loop): a cached principal costs a share of one batched query."""
        key = _key(token)
        cached = self._fresh(key)
        if cached is None:
            return await run_in_threadpool(self._lookup, store, token, key)
        prefix = cached.token_prefix or ""
        inline = self._sqlite_check(store)
        alive = inline.alive(prefix) if inline is not None else None
        if alive is None:
            alive = await self.live.alive(store, prefix)
        if alive:
            return cached
        self._drop(key)
        return None

    def principal(self, store: Store, token: str) -> Principal | None:
        """The same answer from a worker thread (the portal's pages): one query per call when cached."""
        key = _key(token)
        cached = self._fresh(key)
        if cached is None:
            return self._lookup(store, token, key)
        if cached.token_prefix in live_prefixes(store, [cached.token_prefix or ""]):
            return cached
        self._drop(key)
        return None

    def close(self) -> None:
        if self._sqlite is not None and self._sqlite[1] is not None:
            self._sqlite[1].close()
        self._sqlite = None

    def _sqlite_check(self, store: Store) -> SqliteTokenCheck | None:
        """The inline check for this store, opened on first use (None: not an SQLite file)."""
        if self._sqlite is None or self._sqlite[0] is not store:
            self.close()
            path = SqliteTokenCheck.path_of(store)
            self._sqlite = (store, SqliteTokenCheck(path) if path else None)
        return self._sqlite[1]

    def forget(self, prefix: str) -> None:
        """Drop a revoked token's principal from this process's memory (its next use is refused anyway)."""
        with self._lock:
            for key in [k for k, c in self._cache.items() if c.principal.token_prefix == prefix]:
                del self._cache[key]

    def _fresh(self, key: str) -> Principal | None:
        cached = self._cache.get(key)
        return cached.principal if cached is not None and cached.until_s > time.monotonic() else None

    def _drop(self, key: str) -> None:
        with self._lock:
            self._cache.pop(key, None)

    def _lookup(self, store: Store, token: str, key: str) -> Principal | None:
        now = time.monotonic()
        with store.session() as session:
            principal = accounts.principal_for_token(session, token)
            expires = accounts.token_expiry(session, principal.token_prefix) if principal else None
        if principal is None:
            return None
        until = now + PRINCIPAL_CACHE_S
        if expires is not None:  # no use keeping it past its expiry (which every request checks anyway)
            until = min(until, now + max(0.0, expires.timestamp() - time.time()))
        with self._lock:
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
            self._cache[key] = _Cached(principal, until)
        return principal
