"""Who may see a cooperative's campaigns, and the guards of the public forms; the API and the portal
share these (the API imports the web layer, never the reverse).

- Campaign pages and routes are for the coop-manager role (its own tenant's campaigns) and operator
  roles (every campaign; operator-viewer reads only). Any other role is refused by its role alone
  (403), so the answer says nothing about which campaigns exist; a coop-manager asking for another
  cooperative's campaign gets 404 from the use case, as if it did not exist.
- The public POSTs (pledge, confirm, withdraw) have no account: each client address has a token bucket
  (`UNILINK_PUBLIC_RATE_LIMIT`, default "0.2/30": a burst of 30, then one every 5 s; "off" disables),
  and the public forms carry a double-submit token: a random value in a `SameSite=Strict`, `HttpOnly`
  cookie that the form repeats in a hidden field. Another site's page can neither read the cookie nor
  make the browser send it, so a form it posts is refused.
"""

from __future__ import annotations

import hmac
import os
import secrets

from fastapi import HTTPException, Request
from fastapi.responses import Response

from unilink.access.ratelimit import TokenBucketLimiter
from unilink.access.security import Principal, Role
from unilink.errors import ValidationError

PUBLIC_RATE_ENV = "UNILINK_PUBLIC_RATE_LIMIT"
DEFAULT_PUBLIC_RATE = "0.2/30"
FORM_COOKIE = "unilink_form"
FORM_FIELD = "form_token"
CAMPAIGN_READERS = frozenset({Role.OPERATOR_ADMIN, Role.OPERATOR_VIEWER, Role.COOP_MANAGER})
CAMPAIGN_WRITERS = frozenset({Role.OPERATOR_ADMIN, Role.COOP_MANAGER})


def campaign_scope(principal: Principal) -> str | None:
    """The tenant whose campaigns the caller sees: its own (coop-manager) or None, every one (operators)."""
    if principal.role not in CAMPAIGN_READERS:
        raise HTTPException(403, "cooperative campaigns are for the coop-manager role and operator roles")
    return None if principal.is_operator else principal.tenant


def campaign_writer_scope(principal: Principal) -> str | None:
    """As `campaign_scope`, for a change: operator-viewer may read but not change anything."""
    scope = campaign_scope(principal)
    if principal.role not in CAMPAIGN_WRITERS:
        raise HTTPException(403, f"role {principal.role.value} may read but not change anything")
    return scope


def opening_tenant(principal: Principal, tenant: str | None) -> str:
    """The tenant a new campaign is for: the coop-manager's own; an operator names it (`?tenant=`)."""
    campaign_writer_scope(principal)
    if not principal.is_operator:
        if tenant is not None and tenant != principal.tenant:
            raise HTTPException(404, "no such tenant")
        return str(principal.tenant)
    if tenant is None:
        raise ValidationError("an operator opens a campaign on behalf of a cooperative: name it", field="tenant",
                              value=None, accepted="?tenant=<cooperative tenant>")
    return tenant


# -- the public POSTs --------------------------------------------------------------------------------

def _parse_rate(value: str) -> TokenBucketLimiter | None:
    if value.strip().lower() in ("off", "0", "none"):
        return None
    try:
        rate, _, burst = value.partition("/")
        return TokenBucketLimiter(rate_per_s=float(rate), burst=int(burst or 10))
    except ValueError:
        raise ValidationError("bad public rate limit", field=PUBLIC_RATE_ENV, value=value,
                              accepted="'<requests/s>/<burst>', e.g. 0.2/30, or 'off'") from None


def public_limiter(request: Request) -> TokenBucketLimiter | None:
    """The app's limiter of public writes (made on first use from the environment; tests may set
    `app.state.coop_public_limiter` themselves)."""
    state = request.app.state
    if not hasattr(state, "coop_public_limiter"):
        state.coop_public_limiter = _parse_rate(os.environ.get(PUBLIC_RATE_ENV, DEFAULT_PUBLIC_RATE))
    return state.coop_public_limiter


def check_public_rate(request: Request) -> None:
    """429 with Retry-After when this client address has sent too many public writes."""
    limiter = public_limiter(request)
    if limiter is None:
        return
    client = request.client.host if request.client else "unknown"  # the proxy's client when trusted
    wait_s = limiter.acquire(f"public:{client}")
    if wait_s > 0:
        raise HTTPException(429, "too many requests from your address: try again in a moment",
                            headers={"Retry-After": TokenBucketLimiter.retry_after_header(wait_s)})


def form_token(request: Request) -> str:
    """The double-submit token of this browser: the cookie's, or a new one (set it with `keep_form_token`)."""
    current = request.cookies.get(FORM_COOKIE, "")
    return current if 20 <= len(current) <= 64 else secrets.token_urlsafe(24)


def keep_form_token(response: Response, request: Request, token: str) -> None:
    response.set_cookie(FORM_COOKIE, token, httponly=True, samesite="strict", path="/c/",
                        secure=request.url.scheme == "https")


def check_form_token(request: Request, fields: dict[str, str]) -> None:
    """403 unless the form's hidden token is this browser's cookie (a form posted from another site has
    neither)."""
    cookie = request.cookies.get(FORM_COOKIE, "")
    sent = fields.get(FORM_FIELD, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), sent.encode()):
        raise HTTPException(403, "this form has expired or was not sent from this site's page: reload the page "
                                 "and send it again")
