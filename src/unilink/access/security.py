"""Credentials and roles, pure: token minting and hashing, password hashing, the role table.

A token looks like `ul_<prefix>_<secret>`: the 10-character prefix is stored in clear to find the row,
the secret (32 random bytes, URL-safe) only as its SHA-256. A high-entropy secret needs no slow hash;
passwords, which people choose, get argon2id.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from unilink.errors import ValidationError

TOKEN_SCHEME = "ul"
PREFIX_CHARS = 10


class Role(StrEnum):
    OPERATOR_ADMIN = "operator-admin"    # everything, any tenant
    OPERATOR_VIEWER = "operator-viewer"  # read everything, change nothing
    TENANT_ADMIN = "tenant-admin"        # read and change its own tenant
    TENANT_VIEWER = "tenant-viewer"      # read its own tenant
    COOP_MANAGER = "coop-manager"        # a cooperative's manager: tenant-admin of a cooperative tenant


OPERATOR_ROLES = frozenset({Role.OPERATOR_ADMIN, Role.OPERATOR_VIEWER})
WRITER_ROLES = frozenset({Role.OPERATOR_ADMIN, Role.TENANT_ADMIN, Role.COOP_MANAGER})
ROLES_ACCEPTED = ", ".join(r.value for r in Role)


def parse_role(value: str, *, field: str = "role") -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValidationError("unknown role", field=field, value=value, accepted=ROLES_ACCEPTED) from None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a role, and for tenant roles the one tenant they may see."""

    subject: str          # "token:<prefix>" or "user:<username>"
    role: Role
    tenant: str | None    # tenant name; None for operator roles
    tenant_id: int | None
    token_prefix: str | None = None

    @property
    def is_operator(self) -> bool:
        return self.role in OPERATOR_ROLES

    @property
    def can_write(self) -> bool:
        return self.role in WRITER_ROLES


@dataclass(frozen=True, slots=True)
class MintedToken:
    token: str        # shown once, never stored
    prefix: str
    secret_sha256: str


def mint_token() -> MintedToken:
    prefix = secrets.token_hex(PREFIX_CHARS // 2)
    secret = secrets.token_urlsafe(32)
    return MintedToken(token=f"{TOKEN_SCHEME}_{prefix}_{secret}", prefix=prefix, secret_sha256=sha256_hex(secret))


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def split_token(token: str) -> tuple[str, str] | None:
    """(prefix, secret) of a well-formed token, else None."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_SCHEME or len(parts[1]) != PREFIX_CHARS or not parts[2]:
        return None
    return parts[1], parts[2]


def secret_matches(secret: str, stored_sha256: str) -> bool:
    return hmac.compare_digest(sha256_hex(secret), stored_sha256)


_hasher = PasswordHasher()  # argon2id with the library's recommended parameters


def hash_password(password: str) -> str:
    if not isinstance(password, str) or not 12 <= len(password) <= 256:
        raise ValidationError("password too short or too long", field="password", value="(hidden)",
                              accepted="12 to 256 characters")
    return _hasher.hash(password)


def verify_password(password: str, stored_hash: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False
