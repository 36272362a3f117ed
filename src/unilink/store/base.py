"""The declarative base every table of unilink derives from.

Constraint names follow one convention so that migrations can name (and later drop or alter) them
on every backend: SQLite needs explicit names for batch ALTERs, PostgreSQL would otherwise invent
its own. Tables of every domain live in `unilink.store.tables.<domain>` and share this metadata.
"""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
