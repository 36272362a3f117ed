"""The declarative base every table of unilink derives from.

Constraint names follow one convention so that migrations can name (and later drop or alter) them
on every backend: SQLite needs explicit names for batch ALTERs, PostgreSQL would otherwise invent
its own. Tables of every domain live in `unilink.store.tables.<domain>` and share this metadata.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """A moment in UTC, given back aware on every backend.

    PostgreSQL keeps the zone (timestamptz); SQLite has no type for it and gives back naive values,
    which compare wrongly with the aware ones the code makes. Every time column is this type, so no
    reader has to mend what it gets from the store.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value  # type: ignore[no-any-return]
        return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
