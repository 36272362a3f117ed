"""What the three TM Forum routers share: the specs' Error body, list queries, hrefs.

- **Errors**: every error of a TMF route is the specs' `Error` (`code`, `reason`, `message`, `status`,
  plus `field`/`value`/`accepted` when an input was wrong: the field is named as in the request,
  `serviceOrderItem[1].service.serviceCharacteristic[0].value`). The routes use `TmfRoute`, which
  renders the errors the native API renders as problem+json — authentication (401), roles (403),
  another tenant's object (404), bad input (400; the native API's 422), conflicts (409), rate limit
  (429) — in that shape, so a TMF client reads one error format.
- **Lists** (TMF630 guidelines): `fields=a,b` keeps those attributes (and always `id`, `href`);
  `offset`/`limit` page the result, `X-Total-Count` (matching) and `X-Result-Count` (sent) say how
  many; `sort=-orderDate` orders; any other query parameter filters on that attribute, by equality
  (`state=completed`, `serviceSpecification.id=internet`; comma-separated values mean any of them)
  or with TMF630's operators (`orderDate.gte=2026-12-01`, `orderDate<2026-12-02`): see filtering.py.
- **hrefs** are absolute, from the request's own scheme and host, and resolve on this server.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from unilink.api.problems import clip, loc_to_path
from unilink.api.tmf.filtering import matches, parse_condition, sort_key_list, sort_resources
from unilink.errors import InfeasibleError, UnilinkError, ValidationError

RESERVED_QUERY = frozenset({"fields", "offset", "limit", "sort", "tenant"})
MAX_LIMIT = 1000
_REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
            409: "Conflict", 413: "Payload Too Large", 429: "Too Many Requests", 500: "Internal Server Error"}


def error_response(status: int, message: str, *, field: str | None = None, value: Any = None,
                   accepted: str | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    """The specs' Error body (code and reason required; field/value/accepted are our extension)."""
    body: dict[str, Any] = {"code": str(status), "reason": _REASONS.get(status, "Error"), "message": message,
                            "status": str(status), "@type": "Error"}
    if field is not None:
        body.update({"field": field, "value": clip(value), "accepted": accepted})
    return JSONResponse(_encodable(body), status_code=status, headers=headers)


def _encodable(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _encodable(v) for k, v in node.items()}
    if isinstance(node, float) and not math.isfinite(node):
        return repr(node)
    if isinstance(node, str):
        return node.encode("utf-8", "backslashreplace").decode("utf-8")
    return node


def _from_exception(exc: Exception) -> JSONResponse | None:
    if isinstance(exc, RequestValidationError):
        first = (exc.errors() or [{}])[0]
        field = loc_to_path(first.get("loc", ()))
        return error_response(400, f"{field}: {first.get('msg', 'invalid')}", field=field, value=first.get("input"),
                              accepted=str((first.get("ctx") or {}).get("expected", "")) or None)
    if isinstance(exc, InfeasibleError):
        return error_response(400, exc.message, field="serviceOrderItem", value=None, accepted=str(exc.details))
    if isinstance(exc, UnilinkError):
        status = 400 if exc.http_status == 422 else exc.http_status
        return error_response(status, str(exc), field=exc.field, value=exc.value, accepted=exc.accepted)
    if isinstance(exc, StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else _REASONS.get(exc.status_code, "Error")
        return error_response(exc.status_code, detail, headers=getattr(exc, "headers", None))
    return None


class TmfRoute(APIRoute):
    """A route whose errors are the TMF Error body (see the module's docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def tmf_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                answer = _from_exception(exc)
                if answer is None:
                    raise  # a bug: the app's generic 500 (logged, no trace sent)
                return answer

        return tmf_handler


def base_url(request: Request) -> str:
    """scheme://host[:port] of this request (hrefs are absolute and point back here)."""
    return str(request.base_url).rstrip("/")


def read_body(raw: Any, what: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ValidationError("the body must be a JSON object", field="body", value=raw, accepted=f"a {what} object")
    return raw


# -- lists ---------------------------------------------------------------------------------------------------

def _int(value: str | None, field: str, default: int | None, low: int, high: int) -> int | None:
    if value is None:
        return default
    digits = value.strip()
    if not (digits.isascii() and digits.isdigit()) or not low <= int(digits) <= high:  # "²".isdigit() is True
        raise ValidationError(f"{field} out of range", field=field, value=value, accepted=f"an integer {low}..{high}")
    return int(digits)


def select(resource: dict[str, Any], fields: str | None) -> dict[str, Any]:
    """`fields=` selection: the named top-level attributes, with id and href always kept."""
    if fields is None or not fields.strip():
        return resource
    keep = {f.strip().split(".")[0] for f in fields.split(",") if f.strip()} | {"id", "href", "@type"}
    return {k: v for k, v in resource.items() if k in keep}


def list_response(request: Request, resources: list[dict[str, Any]]) -> JSONResponse:
    """Filter, page and select as the request asks; X-Total-Count and X-Result-Count."""
    query = request.query_params
    offset = _int(query.get("offset"), "offset", 0, 0, 10**9) or 0
    limit = _int(query.get("limit"), "limit", MAX_LIMIT, 1, MAX_LIMIT) or MAX_LIMIT
    conditions = [parse_condition(key, query.getlist(key)) for key in query if key not in RESERVED_QUERY]
    ordered = sort_resources(resources, sort_key_list(query.get("sort")))
    matching = [r for r in ordered if all(matches(r, c) for c in conditions)]
    page = matching[offset:offset + limit]
    fields = query.get("fields")
    return JSONResponse([select(r, fields) for r in page],
                        headers={"X-Total-Count": str(len(matching)), "X-Result-Count": str(len(page))})


def one_response(request: Request, resource: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(select(resource, request.query_params.get("fields")), status_code=status)
