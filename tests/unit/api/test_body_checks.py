"""Bodies that Python's json reads and JSON does not allow, and bodies over their endpoint's limit.

NaN, Infinity, 1e999 and lone surrogates in any JSON body are 422 naming the field (never a 500, never a
traceback in the log); a body over its limit is 413 before it is parsed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from api_fixtures import Api
from fastapi.testclient import TestClient

from unilink.api.app import create_app
from unilink.api.bodies import BODY_LIMITS_ENV, BodyLimits, json_problems
from unilink.errors import ValidationError

BAD = "__BAD__"  # where the raw value goes in the body's JSON text

# (method, path, caller or None, body with BAD at one place, the field's path)
ENDPOINTS: dict[str, tuple[str, str, str | None, dict[str, Any], str]] = {
    "login": ("POST", "/api/v1/auth/login", None, {"username": "alice", "password": BAD}, "body.password"),
    "token": ("POST", "/api/v1/tokens", "acme-admin", {"role": "tenant-viewer", "name": BAD}, "body.name"),
    "user": ("POST", "/api/v1/users", "acme-admin", {"username": "bob", "role": "tenant-viewer",
                                                     "display_name": BAD}, "body.display_name"),
    "webhook": ("POST", "/api/v1/webhooks", "acme-admin", {"url": "http://127.0.0.1:9/x", "secret": BAD},
                "body.secret"),
    "pop": ("PUT", "/api/v1/pops/Lyon", "op-admin", {"city": "Lyon", "country": "FR", "lat": BAD, "lon": 4.8},
            "body.lat"),
    "path": ("POST", "/api/v1/paths", "op-admin", {"src": "Paris", "dst": "London", "bps": BAD}, "body.bps"),
    "plan": ("POST", "/api/v1/plans", "acme-admin",
             {"sites": [{"name": "hq", "pop": "Paris", "access": {"technology": "ftth", "port": "1G",
                                                                  "down": BAD, "up": "100M"}}], "services": []},
             "body.sites[0].access.down"),
    "intent": ("PUT", "/api/v1/intent", "acme-admin", {"sites": [], "services": [], "boosts": [BAD]},
               "body.boosts[0]"),
}

RAW_VALUES = {
    "NaN": b"NaN", "Infinity": b"Infinity", "-Infinity": b"-Infinity", "1e999": b"1e999", "-1E+999": b"-1E+999",
    "lone high surrogate": b'"\\ud800"', "lone low surrogate": b'"x\\uDFFFy"',
    "raw surrogate bytes": b'"\xed\xa0\x80"', "huge integer": b"1" * 120,
}


def _body(template: dict[str, Any], raw: bytes) -> bytes:
    return json.dumps(template).replace(f'"{BAD}"', "\x00").encode().replace(b"\x00", raw)


def _send(api: Api, endpoint: str, content: bytes, **headers: str) -> Any:
    method, path, who, _, _ = ENDPOINTS[endpoint]
    auth = api.headers(who) if who else {}
    return api.client.request(method, path, content=content,
                              headers={"content-type": "application/json", **auth, **headers})


@pytest.mark.parametrize("raw", RAW_VALUES)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_values_json_does_not_allow_are_422_naming_the_field(api: Api, endpoint: str, raw: str,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    _, _, _, template, field = ENDPOINTS[endpoint]
    response = _send(api, endpoint, _body(template, RAW_VALUES[raw]))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"][0]["field"] == field and problem["field"] == field
    assert problem["detail"].startswith(field + ":")
    assert problem["errors"][0]["accepted"]
    assert "Traceback" not in response.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info], "a traceback was logged"


def test_a_body_that_is_not_utf8_is_422(api: Api) -> None:
    response = _send(api, "login", b'{"username": "al\xffce", "password": "x"}')
    assert response.status_code == 422 and response.json()["field"] == "body"
    assert "UTF-8" in response.json()["errors"][0]["accepted"]


def test_valid_bodies_that_look_suspect_pass(api: Api) -> None:
    """Surrogate pairs (an emoji, \\u-escaped), the word NaN in a string, 1e100 in a float field."""
    ok = _send(api, "login", json.dumps({"username": "NaN-Infinity", "password": "\U0001F600 1e999"}).encode())
    assert ok.status_code == 401  # parsed and checked: only the password was wrong
    assert json_problems(b'{"name": "\\ud83d\\ude00", "lat": 1e100, "n": 12345678901234567890}') == []
    created = _send(api, "token", json.dumps({"role": "tenant-viewer", "name": "ci NaN"}).encode())
    assert created.status_code == 201


def test_nested_keys_and_lists_are_named() -> None:
    problems = json_problems(b'{"a": [1, {"b": [0, NaN]}], "c": {"\\udc00": 1}}')
    assert [p["field"] for p in problems] == ["body.a[1].b[1]", "body.c.\\udc00"]


# -- size limits -------------------------------------------------------------------------------------

LIMITS = BodyLimits()
KIND_OF = {"login": LIMITS.login, "token": LIMITS.accounts, "user": LIMITS.accounts, "webhook": LIMITS.default,
           "pop": LIMITS.default, "path": LIMITS.default, "plan": LIMITS.intent, "intent": LIMITS.intent}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_body_over_its_endpoints_limit_is_413(api: Api, endpoint: str) -> None:
    limit = KIND_OF[endpoint]
    _, _, _, template, _ = ENDPOINTS[endpoint]
    padding = b" " * (limit + 1)  # valid JSON, just too long
    response = _send(api, endpoint, _body(template, b'"x"') + padding)
    assert response.status_code == 413, response.text
    problem = response.json()
    assert problem["title"] == "Payload too large" and problem["accepted"].startswith(f"at most {limit} bytes")
    # one byte under is parsed as usual (refused or not for what it says, never for its size)
    fits = _body(template, b'"x"')
    assert _send(api, endpoint, fits + b" " * (limit - len(fits))).status_code != 413


def test_a_chunked_body_is_cut_at_the_limit(api: Api) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"username": "alice", "password": "'
        for _ in range(100):
            yield b"x" * 1000
        yield b'"}'

    response = api.client.post("/api/v1/auth/login", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["value"] is None  # no Content-Length was sent: counted while read


def test_login_limit_is_small_and_the_intent_limit_holds_the_largest_valid_intent() -> None:
    """IntentDocument allows 10,000 sites and 10,000 services: such a document, every name at its
    64-character maximum and every site with a backup line, fits the intent limit."""
    assert LIMITS.login <= 4096 and LIMITS.accounts <= 4096
    name = "n" * 60
    sites = [{"name": f"{name}{i:04d}", "pop": "P" * 64, "router": "r" * 64,
              "access": {"technology": "fibre", "provider": "p" * 64, "port": "10G", "down": "10G", "up": "10G"},
              "backup": {"technology": "5g", "provider": "p" * 64, "port": "300M", "down": "300M", "up": "50M"}}
             for i in range(10_000)]
    services = [{"kind": "internet", "name": f"{name}{i:04d}", "site": f"{name}{i:04d}", "rate": "1G", "up": "1G"}
                for i in range(10_000)]
    size = len(json.dumps({"tenant": "t" * 64, "sites": sites, "services": services}, separators=(",", ":")))
    assert size < LIMITS.intent, (size, LIMITS.intent)
    assert LIMITS.intent < 2 * size  # sized to it, not unbounded


def test_limits_are_configurable(api_template: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert BodyLimits.parse("login=300, intent=1048576") == BodyLimits(login=300, intent=1048576)
    assert BodyLimits.parse("") == BodyLimits()
    for bad in ("login=abc", "nothing=300", "login=10", "login"):
        with pytest.raises(ValidationError) as refused:
            BodyLimits.parse(bad)
        assert refused.value.field == BODY_LIMITS_ENV and "login=4096" in (refused.value.accepted or "")
    monkeypatch.setenv(BODY_LIMITS_ENV, "login=300")
    app = create_app(None, rate_limit="off", deliver_webhooks=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        body = json.dumps({"username": "alice", "password": "p" * 300}).encode()
        response = client.post("/api/v1/auth/login", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413 and "at most 300 bytes" in response.json()["accepted"]
