"""The unit of work a repository runs in, named without importing SQLAlchemy.

Adapters (`access`, `api`, `web`, `cli`, `events`) pass a `Session` from `Store.session()` to the
repositories of `unilink.store` and annotate it with this alias: SQL stays in `store/`.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.orm import Session

Executor = Session | Connection  # a Core write (the audit log) runs on either

__all__ = ["Connection", "Executor", "Session"]
