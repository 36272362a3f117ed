"""The engine's callbacks, registered with the store at start-up (when `unilink.engine` is imported):
the store calls them without importing the engine (store.callbacks)."""

from __future__ import annotations

from unilink.store import callbacks


def register_with_store() -> None:
    from unilink.engine.guards import services_in_use
    from unilink.engine.seeding import seed_service_intents

    callbacks.register_removal_guard(services_in_use)
    callbacks.register_seed_step("service intents", seed_service_intents)
