"""Helpers of the TMF tests: the official TM Forum documents (copied into the repository with TM Forum's
notice, tests/integration/tmf/specs/NOTICE), a jsonschema validator of their definitions, and the
client handle.

Swagger 2.0 `definitions` are JSON Schema (draft 4 with extensions); a definition is validated as
{"$ref": "#/definitions/X", "definitions": …}, so every $ref inside resolves in the same document.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from fastapi.testclient import TestClient

from unilink.store.db import Store

SPECS = Path(__file__).parent / "specs"
FILES = {"TMF641": "TMF641-ServiceOrdering-v4.1.0.swagger.json",
         "TMF638": "TMF638-ServiceInventory-v4.0.0.swagger.json",
         "TMF633": "TMF633-ServiceCatalog-v4.0.0.swagger.json"}
ORDERING = "/tmf-api/serviceOrdering/v4"
INVENTORY = "/tmf-api/serviceInventory/v4"
CATALOG = "/tmf-api/serviceCatalogManagement/v4"


@cache
def spec(api: str) -> dict[str, Any]:
    return json.loads((SPECS / FILES[api]).read_text())


@cache
def _validator(api: str, definition: str) -> jsonschema.protocols.Validator:
    document = spec(api)
    assert definition in document["definitions"], definition
    schema = {"$ref": f"#/definitions/{definition}", "definitions": document["definitions"]}
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def conforms(api: str, definition: str, body: Any) -> Any:
    """Assert `body` (an object, or a list of them) is a valid `definition` of the official `api` spec."""
    for item in body if isinstance(body, list) else [body]:
        errors = sorted(_validator(api, definition).iter_errors(item), key=lambda e: list(e.path))
        assert not errors, f"{definition}: {errors[0].message} at {list(errors[0].path)}"
    return body


@dataclass
class TmfApi:
    client: TestClient
    store: Store
    tokens: dict[str, str]

    def call(self, method: str, path: str, who: str | None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.client.request(method, path, headers=headers, **kwargs)


def access_item(item_id: str, site: str, pop: str, *, rate: int | str = 1_000_000_000) -> dict[str, Any]:
    return {"id": item_id, "action": "add", "@type": "ServiceOrderItem", "service": {
        "name": site, "serviceSpecification": {"id": "access"}, "@type": "Service",
        "serviceCharacteristic": [{"name": "pop", "value": pop}, {"name": "technology", "value": "fibre"},
                                  {"name": "port", "value": rate}, {"name": "down", "value": rate},
                                  {"name": "up", "value": rate}]}}


def internet_item(item_id: str, name: str, site: str, rate: int | str) -> dict[str, Any]:
    return {"id": item_id, "action": "add", "service": {
        "name": name, "serviceSpecification": {"id": "internet"},
        "serviceCharacteristic": [{"name": "site", "value": site}, {"name": "rate", "value": rate}]}}


def rate_item(item_id: str, service_id: str, rate: int | str) -> dict[str, Any]:
    return {"id": item_id, "action": "modify", "service": {
        "id": service_id, "serviceCharacteristic": [{"name": "rate", "value": rate}]}}


def characteristic(service: dict[str, Any], name: str) -> Any:
    return next(c["value"] for c in service["serviceCharacteristic"] if c["name"] == name)
