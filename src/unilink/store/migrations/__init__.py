"""Alembic migrations of unilink, run in code by `unilink.store.db.Store.open` (no alembic.ini)."""
