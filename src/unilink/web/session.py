"""Who is using the portal: the API token kept in an HttpOnly, SameSite=Strict cookie.

The cookie holds the same token the API takes as `Authorization: Bearer ...` (pasted at sign-in, or
minted by a password sign-in through the API's own login). A request is authenticated by the API's
`Authenticator` (same cache, same rate limit) and the principal is put where the API's audit
middleware looks for it, so that a write from the portal is audited like one from the API. Scoping
is never decided here: the pages call the API's functions (`visible_tenant`, the route functions).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from fastapi.responses import Response

from unilink.api import accounts
from unilink.api.deps import PRINCIPAL_SCOPE_KEY, Authenticator, get_store
from unilink.api.ratelimit import TokenBucketLimiter
from unilink.api.security import Principal

COOKIE_NAME = "unilink_session"


# Why the sign-in page is shown, by code: the page prints only these texts, never one from the URL
# (a link could otherwise put any message on our sign-in page).
SIGN_IN_NOTICES = {
    "required": "Please sign in.",
    "ended": "Your session has ended (the token is unknown, revoked or expired): sign in again.",
    "signed-out": "You are signed out.",
}


class SignInRequired(Exception):
    """No valid session: the portal answers with a redirect to the sign-in page."""

    def __init__(self, reason: str) -> None:
        super().__init__(SIGN_IN_NOTICES[reason])
        self.reason = reason  # a key of SIGN_IN_NOTICES


def principal_for(request: Request, token: str) -> Principal | None:
    """The principal a token stands for (None: unknown, revoked or expired), through the API's authenticator."""
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator.principal(get_store(request), token)


def portal_principal(request: Request) -> Principal:
    """The signed-in caller (a FastAPI dependency for every portal page but sign-in)."""
    token = request.cookies.get(COOKIE_NAME, "").strip()
    if not token:
        raise SignInRequired("required")
    principal = principal_for(request, token)
    if principal is None:
        raise SignInRequired("ended")
    limiter = request.app.state.authenticator.limiter
    if limiter is not None:
        wait_s = limiter.acquire(principal.subject)
        if wait_s > 0:
            raise HTTPException(429, f"rate limit of {limiter.rate_per_s:g} requests/s exceeded for this token",
                                headers={"Retry-After": TokenBucketLimiter.retry_after_header(wait_s)})
    request.scope[PRINCIPAL_SCOPE_KEY] = principal  # the audit log of writes reads it from here
    return principal


def end_session(request: Request, token: str) -> None:
    """Sign-out. A token the password sign-in minted for this session is revoked in the database, so the
    cookie's value is worthless afterwards in every server process. A pasted API token is left alone: it
    is the user's own credential, possibly in use by scripts too (`unilink token revoke` ends it)."""
    principal = principal_for(request, token)
    with get_store(request).session(write=True) as session:
        revoked = accounts.revoke_login_token(session, token)
    if revoked is not None:
        request.app.state.authenticator.forget(revoked.prefix)
        request.scope[PRINCIPAL_SCOPE_KEY] = principal  # the audit log records the sign-out as a write


def same_origin(request: Request) -> bool:
    """A form POST must come from a page of this site (defence in depth beside SameSite=Strict).

    Browsers send `Origin` on POST; a missing one (old clients, curl) is let through since the
    cookie itself is never sent cross-site.
    """
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


def set_session(response: Response, request: Request, token: str) -> None:
    response.set_cookie(COOKIE_NAME, token, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")


def clear_session(response: Response) -> None:
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict")
