"""`unilink token create|list|revoke` and `unilink user create` from the shell."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from unilink.access import accounts
from unilink.cli.main import app
from unilink.store import tenancy
from unilink.store.db import Store


def test_token_lifecycle_from_the_cli(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'unilink.db'}"
    with Store.open(url) as store, store.session(write=True) as session:
        tenancy.add_tenant(session, "acme", "enterprise", "Acme")
    runner = CliRunner()
    created = runner.invoke(app, ["token", "create", "--role", "tenant-admin", "--tenant", "acme", "--json",
                                  "--database", url])
    assert created.exit_code == 0, created.output
    token = json.loads(created.output)
    assert token["token"].startswith(f"ul_{token['prefix']}_") and token["tenant"] == "acme"
    listed = runner.invoke(app, ["token", "list", "--json", "--database", url])
    assert token["prefix"] in listed.output and token["token"] not in listed.output
    with Store.open(url) as store, store.session() as session:
        assert accounts.principal_for_token(session, token["token"]).tenant == "acme"
    assert runner.invoke(app, ["token", "revoke", token["prefix"], "--database", url]).exit_code == 0
    with Store.open(url) as store, store.session() as session:
        assert accounts.principal_for_token(session, token["token"]) is None


def test_bad_role_or_tenant_is_exit_2_naming_the_field(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'unilink.db'}"
    runner = CliRunner()
    bad_role = runner.invoke(app, ["token", "create", "--role", "root", "--json", "--database", url])
    assert bad_role.exit_code == 2 and json.loads(bad_role.output)["field"] == "role"
    no_tenant = runner.invoke(app, ["token", "create", "--role", "tenant-admin", "--tenant", "nobody", "--json",
                                    "--database", url])
    assert no_tenant.exit_code == 2 and json.loads(no_tenant.output)["field"] == "tenant"
    operator_with_tenant = runner.invoke(app, ["token", "create", "--role", "operator-admin", "--tenant", "x",
                                               "--json", "--database", url])
    assert operator_with_tenant.exit_code == 2


def test_user_create_reads_the_password_from_the_environment(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'unilink.db'}"
    result = CliRunner().invoke(app, ["user", "create", "noc", "--role", "operator-viewer", "--json",
                                      "--database", url], env={"UNILINK_PASSWORD": "a long passphrase"})
    assert result.exit_code == 0, result.output
    with Store.open(url) as store, store.session() as session:
        assert accounts.login(session, "noc", "a long passphrase") is not None
        assert accounts.login(session, "noc", "wrong passphrase!") is None


def test_the_export_hint_holds_the_whole_token_on_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'unilink.db'}"
    shown = CliRunner().invoke(app, ["token", "create", "--role", "operator-admin", "--database", url],
                               env={"COLUMNS": "80"})
    assert shown.exit_code == 0, shown.output
    token = shown.stdout.splitlines()[1]
    assert f"use it with: export UNILINK_TOKEN={token}" in shown.stdout.splitlines()
    with Store.open(url) as store, store.session() as session:
        assert accounts.principal_for_token(session, token) is not None  # what was shown signs in
