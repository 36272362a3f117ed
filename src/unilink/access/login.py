"""Password login, the same for the API (`POST /api/v1/auth/login`) and the portal's sign-in form.

In front of the password check: a rate limit per client address (`app.state.login_limiter`) and a
back-off per account (`app.state.login_backoff`, see `backoff.py`). Refusals are HTTP errors (429
with Retry-After, 401) that both adapters show as they are.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from unilink.access import accounts
from unilink.access.backoff import LoginBackoff
from unilink.access.ratelimit import TokenBucketLimiter
from unilink.access.security import MintedToken
from unilink.store.db import Store


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # as every request body (api.schemas.Strict)

    username: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    tenant: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        default=None, description="The user's tenant (usernames are per tenant); none for operator users")


def password_login(body: LoginRequest, request: Request, store: Store) -> tuple[MintedToken, accounts.TokenInfo]:
    """A 12-hour token for the user whose password matches; rate limit per address, back-off per account."""
    client = request.client.host if request.client else "unknown"  # the proxy's client when trusted (proxies.py)
    limiter: TokenBucketLimiter = request.app.state.login_limiter
    wait_s = limiter.acquire(client)
    if wait_s > 0:
        raise HTTPException(429, "too many login attempts",
                            headers={"Retry-After": limiter.retry_after_header(wait_s)})
    backoff: LoginBackoff = request.app.state.login_backoff
    account = LoginBackoff.key(body.tenant, body.username)
    wait_s = backoff.attempt(account)
    if wait_s > 0:  # the same for every name, existing or not; the password is not even checked
        raise HTTPException(429, "too many failed logins for this account: try again later",
                            headers={"Retry-After": TokenBucketLimiter.retry_after_header(wait_s)})
    with store.session() as session:
        result = accounts.login(session, body.username, body.password, body.tenant)
    if result is None:
        raise HTTPException(401, "wrong tenant, username or password",
                            headers={"WWW-Authenticate": 'Bearer realm="unilink"'})
    backoff.succeeded(account)
    return result
