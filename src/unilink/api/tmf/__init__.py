"""The TM Forum Open APIs on unilink's own model: TMF641 Service Ordering, TMF638 Service Inventory and
TMF633 Service Catalog (v4), at the specs' basePaths, with their event hubs (docs/tmf.md).

Adapters only: each route translates the request and calls the use cases the native API calls
(`usecases.tmf_orders`, `usecases.tmf_hubs`, `usecases.tenant_views`); the translation itself is
pure (`services.tmf_mapping`). The routers are left out of /openapi.json (their contract is the
official TMF documents, not ours); `tests/integration/tmf/` holds them to it.
"""

from __future__ import annotations

from fastapi import FastAPI


def mount(app: FastAPI) -> None:
    """Mount the three TMF routers on `app`."""
    from unilink.api.tmf import catalog, inventory, ordering

    for module in (ordering, inventory, catalog):
        app.include_router(module.router, include_in_schema=False)
