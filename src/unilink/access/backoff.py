"""Per-account back-off of password logins: after `FREE_FAILURES` failed attempts on one account, the
account refuses every login — the right password too — for `BASE_LOCK_S`, doubling with each further
failure up to `MAX_LOCK_S`. A successful login clears the count; so does a day without failures.

The account is the (tenant, username) asked for, whether or not such a user exists: an unknown name
backs off exactly like a known one, so the answers (401, then 429 with Retry-After) never tell which
names exist. An attempt counts as failed from its start until it succeeds, so that parallel guesses
cannot all slip in before the first failure is recorded.

Kept in memory per server process (like the per-address rate limit in front of it): with N worker
processes an attacker gets N times the attempts, still bounded by the doubling locks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

FREE_FAILURES = 5
BASE_LOCK_S = 30.0
MAX_LOCK_S = 15 * 60.0
FORGET_AFTER_S = 24 * 3600.0
MAX_ACCOUNTS = 100_000


@dataclass(slots=True)
class _Account:
    failures: int = 0
    locked_until: float = 0.0
    last_s: float = 0.0


class LoginBackoff:
    def __init__(self, clock: Callable[[], float] = time.monotonic, *, free_failures: int = FREE_FAILURES,
                 base_lock_s: float = BASE_LOCK_S, max_lock_s: float = MAX_LOCK_S) -> None:
        self._clock = clock
        self.free_failures, self.base_lock_s, self.max_lock_s = free_failures, base_lock_s, max_lock_s
        self._accounts: dict[tuple[str, str], _Account] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(tenant: str | None, username: str) -> tuple[str, str]:
        return (tenant or "", username.strip().casefold())

    def attempt(self, key: tuple[str, str]) -> float:
        """0.0: go ahead (the attempt counts as failed until `succeeded`); else seconds until allowed."""
        now = self._clock()
        with self._lock:
            account = self._accounts.get(key)
            if account is None or now - account.last_s > FORGET_AFTER_S:
                if account is None and len(self._accounts) >= MAX_ACCOUNTS:
                    self._prune(now)
                account = self._accounts[key] = _Account()
            if account.locked_until > now:
                return account.locked_until - now
            account.failures += 1
            account.last_s = now
            beyond = account.failures - self.free_failures
            if beyond >= 0:
                account.locked_until = now + min(self.max_lock_s, self.base_lock_s * 2 ** beyond)
            return 0.0

    def succeeded(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._accounts.pop(key, None)

    def _prune(self, now: float) -> None:
        for k in [k for k, a in self._accounts.items() if a.locked_until <= now]:
            del self._accounts[k]
        if len(self._accounts) >= MAX_ACCOUNTS:  # every account locked: a flood; start over
            self._accounts.clear()
