"""The demo API handle the API integration tests share (a module of its own: test modules import it,
and importing from `conftest` depends on which conftest pytest loaded last)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from unilink.store.db import Store


@dataclass
class DemoApi:
    client: TestClient
    store: Store
    tokens: dict[str, str]

    def call(self, method: str, path: str, who: str | None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.client.request(method, path, headers=headers, **kwargs)
