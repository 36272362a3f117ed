"""Who is using the portal: the API token kept in an HttpOnly, SameSite=Strict cookie.

The cookie holds the same token the API takes as `Authorization: Bearer ...` (pasted at sign-in, or
minted by the same password login as the API's, `unilink.access.login`). A request is authenticated
by the app's `Authenticator` (the API's cache and rate limit) and the principal is put where the
audit middleware looks for it, so that a write from the portal is audited like one from the API.
Scoping is never decided here: the pages call `unilink.access.scope` (`visible_tenant`, …).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import Response

from unilink.access import accounts
from unilink.access.authn import Authenticator
from unilink.access.scope import check_rate, get_store, mark_principal
from unilink.access.security import Principal

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
    check_rate(request.app.state.authenticator.limiter, principal)
    mark_principal(request, principal)  # the audit log of writes reads it from here
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
        mark_principal(request, principal)  # the audit log records the sign-out as a write


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
