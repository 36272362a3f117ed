"""Health, OpenAPI, authentication, problem+json errors, rate limiting, metrics, audit."""

from __future__ import annotations

import pytest
from api_fixtures import Api, seed_accounts
from fastapi.testclient import TestClient

from unilink.api.app import create_app
from unilink.store.db import Store


def test_health_reports_the_database(api: Api) -> None:
    response = api.client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_openapi_lists_the_resources(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/health", "/api/v1/pops", "/api/v1/tenants", "/api/v1/tokens", "/api/v1/events/stream"):
        assert path in paths


def test_no_token_is_401_problem_json(api: Api) -> None:
    response = api.client.get("/api/v1/pops")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["status"] == 401 and body["title"] == "Not authenticated" and "token" in body["detail"]


def test_wrong_token_is_401(api: Api) -> None:
    forged = api.tokens["acme-admin"][:-4] + "AAAA"
    assert api.client.get("/api/v1/pops", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    assert api.client.get("/api/v1/pops", headers={"Authorization": "Basic abc"}).status_code == 401


def test_revoked_token_stops_working(api: Api) -> None:
    created = api.post("/api/v1/tokens", "acme-admin", json={"role": "tenant-viewer", "name": "ci"}).json()
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert api.client.get("/api/v1/auth/whoami", headers=headers).json() == {
        "subject": f"token:{created['prefix']}", "role": "tenant-viewer", "tenant": "acme"}
    assert api.delete(f"/api/v1/tokens/{created['prefix']}", "acme-admin").status_code == 200
    assert api.client.get("/api/v1/auth/whoami", headers=headers).status_code == 401


def test_token_is_shown_once_and_stored_hashed(api: Api) -> None:
    created = api.post("/api/v1/tokens", "op-admin", json={"role": "tenant-admin", "tenant": "globex"}).json()
    listed = api.get("/api/v1/tokens", "op-admin").json()
    assert all("token" not in t for t in listed)
    assert created["prefix"] in {t["prefix"] for t in listed}
    with api.store.engine.connect() as conn:
        dump = "\n".join(str(row) for row in conn.exec_driver_sql("SELECT * FROM api_tokens"))
    assert created["token"].split("_", 2)[2] not in dump


def test_unknown_route_is_404_problem(api: Api) -> None:
    response = api.get("/api/v1/nothing-here", "op-admin")
    assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"


def test_validation_error_names_the_field_path(api: Api) -> None:
    response = api.put("/api/v1/pops/Lyon", "op-admin", json={"city": "Lyon", "lat": 123, "lon": 4.8})
    assert response.status_code == 422
    body = response.json()
    assert body["errors"][0]["field"] == "body.lat"
    assert body["errors"][0]["value"] == 123
    assert "90" in body["errors"][0]["accepted"]


def test_domain_error_names_field_value_and_accepted(api: Api) -> None:
    response = api.put("/api/v1/routers/lyon-pe1", "op-admin",
                       json={"pop": "Lyon", "role": "edge", "vendor": "frr", "loopback": "10.255.0.9"})
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "router[lyon-pe1].pop" and body["value"] == "Lyon" and "PoP" in body["accepted"]
    assert "lyon-pe1" not in {r["name"] for r in api.get("/api/v1/routers", "op-admin").json()}


def test_unexpected_error_is_a_generic_500_without_internals(store: Store) -> None:
    app = create_app(store, rate_limit="off", deliver_webhooks=False)

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("SELECT secret FROM users -- internal detail")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "SELECT" not in response.text and "Traceback" not in response.text and "RuntimeError" not in response.text


def test_rate_limit_answers_429_with_retry_after(store: Store) -> None:
    tokens = seed_accounts(store)
    app = create_app(store, rate_limit="1/3", deliver_webhooks=False)
    headers = {"Authorization": f"Bearer {tokens['acme-viewer']}"}
    other = {"Authorization": f"Bearer {tokens['globex-admin']}"}
    with TestClient(app, raise_server_exceptions=False) as client:
        statuses = [client.get("/api/v1/auth/whoami", headers=headers).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = client.get("/api/v1/auth/whoami", headers=headers)
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.headers["content-type"] == "application/problem+json"
        assert client.get("/api/v1/auth/whoami", headers=other).status_code == 200  # per token


def test_metrics_count_requests_by_route(api: Api) -> None:
    api.get("/api/v1/pops", "acme-viewer")
    text = api.client.get("/metrics").text
    assert 'unilink_http_requests_total{method="GET",route="/api/v1/pops",status="200"}' in text


def test_every_write_is_audited_with_who_what_where(api: Api) -> None:
    api.put("/api/v1/pops/Lyon", "op-admin", json={"city": "Lyon", "country": "FR", "lat": 45.76, "lon": 4.83})
    api.post("/api/v1/tokens", "acme-viewer", json={"role": "tenant-viewer"})  # refused: still audited
    log = api.get("/api/v1/audit", "op-admin").json()
    refused, put = log[0], log[1]
    assert put["action"] == "PUT /api/v1/pops/{name}" and put["status"] == 200 and put["role"] == "operator-admin"
    assert put["path"] == "/api/v1/pops/Lyon" and put["client"].startswith("testclient")
    assert refused["status"] == 403 and refused["tenant"] == "acme" and refused["role"] == "tenant-viewer"
    # a tenant sees its own audit records only
    assert {r["tenant"] for r in api.get("/api/v1/audit", "acme-admin").json()} == {"acme"}


def test_login_with_password_gives_a_token(api: Api) -> None:
    created = api.post("/api/v1/users", "acme-admin",
                       json={"username": "alice", "password": "a long passphrase", "role": "tenant-viewer"})
    assert created.status_code == 201, created.text
    login = api.client.post("/api/v1/auth/login",
                            json={"tenant": "acme", "username": "alice", "password": "a long passphrase"})
    assert login.status_code == 201
    me = api.client.get("/api/v1/auth/whoami", headers={"Authorization": f"Bearer {login.json()['token']}"})
    assert me.json()["tenant"] == "acme" and me.json()["role"] == "tenant-viewer"
    bad = api.client.post("/api/v1/auth/login",
                          json={"tenant": "acme", "username": "alice", "password": "wrong password!"})
    assert bad.status_code == 401
    with api.store.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT password_hash FROM users WHERE username='alice'").scalar()
    assert stored.startswith("$argon2id$")


def test_disabling_a_user_ends_its_sessions_at_once(api: Api) -> None:
    api.post("/api/v1/users", "acme-admin",
             json={"username": "bob", "password": "a long passphrase", "role": "tenant-viewer"}).raise_for_status()
    session = api.client.post("/api/v1/auth/login", json={"tenant": "acme", "username": "bob",
                                                                 "password": "a long passphrase"})
    bearer = {"Authorization": f"Bearer {session.json()['token']}"}
    assert api.client.get("/api/v1/auth/whoami", headers=bearer).status_code == 200
    assert api.client.delete("/api/v1/users/bob", headers=api.headers("village-manager")).status_code == 404
    disabled = api.client.delete("/api/v1/users/bob", headers=api.headers("acme-admin"))
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert api.client.get("/api/v1/auth/whoami", headers=bearer).status_code == 401  # the next request
    again = api.client.post("/api/v1/auth/login", json={"tenant": "acme", "username": "bob",
                                                                 "password": "a long passphrase"})
    assert again.status_code == 401
    listed = api.client.get("/api/v1/users", headers=api.headers("acme-admin")).json()
    assert {u["username"]: u["disabled"] for u in listed}["bob"] is True  # kept, for the audit log
    audit = api.client.get("/api/v1/audit", headers=api.headers("acme-admin")).json()
    assert any(a["method"] == "DELETE" and a["path"] == "/api/v1/users/bob" and a["status"] == 200 for a in audit)


@pytest.mark.parametrize(("page", "assets"), [("/docs", ("swagger-ui-bundle.js", "swagger-ui.css")),
                                              ("/redoc", ("redoc.standalone.js",))])
def test_the_api_documentation_pages_need_no_cdn(api: Api, page: str, assets: tuple[str, ...]) -> None:
    html = api.client.get(page)
    assert html.status_code == 200 and "/openapi.json" in html.text
    assert "cdn" not in html.text and "fonts.googleapis" not in html.text
    for asset in assets:
        assert f'"/docs-assets/{asset}"' in html.text
        served = api.client.get(f"/docs-assets/{asset}")
        assert served.status_code == 200 and len(served.content) > 100_000  # the real bundle, not a stub
