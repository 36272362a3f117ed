"""RFC 9457 problem details for every error the API returns.

Every error body is `application/problem+json` with `type`, `title`, `status`, `detail` and, when an
input was wrong, `errors: [{field, value, accepted, message}]` naming each offending field by its path
(`body.sites[2].rate_down`). Unexpected exceptions become a generic 500: no trace, no SQL.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from unilink.errors import InfeasibleError, UnilinkError

log = logging.getLogger("unilink.api")

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://unilink.example/problems/"
MAX_VALUE_CHARS = 200  # echoed values are cut: a client sending 1 MB of junk does not get it back


class FieldProblem(BaseModel):
    field: str = Field(description="Path of the offending field, e.g. body.sites[2].rate_down")
    message: str
    value: Any = None
    accepted: str | None = None


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(description="URI naming the kind of problem")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldProblem] | None = None
    field: str | None = None
    value: Any = None
    accepted: str | None = None
    details: dict[str, Any] | None = Field(default=None, description="Extra facts, e.g. the bottleneck link")


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": title,
             "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    for status, title in (
        (400, "Bad request"), (401, "Not authenticated"), (403, "Forbidden"), (404, "Not found"),
        (409, "Conflict"), (422, "Invalid input"), (429, "Too many requests"),
    )
}


def problem_response(status: int, title: str, *, detail: str | None = None, kind: str | None = None,
                     headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": PROBLEM_BASE + (kind or slug(title)), "title": title, "status": status}
    if detail is not None:
        body["detail"] = detail
    body.update({k: v for k, v in extra.items() if v is not None})
    return ProblemResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


class ProblemResponse(JSONResponse):
    """An error must always be sent: text that UTF-8 cannot carry (a lone surrogate in a message) is
    sent backslash-escaped, a non-finite number as its text, rather than failing into a 500."""

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except (UnicodeEncodeError, ValueError):
            return super().render(_encodable(content))


def _encodable(node: Any) -> Any:
    if isinstance(node, dict):
        return {_encodable(k): _encodable(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [_encodable(v) for v in node]
    if isinstance(node, float) and not math.isfinite(node):
        return repr(node)
    if isinstance(node, str):
        return node.encode("utf-8", "backslashreplace").decode("utf-8")
    return node


def slug(title: str) -> str:
    return "-".join(title.lower().split())


def clip(value: Any) -> Any:
    """A value safe to echo: JSON scalars kept (strings clipped), anything else as a clipped string.

    Safe means encodable too: NaN and infinities become their text, lone surrogates their escape."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    text = value if isinstance(value, str) else repr(value)
    text = text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "…"
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def loc_to_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """pydantic's loc ('body', 'sites', 2, 'rate') as a path: body.sites[2].rate."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path or "body"


def status_for(exc: UnilinkError) -> int:
    return exc.http_status  # the error's kind decides (unilink.errors): the portal reads it there too


async def _validation_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = []
    for err in exc.errors():
        ctx = err.get("ctx") or {}
        accepted = ctx.get("expected") or ctx.get("pattern") or _limit_text(ctx)
        errors.append({"field": loc_to_path(err.get("loc", ())), "message": err.get("msg", "invalid"),
                       "value": clip(err.get("input")), "accepted": None if accepted is None else str(accepted)})
    first = errors[0] if errors else {"field": "body", "message": "invalid"}
    return problem_response(422, "Invalid input", kind="invalid-input",
                            detail=f"{first['field']}: {first['message']}", errors=errors,
                            field=first["field"])


def _limit_text(ctx: dict[str, Any]) -> str | None:
    for key, words in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"), ("max_length", "length <="),
                       ("min_length", "length >=")):
        if key in ctx:
            return f"{words} {ctx[key]}"
    return None


async def _unilink_handler(request: Request, exc: UnilinkError) -> JSONResponse:
    status = status_for(exc)
    title = {404: "Not found", 409: "Conflict", 422: "Invalid input", 400: "Bad request"}[status]
    if isinstance(exc, InfeasibleError):
        return problem_response(status, "Infeasible", kind="infeasible", detail=exc.message,
                                details={k: clip(v) if not isinstance(v, dict | list) else v
                                         for k, v in exc.details.items()} or None)
    errors = None
    if exc.field is not None:
        errors = [{"field": exc.field, "message": exc.message, "value": clip(exc.value), "accepted": exc.accepted}]
    return problem_response(status, title, detail=str(exc), field=exc.field, value=clip(exc.value),
                            accepted=exc.accepted, errors=errors)


async def _http_handler(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    titles = {400: "Bad request", 401: "Not authenticated", 403: "Forbidden", 404: "Not found",
              405: "Method not allowed", 409: "Conflict", 413: "Payload too large", 429: "Too many requests"}
    title = titles.get(exc.status_code, "Error")
    detail = exc.detail if isinstance(exc.detail, str) else None
    return problem_response(exc.status_code, title, detail=detail, headers=getattr(exc, "headers", None))


async def _unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    # The trace goes to the server log only; the client learns nothing about the internals.
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem_response(500, "Internal error", kind="internal-error",
                            detail="The server could not complete the request; it has been logged.")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_handler)  # type: ignore[arg-type]
    app.add_exception_handler(UnilinkError, _unilink_handler)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_handler)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected_handler)
