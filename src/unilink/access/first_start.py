"""The first start: a single-use sign-in link for the operator administrator, printed by `unilink serve`.

After `make run` on an empty database nobody could sign in until someone opened a shell on the server
to mint a token. Now `serve` prints, once, a link like Jupyter's token URL when nobody can administer
the platform (no live operator-admin token, no operator-admin user). The link's code is an
operator-admin token of its own kind (`FIRST_START_NAME`): it is not accepted as an API bearer token
(`accounts.principal_for_token` refuses it), it expires after `LINK_TTL`, and redeeming it revokes it
and opens an ordinary portal session. A second start while the link is unused prints no new one —
only a reminder of how to mint a token — so the link printed is the only one that works.
"""

from __future__ import annotations

from datetime import timedelta

from unilink.access import accounts
from unilink.access.security import MintedToken, secret_matches, split_token
from unilink.errors import ValidationError
from unilink.store import accounts_repo as repo
from unilink.store.types import Session

FIRST_START_NAME = accounts.FIRST_START_LINK
SESSION_NAME = "first-start session"
LINK_TTL = timedelta(hours=24)
SESSION_TTL = timedelta(hours=12)
PATH = "/portal/welcome"


def mint_link_code(session: Session) -> tuple[str | None, bool]:
    """(a new link's code, False) when nobody can administer the platform; (None, True) when an unused
    link is still pending; (None, False) when an operator admin exists."""
    now = accounts.utcnow()
    live = repo.live_operator_admin_tokens(session, now)
    if any(row.name != FIRST_START_NAME for row in live) or repo.has_operator_admin_user(session):
        return None, False
    if live:
        return None, True
    minted, _info = accounts.create_token(session, role="operator-admin", tenant=None, name=FIRST_START_NAME,
                                          ttl=LINK_TTL)
    return minted.token, False


def redeem(session: Session, code: str) -> MintedToken:
    """Spend the link's code (once): revoke it and mint the operator admin's portal session token."""
    refused = ValidationError("this sign-in link was used already, has expired or is not ours", field="code",
                              value=None, accepted="the link `unilink serve` printed, once, within 24 hours "
                                                   "(or a token from `unilink token create --role operator-admin`)")
    parts = split_token(code.strip())
    found = repo.token(session, parts[0]) if parts else None
    if parts is None or found is None:
        raise refused
    row, _tenant = found
    expired = row.expires_at is not None and row.expires_at <= accounts.utcnow()
    # the role too: anyone may name a token of their own "first-start link"; only an operator-admin one
    # (which only an operator admin or this module can mint) opens an operator-admin session
    if (row.name != FIRST_START_NAME or row.role != "operator-admin" or row.tenant_id is not None
            or row.revoked_at is not None or expired
            or not secret_matches(parts[1], row.secret_sha256)):
        raise refused
    row.revoked_at = accounts.utcnow()
    minted, _info = accounts.create_token(session, role="operator-admin", tenant=None, name=SESSION_NAME,
                                          ttl=SESSION_TTL)
    return minted
