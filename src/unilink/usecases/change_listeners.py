"""In-process listeners told after a tenant's deployed state changed (committed): the caches of this
process drop their copy at once, whichever entry point made the change (API, portal, CLI, scheduler).

Another process's changes reach them by their own revalidation (e.g. the API's deployed-document
cache checks the revision every 0.25 s); these listeners only make this process read its own writes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Listener = Callable[[Any, str], None]  # (store, tenant)
_LISTENERS: list[Listener] = []


def on_tenant_changed(listener: Listener) -> Listener:
    """Register `listener(store, tenant)` (once; usable as a decorator)."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def tenant_changed(store: Any, tenant: str) -> None:
    for listener in list(_LISTENERS):
        listener(store, tenant)
