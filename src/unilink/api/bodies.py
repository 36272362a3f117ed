"""Request bodies, before any route sees them: a size limit per endpoint, and JSON that is not JSON.

Size: every write under `/api/` has a byte limit chosen by its path (`BodyLimits`). A body over it is
answered **413** before it is parsed: at once when `Content-Length` says so, else as soon as the bytes
read pass the limit (a chunked body is never buffered beyond it). The limits are constants below,
overridable by `UNILINK_BODY_LIMITS` ("login=4096,intent=8388608"; see docs/api.md).

JSON: Python's `json` accepts what RFC 8259 does not — `NaN`, `Infinity`, `-Infinity`, numbers that
overflow a double (`1e999` becomes infinity), lone UTF-16 surrogates (`"\\ud800"`), integers of
thousands of digits — and they then fail far from the input (a response that cannot be encoded, a
database that refuses the string): a 500 and a traceback. Here they are **422** naming the field, by
its path (`body.sites[2].access.down`), as the API's other validation errors. A body that is not UTF-8
is refused the same way (field `body`).

Cost: a body is searched for the few byte patterns such values need (`NaN`, `Infinity`, `\\uD800`-
`\\uDFFF` escapes, an exponent of three digits or more, a run of 100 digits) — ~27 µs for the demo
tenant's 3.6 kB intent, about what parsing it once costs; only a body that has one is parsed here, to
find the field, so a valid body is parsed once, by the route, as before.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from unilink.api.problems import PROBLEM_BASE, PROBLEM_JSON, clip, loc_to_path
from unilink.errors import ValidationError

BODY_LIMITS_ENV = "UNILINK_BODY_LIMITS"
KIB = 1024
MIB = 1024 * KIB
# Digits an integer may have: far above any id, rate or count; Python refuses > 4300 anyway (a 500).
MAX_INT_DIGITS = 100


@dataclass(frozen=True, slots=True)
class BodyLimits:
    """Bytes a request body may have, per kind of endpoint (the path decides, see `limit_for`)."""

    # POST /auth/login: a username (≤ 64), a password (≤ 256) and a tenant (≤ 64), even \\u-escaped.
    login: int = 4 * KIB
    # POST /tokens, /users, /tenants: a few short fields.
    accounts: int = 4 * KIB
    # POST /plans, PUT|PATCH /intent, POST /revert: the largest valid intent — 10,000 sites and 10,000
    # services (IntentDocument's caps), each site with a backup line and every name 64 characters,
    # is 7.3 MB as compact JSON (tests/unit/api/test_body_limits.py builds it).
    intent: int = 8 * MIB
    # everything else under /api/ (inventory objects, webhooks, paths, what-if, order states).
    default: int = 64 * KIB

    @classmethod
    def parse(cls, text: str | None) -> BodyLimits:
        """"login=4096,intent=8388608": the kinds named change, the others keep their default."""
        limits = cls()
        if not text or not text.strip():
            return limits
        known = {f.name for f in fields(cls)}
        accepted = "comma-separated KIND=BYTES with KIND one of " + ", ".join(sorted(known)) + \
                   ", BYTES from 256 to 1073741824, e.g. login=4096,intent=8388608"
        changes: dict[str, int] = {}
        for part in text.split(","):
            kind, _, value = part.partition("=")
            kind = kind.strip()
            try:
                size = int(value.strip())
            except ValueError:
                size = -1
            if kind not in known or not 256 <= size <= 1024 * MIB:
                raise ValidationError("bad body limit", field=BODY_LIMITS_ENV, value=part.strip(), accepted=accepted)
            changes[kind] = size
        return replace(limits, **changes)

    @classmethod
    def from_env(cls) -> BodyLimits:
        return cls.parse(os.environ.get(BODY_LIMITS_ENV))

    def limit_for(self, path: str) -> tuple[str, int] | None:
        """(kind, bytes) for a write to `path`; None: not an API path (the portal has its own limit)."""
        if not path.startswith(("/api/", "/tmf-api/")):  # TM Forum writes: the default limit
            return None
        rest = path[len("/api/v1"):] if path.startswith("/api/v1/") else path
        if rest == "/auth/login":
            return "login", self.login
        if rest in ("/tokens", "/users", "/tenants"):
            return "accounts", self.accounts
        if rest in ("/plans", "/intent", "/revert"):
            return "intent", self.intent
        return "default", self.default


# -- JSON that Python reads but JSON does not allow --------------------------------------------------

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
# digits → "0", exponent letters → "e", signs → "+", anything else → " ": number shapes found by plain
# substring search (a regular expression over the whole body costs ~10x more)


def _shapes_table() -> bytes:
    table = bytearray(b" " * 256)
    for char, shape in ((b"0123456789", ord("0")), (b"eE", ord("e")), (b"+-", ord("+"))):
        for c in char:
            table[c] = shape
    return bytes(table)


_SHAPES = _shapes_table()


def _suspect(body: bytes) -> bool:
    """Whether the body may hold a value JSON does not allow (false alarms only cost a second parse)."""
    if b"NaN" in body or b"Infinity" in body:
        return True
    if b"\\u" in body and _SURROGATE_ESCAPE.search(body):
        return True
    shapes = body.translate(_SHAPES)
    return b"0e000" in shapes or b"0e+000" in shapes or b"0" * 100 in shapes


class _Bad:
    """Stands, in the parsed document, for a number JSON does not have; found by the walk below."""

    __slots__ = ("text", "why")

    def __init__(self, text: str, why: str) -> None:
        self.text, self.why = text, why


def _constant(name: str) -> _Bad:
    return _Bad(name, f"{name} is not a JSON number")


def _float(text: str) -> float | _Bad:
    value = float(text)
    return value if math.isfinite(value) else _Bad(text, "the number overflows a 64-bit float")


def _int(text: str) -> int | _Bad:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        return _Bad(text[:20] + "…", f"an integer of {digits} digits")
    return int(text)


def _lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _walk(node: Any, loc: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str, Any, str]]:
    """(loc, message, value, accepted) for each value JSON does not allow, depth first."""
    if isinstance(node, _Bad):
        yield loc, node.why, node.text, "a finite number (JSON has no NaN or Infinity)"
    elif isinstance(node, str):
        if _lone_surrogate(node):
            yield loc, "the string holds a lone UTF-16 surrogate (not Unicode text)", _printable(node), \
                "Unicode text: a \\uD800-\\uDBFF escape only followed by a \\uDC00-\\uDFFF one"
    elif isinstance(node, dict):
        for key, value in node.items():
            if _lone_surrogate(key):
                yield (*loc, _printable(key)), "the key holds a lone UTF-16 surrogate (not Unicode text)", \
                    _printable(key), "Unicode text"
                continue
            yield from _walk(value, (*loc, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, (*loc, index))


def _printable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def json_problems(body: bytes) -> list[dict[str, Any]]:
    """The values of a JSON body that JSON does not allow, as problem `errors` (empty: nothing wrong).

    A body that is not JSON at all is left to the route (which answers 422 "JSON decode error").
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        try:  # surrogates encoded as if they were characters (CESU-8): the walk names their field
            text = body.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            return [{"field": "body", "message": f"the body is not UTF-8 (byte {exc.start})", "value": None,
                     "accepted": "JSON encoded as UTF-8 (RFC 8259)"}]
    else:
        if not _suspect(body):
            return []
    try:
        document = json.loads(text, parse_constant=_constant, parse_float=_float, parse_int=_int)
    except ValueError:  # not JSON: the route's own parser says where
        return []
    return [{"field": loc_to_path(loc), "message": message, "value": clip(value), "accepted": accepted}
            for loc, message, value, accepted in _walk(document, ("body",))]


# -- the middleware ----------------------------------------------------------------------------------

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _is_json(content_type: str | None) -> bool:
    """What FastAPI parses as JSON: no content type, application/json, application/*+json."""
    if not content_type:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _problem(status: int, title: str, kind: str, detail: str, **extra: Any) -> bytes:
    body = {"type": PROBLEM_BASE + kind, "title": title, "status": status, "detail": detail, **extra}
    return json.dumps(body, ensure_ascii=False).encode()


class BodyGuard:
    """Pure ASGI: the size limit (413) and the JSON check (422) of request bodies under /api/."""

    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WRITES:
            await self.app(scope, receive, send)
            return
        found = self.limits.limit_for(scope["path"])
        if found is None:
            await self.app(scope, receive, send)
            return
        kind, limit = found
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._too_large(scope, send, kind, limit, int(declared))
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: nothing to answer
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._too_large(scope, send, kind, limit, None)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        content_type = headers.get(b"content-type")
        if body and _is_json(content_type.decode("latin-1") if content_type else None):
            errors = json_problems(body)
            if errors:
                first = errors[0]
                await self._send(send, 422, _problem(
                    422, "Invalid input", "invalid-input", f"{first['field']}: {first['message']}",
                    errors=errors, field=first["field"]))
                return
        await self.app(scope, _replay(body, receive), send)

    async def _too_large(self, scope: Scope, send: Send, kind: str, limit: int, declared: int | None) -> None:
        detail = f"the body of {scope['method']} {scope['path']} may have at most {limit} bytes"
        if declared is not None:
            detail += f"; Content-Length says {declared}"
        await self._send(send, 413, _problem(413, "Payload too large", "payload-too-large", detail, field="body",
                                             value=declared, accepted=f"at most {limit} bytes ({kind} limit)"),
                         close=True)

    @staticmethod
    async def _send(send: Send, status: int, payload: bytes, *, close: bool = False) -> None:
        headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(payload)).encode())]
        if close:  # the rest of the body is not read: the connection cannot carry another request
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app the body already read, then whatever comes next (a disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
