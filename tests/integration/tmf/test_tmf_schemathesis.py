"""Property-based tests from TM Forum's *official* documents (schemathesis), pointed at our app: whatever a
client sends to the operations we implement, no 5xx, every status documented, every body valid
against the official schema.

The documents are Swagger 2.0, which schemathesis reads as it is (`basePath` gives the paths): no
conversion. The reads run every check, including negative data (a bad offset must be refused); the
writes (create a service order, a cancellation, a hub registration) with generated bodies must never
fail with a 5xx nor answer outside the spec. Operations we do not implement (POST/PATCH/DELETE of
TMF638 services, TMF633 writes, import/export jobs, the client-side /listener paths) are excluded.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tmf_helpers import INVENTORY, ORDERING, TmfApi, access_item, rate_item, spec

from unilink.api.app import create_app
from unilink.store.db import Store

pytestmark = pytest.mark.slow
READ_CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
               response_headers_conformance, negative_data_rejection]
WRITE_CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
READS = {"TMF641": ["listServiceOrder", "retrieveServiceOrder", "listCancelServiceOrder", "retrieveCancelServiceOrder"],
         "TMF638": ["listService", "retrieveService"],
         "TMF633": ["listServiceSpecification", "retrieveServiceSpecification", "listServiceCatalog",
                    "retrieveServiceCatalog"]}
WRITES = {"TMF641": ["createServiceOrder", "createCancelServiceOrder", "registerListener"]}
STATE: dict[str, object] = {}
# schemathesis's "coverage" phase enumerates boundary cases of every schema up front: on TM Forum's
# recursive definitions (an item holds items, a service services) it does not end in minutes. The
# hypothesis phases (explicit examples, generation) cover the operations instead.
CONFIG = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})


@pytest.fixture(scope="module")
def app(tmf_template: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    template, tokens = tmf_template
    path = tmp_path_factory.mktemp("tmf-schemathesis") / "unilink.db"
    shutil.copyfile(template, path)
    store = Store.open(f"sqlite:///{path}", migrate=False)
    application = create_app(store, rate_limit="off", deliver_webhooks=False, webhook_allow="127.0.0.1")
    with TestClient(application) as client:  # orders of every state for the reads to meet
        api = TmfApi(client, store, tokens)
        eline = api.call("GET", f"{INVENTORY}/service", "buyer",
                         params={"name": "oslo-handoff-hamburg-handoff"}).json()[0]["id"]
        api.call("POST", f"{ORDERING}/serviceOrder", "buyer",
                 json={"serviceOrderItem": [rate_item("1", eline, "1.2G")]})
        held = api.call("POST", f"{ORDERING}/serviceOrder", "buyer",
                        json={"serviceOrderItem": [access_item("1", "berlin-pop", "Hamburg")]}).json()
        api.call("POST", f"{ORDERING}/cancelServiceOrder", "buyer", json={"serviceOrder": {"id": held["id"]}})
    STATE["tokens"] = tokens
    yield application
    store.close()


def _schema(api: str, operations: dict[str, list[str]]) -> schemathesis.BaseSchema:
    def loaded(app: object) -> schemathesis.BaseSchema:
        schema = schemathesis.openapi.from_dict(spec(api), config=CONFIG)
        schema.app = app
        return schema
    return loaded


def _fixture(api: str, operations: dict[str, list[str]]):  # noqa: ANN202 - a pytest fixture
    @pytest.fixture(scope="module")
    def loaded(app: object) -> schemathesis.BaseSchema:
        return _schema(api, operations)(app)
    return loaded


tmf641_reads = _fixture("TMF641", READS)
tmf638_reads = _fixture("TMF638", READS)
tmf633_reads = _fixture("TMF633", READS)
tmf641_writes = _fixture("TMF641", WRITES)
SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                    phases=[Phase.explicit, Phase.generate])


def _call(case: schemathesis.Case, who: str, checks: list) -> None:  # noqa: ANN001
    case.call_and_validate(headers={"Authorization": f"Bearer {STATE['tokens'][who]}"}, checks=checks)


@schemathesis.pytest.from_fixture("tmf641_reads").include(operation_id=READS["TMF641"]).parametrize()
@SETTINGS
def test_tmf641_reads(case: schemathesis.Case) -> None:
    _call(case, "buyer", READ_CHECKS)
    _call(case, "op-viewer", READ_CHECKS)


@schemathesis.pytest.from_fixture("tmf638_reads").include(operation_id=READS["TMF638"]).parametrize()
@SETTINGS
def test_tmf638_reads(case: schemathesis.Case) -> None:
    _call(case, "buyer", READ_CHECKS)
    _call(case, "op-viewer", READ_CHECKS)


@schemathesis.pytest.from_fixture("tmf633_reads").include(operation_id=READS["TMF633"]).parametrize()
@SETTINGS
def test_tmf633_reads(case: schemathesis.Case) -> None:
    _call(case, "acme", READ_CHECKS)


@schemathesis.pytest.from_fixture("tmf641_writes").include(operation_id=WRITES["TMF641"]).parametrize()
@SETTINGS
def test_tmf641_writes(case: schemathesis.Case) -> None:
    _call(case, "buyer", WRITE_CHECKS)
