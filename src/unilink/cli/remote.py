"""Remote mode: the CLI's change commands against a unilink server instead of the local database.

    from unilink.cli.remote import API_OPTION, remote_client

    def plan(..., api: str | None = API_OPTION):
        client = remote_client(api)            # None: no --api / UNILINK_API / config → work locally
        content = client.plan(tenant, document, devices=True) if client else engine.plan(...).content

The server is `--api URL` (or `UNILINK_API`, or `api = "..."` in the config file); the token is
`UNILINK_TOKEN`, or `token = "ul_..."` in `~/.config/unilink/config.toml` (`$XDG_CONFIG_HOME` is
respected). Answers have the same shapes as the engine's functions, so the commands print them with
the same code. A problem+json error becomes the `UnilinkError` of the same meaning (so the same exit
code: 2 bad input / not found, 3 infeasible, 4 conflict).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import typer

from unilink.errors import ConflictError, InfeasibleError, NotFoundError, UnilinkError, ValidationError

API_ENV = "UNILINK_API"
TOKEN_ENV = "UNILINK_TOKEN"
API_OPTION = typer.Option(None, "--api", envvar=API_ENV, show_envvar=True,
                          help="A unilink server (e.g. http://127.0.0.1:8000): work remotely with UNILINK_TOKEN.")
TIMEOUT_S = 60.0


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "unilink" / "config.toml"


def read_config(path: Path | None = None) -> dict[str, Any]:
    path = path or config_path()
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValidationError(f"cannot read the config file: {exc}", field="config", value=str(path),
                              accepted='TOML with api = "http://..." and token = "ul_..."') from None


def remote_client(api: str | None, *, token: str | None = None, config: Path | None = None) -> RemoteClient | None:
    """A client when a server is named (option, env or config), else None (work on the local database)."""
    settings = read_config(config)
    url = api or settings.get("api")
    if not url:
        return None
    secret = token or os.environ.get(TOKEN_ENV) or settings.get("token")
    if not secret:
        raise ValidationError("no API token", field="token", value=None,
                              accepted=f"{TOKEN_ENV}=ul_... or token = \"ul_...\" in {config or config_path()}")
    return RemoteClient(str(url), str(secret))


class RemoteClient:
    def __init__(self, base_url: str, token: str, *, transport: httpx.BaseTransport | None = None) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValidationError("not an http(s) URL", field="api", value=base_url,
                                  accepted="http://HOST:PORT or https://HOST")
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=TIMEOUT_S, transport=transport,
                                  headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RemoteClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- the change commands -----------------------------------------------------------------------

    def plan(self, tenant: str | None, document: dict[str, Any], *, devices: bool = True,
             installed: bool = False, base_version: int | None = None) -> dict[str, Any]:
        params = _tenant(tenant) | {"devices": "full" if devices else "summary"}
        if installed:
            params["installed"] = "true"
        headers = {"If-Match": f'"{base_version}"'} if base_version is not None else {}
        return self._call("POST", "/api/v1/plans", json=document, params=params, headers=headers)

    def apply(self, plan_id: str, reason: str = "", *, confirm_removals: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {"reason": reason}
        if confirm_removals:
            body["confirm_removals"] = True
        return self._call("POST", f"/api/v1/plans/{plan_id}/apply", json=body)

    def status(self, tenant: str | None) -> dict[str, Any]:
        return self._call("GET", "/api/v1/status", params=_tenant(tenant))

    def orders(self, tenant: str | None = None, *, open_only: bool = False) -> list[dict[str, Any]]:
        return self._call("GET", "/api/v1/orders", params=_tenant(tenant) | ({"open": "true"} if open_only else {}))

    def order(self, order_id: str) -> dict[str, Any]:
        return self._call("GET", f"/api/v1/orders/{_segment(order_id, 'order_id')}")

    def set_order_state(self, order_id: str, state: str) -> dict[str, Any]:
        order_id = _segment(order_id, "order_id")
        if state == "cancelled":
            return self._call("POST", f"/api/v1/orders/{order_id}/cancel")
        return self._call("POST", f"/api/v1/orders/{order_id}/state", json={"state": state})

    def history(self, tenant: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        return self._call("GET", "/api/v1/history", params=_tenant(tenant) | {"limit": str(limit)})

    def revert(self, tenant: str | None, version: int) -> dict[str, Any]:
        return self._call("POST", "/api/v1/revert", json={"version": version}, params=_tenant(tenant))

    def intent(self, tenant: str | None) -> dict[str, Any] | None:
        return self._call("GET", "/api/v1/intent", params=_tenant(tenant))

    def intent_with_version(self, tenant: str | None) -> tuple[dict[str, Any] | None, int]:
        """The latest intent and its version (the ETag of GET /intent; 0 when there is none)."""
        try:
            response = self._http.request("GET", "/api/v1/intent", params=_tenant(tenant))
        except httpx.HTTPError as exc:
            raise UnilinkError(f"cannot reach the server: {exc}", field="api", value=self.base_url,
                               accepted="a running unilink server (`unilink serve`)") from None
        if response.status_code >= 400:
            raise error_from_problem(response)
        return response.json(), int(response.headers.get("ETag", '"0"').strip('W/"') or 0)

    def whoami(self) -> dict[str, Any]:
        return self._call("GET", "/api/v1/auth/whoami")

    # -- transport ---------------------------------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise UnilinkError(f"cannot reach the server: {exc}", field="api", value=self.base_url,
                               accepted="a running unilink server (`unilink serve`)") from None
        if response.status_code >= 400:
            raise error_from_problem(response)
        return response.json() if response.content else None


def _segment(value: str, field: str) -> str:
    """An id put in a URL path must stay one segment (`../tokens` must not reach another resource)."""
    if not value or "/" in value or value in (".", ".."):
        raise ValidationError("not an id", field=field, value=value, accepted="an id as listed, without /")
    return quote(value, safe="")


def _tenant(tenant: str | None) -> dict[str, str]:
    return {"tenant": tenant} if tenant else {}


def error_from_problem(response: httpx.Response) -> UnilinkError:
    """The UnilinkError a problem+json answer stands for (same exit code as the local command)."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    detail = body.get("detail") or body.get("title") or f"HTTP {response.status_code}"
    fields = {"field": body.get("field"), "value": body.get("value"), "accepted": body.get("accepted")}
    errors = body.get("errors") or []
    if errors and isinstance(errors[0], dict):  # the bare message: field and accepted travel separately
        first = errors[0]
        detail = first.get("message") or detail
        fields = {"field": first.get("field"), "value": first.get("value"), "accepted": first.get("accepted")}
    status = response.status_code
    if status == 404:
        return NotFoundError(detail, **fields)
    if status == 409:
        return ConflictError(detail, **fields)
    if status == 422 and body.get("title") == "Infeasible":
        return InfeasibleError(detail, details=body.get("details") or {})
    if status in (400, 422):
        return ValidationError(detail, **fields)
    if status in (401, 403):
        return UnilinkError(f"refused by the server ({status}): {detail}", field="token", value=None,
                            accepted="a valid token with a role allowed to do this")
    if status == 429:
        return UnilinkError(f"rate limited: retry in {response.headers.get('retry-after', '?')} s")
    return UnilinkError(f"the server failed ({status}): {detail}")
