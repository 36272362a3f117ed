"""Pure parts of the store: URL choice, merge semantics, bad URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from unilink.errors import ValidationError
from unilink.inventory.model import Network, Pop
from unilink.store.db import default_url, make_engine, migration_heads
from unilink.store.network_repo import merged


def test_default_url_is_sqlite_under_var_of_the_working_directory(monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    monkeypatch.delenv("UNILINK_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    assert default_url() == f"sqlite:///{tmp_path}/var/unilink.db"
    monkeypatch.setenv("UNILINK_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    assert default_url() == "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.mark.parametrize("url", ["not a url", "mysql://u@h/db"])
def test_bad_database_url_is_a_validation_error_naming_it(url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        make_engine(url)
    assert caught.value.field == "database_url" and caught.value.value == url
    assert "sqlite:///" in (caught.value.accepted or "")


def test_every_migration_branch_grows_from_0001() -> None:
    """Contract: each domain's migration is its own branch off 0001; upgrades go to every head."""
    from alembic.script import ScriptDirectory

    from unilink.store.db import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config())
    assert scripts.get_bases() == ["0001"]
    for head in migration_heads():
        assert "0001" in {rev.revision for rev in scripts.iterate_revisions(head, "base")}


def pop(name: str, lat: float = 1.0) -> Pop:
    return Pop(name, name, "FR", lat, 2.0)


def test_merge_replaces_by_name_in_place_and_appends_new() -> None:
    current = Network(name="current", pops=[pop("A"), pop("B"), pop("C")])
    incoming = Network(name="incoming", pops=[pop("D"), pop("B", lat=9.0)])
    result = merged(current, incoming)
    assert [p.name for p in result.pops] == ["A", "B", "C", "D"]
    assert result.pops[1].lat == 9.0
    assert result.name == "current"


def test_merge_into_nothing_takes_the_incoming_name() -> None:
    assert merged(Network(name="network"), Network(name="incoming", pops=[pop("A")])).name == "incoming"


@pytest.mark.parametrize("url", ["postgresql://postgres@127.0.0.1:5432/test", "postgres://u@h/db"])
def test_plain_postgresql_url_uses_psycopg3(url: str) -> None:
    engine = make_engine(url)  # no connection is made here
    assert engine.url.drivername == "postgresql+psycopg"
    engine.dispose()
