"""The FastAPI application: `create_app(store)` wires routes, errors, auth and metrics around a `Store`.

The store is opened lazily (on the first request that needs it) when none is given, so that importing
or building the app never touches a database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from unilink import __version__

if TYPE_CHECKING:
    from unilink.store.db import Store

API_PREFIX = "/api/v1"


class StoreHolder:
    """Opens the default store on first use; tests pass their own store instead."""

    def __init__(self, store: Store | None) -> None:
        self._store = store

    def get(self) -> Store:
        if self._store is None:
            from unilink.store.db import Store  # the store package lands in parallel; import when needed

            self._store = Store.open()
        return self._store


def create_app(store: Store | None = None) -> FastAPI:
    app = FastAPI(
        title="unilink API",
        version=__version__,
        description="Unified connectivity: sites, services, intents, plans and orders on a pan-European backbone.",
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.store_holder = StoreHolder(store)

    @app.get(f"{API_PREFIX}/health", tags=["health"], summary="Liveness of the API")
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": __version__}

    return app
