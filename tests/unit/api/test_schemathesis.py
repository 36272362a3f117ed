"""Property-based tests from the app's own OpenAPI document (schemathesis): whatever a client sends,
the server never answers 5xx, every answer's status and content type are documented and its body
matches the documented schema, and input the schema forbids is refused.

Bounded: a few examples per operation, no shrinking. The SSE stream is asked with `follow=false`
(otherwise it never ends, by design).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from api_fixtures import seed_accounts, seed_engine_objects, seed_objects, small_network
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from unilink.api.app import create_app
from unilink.store.db import Store

# Minutes, not seconds: CI runs it, `make test FAST=1` skips it.
pytestmark = pytest.mark.slow

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]
TOKENS: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('schemathesis') / 'unilink.db'}")
    store.replace_network(small_network())
    TOKENS.update(seed_accounts(store))
    seed_engine_objects(store, seed_objects(store))
    app = create_app(store, rate_limit="off", deliver_webhooks=False)
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    store.close()


schema = schemathesis.pytest.from_fixture("api_schema")


def _bounded(case: schemathesis.Case) -> schemathesis.Case:
    if case.operation.path == "/api/v1/events/stream":
        case.query = {**(case.query or {}), "follow": "false"}
    return case


@schema.parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
          phases=[Phase.explicit, Phase.generate])
def test_api_as_operator_admin(case: schemathesis.Case) -> None:
    _bounded(case).call_and_validate(headers={"Authorization": f"Bearer {TOKENS['op-admin']}"}, checks=CHECKS)


@schema.parametrize()
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
          phases=[Phase.explicit, Phase.generate])
def test_api_as_tenant_admin(case: schemathesis.Case) -> None:
    _bounded(case).call_and_validate(headers={"Authorization": f"Bearer {TOKENS['acme-admin']}"}, checks=CHECKS)
