"""Login and accounts: per-account back-off (the right password refused too, unknown names alike),
usernames per tenant (creating one tells nothing of other tenants), token expiry checked on every
request, no-store on responses that carry a secret, forwarded addresses only from trusted proxies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from api_fixtures import Api
from fastapi.testclient import TestClient
from sqlalchemy import update

from unilink.access import accounts
from unilink.access.authn import live_prefixes
from unilink.access.backoff import BASE_LOCK_S, FREE_FAILURES, LoginBackoff
from unilink.access.ratelimit import TokenBucketLimiter
from unilink.api.app import create_app
from unilink.api.proxies import TRUSTED_PROXIES_ENV, TrustedProxies
from unilink.errors import ValidationError
from unilink.store.tables.auth import ApiTokenRow

PASSWORD = "a long passphrase"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(api: Api) -> Clock:
    clock = Clock()
    api.client.app.state.login_backoff = LoginBackoff(clock=clock)
    # the per-address limit (2/s, bursts of 10) is another guard: out of the way of these stories
    api.client.app.state.login_limiter = TokenBucketLimiter(rate_per_s=1000, burst=1000)
    return clock


def _login(api: Api, username: str, password: str, tenant: str | None = "acme") -> Any:
    body = {"username": username, "password": password, **({"tenant": tenant} if tenant else {})}
    return api.client.post("/api/v1/auth/login", json=body)


def _user(api: Api, who: str, username: str) -> Any:
    return api.post("/api/v1/users", who, json={"username": username, "password": PASSWORD, "role": "tenant-viewer"})


# -- per-account back-off ----------------------------------------------------------------------------

def test_after_repeated_failures_the_right_password_is_refused_until_the_back_off_ends(api: Api,
                                                                                      clock: Clock) -> None:
    assert _user(api, "acme-admin", "alice").status_code == 201
    for _ in range(FREE_FAILURES):
        assert _login(api, "alice", "wrong password!").status_code == 401
    refused = _login(api, "alice", PASSWORD)
    assert refused.status_code == 429 and "try again later" in refused.json()["detail"]
    assert int(refused.headers["retry-after"]) == BASE_LOCK_S
    clock.now += BASE_LOCK_S - 1
    assert _login(api, "alice", PASSWORD).status_code == 429  # still backed off
    clock.now += 1
    assert _login(api, "alice", PASSWORD).status_code == 201  # over: and the count starts again
    assert _login(api, "alice", "wrong password!").status_code == 401


def test_each_further_failure_doubles_the_back_off(api: Api, clock: Clock) -> None:
    _user(api, "acme-admin", "alice")
    for _ in range(FREE_FAILURES):
        _login(api, "alice", "wrong password!")
    waits = []
    for _ in range(3):
        clock.now += 3600
        assert _login(api, "alice", "wrong password!").status_code == 401  # allowed once, failed
        waits.append(int(_login(api, "alice", PASSWORD).headers["retry-after"]))
    assert waits == [2 * BASE_LOCK_S, 4 * BASE_LOCK_S, 8 * BASE_LOCK_S]


def test_an_unknown_account_answers_exactly_like_a_known_one(api: Api, clock: Clock) -> None:
    _user(api, "acme-admin", "alice")

    def story(username: str, tenant: str) -> list[tuple[int, str, str | None]]:
        answers = []
        for password in ["wrong password!"] * FREE_FAILURES + [PASSWORD, PASSWORD]:
            response = _login(api, username, password, tenant)
            answers.append((response.status_code, response.text, response.headers.get("retry-after")))
        return answers

    known = story("alice", "acme")
    assert [status for status, _, _ in known] == [401] * FREE_FAILURES + [429, 429]
    assert story("nobody", "acme") == known  # no such user
    assert story("alice", "no-such-tenant") == known  # no such tenant


def test_parallel_guesses_cannot_slip_in_before_a_failure_is_counted() -> None:
    backoff = LoginBackoff(clock=Clock())
    key = LoginBackoff.key("acme", "Alice ")
    assert key == LoginBackoff.key("acme", "alice")
    # FREE_FAILURES attempts start (none has failed yet): the next is refused all the same
    assert [backoff.attempt(key) for _ in range(FREE_FAILURES)] == [0.0] * FREE_FAILURES
    assert backoff.attempt(key) == BASE_LOCK_S


# -- usernames per tenant ----------------------------------------------------------------------------

def test_a_name_used_in_another_tenant_neither_stops_nor_shows_in_a_creation(api: Api) -> None:
    assert _user(api, "acme-admin", "alice").status_code == 201
    # before: 422 "username already taken" — globex learnt that some tenant has an alice
    created = _user(api, "globex-admin", "alice")
    assert created.status_code == 201 and created.json()["tenant"] == "globex"
    again = _user(api, "acme-admin", "alice")  # within one tenant, a name is unique: its admin sees its users
    assert again.status_code == 422 and again.json()["field"] == "username"
    assert "tenant acme already has" in again.json()["detail"] and "globex" not in again.text
    acme_token = _login(api, "alice", PASSWORD, "acme").json()["token"]
    globex_token = _login(api, "alice", PASSWORD, "globex").json()["token"]
    whoami = [api.client.get("/api/v1/auth/whoami", headers={"Authorization": f"Bearer {t}"}).json()["tenant"]
              for t in (acme_token, globex_token)]
    assert whoami == ["acme", "globex"]
    assert _login(api, "alice", PASSWORD, None).status_code == 401  # without a tenant: an operator name


def test_operators_name_the_tenant_when_a_name_is_in_several(api: Api) -> None:
    _user(api, "acme-admin", "alice")
    _user(api, "globex-admin", "alice")
    ambiguous = api.delete("/api/v1/users/alice", "op-admin")
    assert ambiguous.status_code == 422 and ambiguous.json()["field"] == "tenant"
    assert "acme" in ambiguous.json()["accepted"] and "globex" in ambiguous.json()["accepted"]
    assert api.delete("/api/v1/users/alice", "globex-admin").json()["tenant"] == "globex"  # its own
    assert api.delete("/api/v1/users/alice?tenant=acme", "op-admin").json()["tenant"] == "acme"
    assert api.delete("/api/v1/users/alice?tenant=acme", "globex-admin").status_code == 404


def test_operator_users_are_unique_among_operators(api: Api) -> None:
    noc = {"username": "noc", "password": PASSWORD, "role": "operator-viewer"}
    assert api.post("/api/v1/users", "op-admin", json=noc).status_code == 201
    assert api.post("/api/v1/users", "op-admin", json=noc).status_code == 422
    assert _user(api, "acme-admin", "noc").status_code == 201  # a tenant's noc is another user
    assert _login(api, "noc", PASSWORD, None).json()["role"] == "operator-viewer"


# -- token expiry, every request ---------------------------------------------------------------------

def test_an_expiry_moved_earlier_counts_at_the_next_request(api: Api) -> None:
    with api.store.session(write=True) as session:
        minted, info = accounts.create_token(session, role="tenant-viewer", tenant="acme", ttl=timedelta(hours=1))
    bearer = {"Authorization": f"Bearer {minted.token}"}
    assert api.client.get("/api/v1/auth/whoami", headers=bearer).status_code == 200  # now kept in memory
    with api.store.session(write=True) as session:  # expired from elsewhere (another process, an admin)
        session.execute(update(ApiTokenRow).where(ApiTokenRow.prefix == info.prefix)
                        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert api.client.get("/api/v1/auth/whoami", headers=bearer).status_code == 401
    authenticator = api.client.app.state.authenticator
    assert authenticator.principal(api.store, minted.token) is None  # the portal's path too


def test_the_validity_query_checks_expiry_at_the_time_given(api: Api) -> None:
    with api.store.session(write=True) as session:
        _, info = accounts.create_token(session, role="tenant-viewer", tenant="acme", ttl=timedelta(hours=1))
    now = datetime.now(UTC)
    assert live_prefixes(api.store, [info.prefix], now) == {info.prefix}
    assert live_prefixes(api.store, [info.prefix], now + timedelta(hours=2)) == set()


# -- no-store on secrets -----------------------------------------------------------------------------

def test_responses_that_carry_a_secret_are_not_stored(api: Api) -> None:
    _user(api, "acme-admin", "alice")
    for response in (_login(api, "alice", PASSWORD),
                     api.post("/api/v1/tokens", "acme-admin", json={"role": "tenant-viewer", "name": "ci"}),
                     _user(api, "acme-admin", "bob")):
        assert response.status_code == 201, response.text
        assert response.headers["cache-control"] == "no-store"
    signed_in = api.client.post("/portal/sign-in", data={"tenant": "acme", "username": "alice", "password": PASSWORD},
                                follow_redirects=False)
    assert signed_in.status_code == 303 and "no-store" in signed_in.headers["cache-control"]


# -- forwarded addresses -----------------------------------------------------------------------------

def test_forwarded_for_is_read_only_from_trusted_proxies() -> None:
    none = TrustedProxies.parse("")
    assert none.client("127.0.0.1", "203.0.113.7") == "127.0.0.1"  # the default: the header is ignored
    local = TrustedProxies.parse("127.0.0.1, 10.0.0.0/24")
    assert local.client("127.0.0.1", "203.0.113.7") == "203.0.113.7"
    # the client may write its own X-Forwarded-For: the right-most address a trusted proxy did not add counts
    assert local.client("127.0.0.1", "198.51.100.1, 203.0.113.7, 10.0.0.5") == "203.0.113.7"
    assert local.client("192.0.2.9", "203.0.113.7") == "192.0.2.9"  # not from a trusted proxy
    assert local.client("127.0.0.1", "not-an-address") == "127.0.0.1"
    assert local.client("127.0.0.1", "[2001:db8::1]:4711") == "[2001:db8::1]:4711"
    with pytest.raises(ValidationError) as bad:
        TrustedProxies.parse("127.0.0.1, proxy.example")
    assert bad.value.field == TRUSTED_PROXIES_ENV and bad.value.value == "proxy.example"


def test_create_app_reads_the_trusted_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TRUSTED_PROXIES_ENV, "not an address")
    with pytest.raises(ValidationError):
        create_app(None, rate_limit="off", deliver_webhooks=False)
    monkeypatch.setenv(TRUSTED_PROXIES_ENV, "127.0.0.1")
    with TestClient(create_app(None, rate_limit="off", deliver_webhooks=False)):
        pass
