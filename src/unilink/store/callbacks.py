"""What other domains register with the store at start-up, so that the store never imports them.

- removal guards: `(session, removal) -> list[str]`, one description per live use a network save
  would break (store.network_repo.check_removal refuses the save when any answers);
- seed steps: `(store, force) -> str`, run by store.seed in the order of its STEPS.

The engine registers its own in `unilink.engine.wiring` (run when `unilink.engine` is imported).
Registering the same function twice is a no-op.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

RemovalGuardFn = Callable[[Any, Any], list[str]]
SeedStepFn = Callable[[Any, bool], str]

_REMOVAL_GUARDS: list[RemovalGuardFn] = []
_SEED_STEPS: dict[str, SeedStepFn] = {}


def register_removal_guard(guard: RemovalGuardFn) -> None:
    if guard not in _REMOVAL_GUARDS:
        _REMOVAL_GUARDS.append(guard)


def removal_guards() -> tuple[RemovalGuardFn, ...]:
    return tuple(_REMOVAL_GUARDS)


def register_seed_step(name: str, step: SeedStepFn) -> None:
    _SEED_STEPS[name] = step


def seed_step(name: str) -> SeedStepFn | None:
    return _SEED_STEPS.get(name)
