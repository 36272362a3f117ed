"""A resident's pledge as it comes from the public page: checked and normalised, pure (no I/O).

One pledge per e-mail and per address in a campaign is decided on the NORMALISED forms (the store's
unique indexes hold them), so "Jean.Dupont@Example.org " and "jean.dupont@example.org" are one person,
and "12, Rue de l'Église" and "12 rue de l eglise" one home (docs/campaigns.md, "Normalisation").
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from unilink.errors import ValidationError

MAX_NAME = 200
MAX_ADDRESS = 300
MAX_EMAIL = 254  # RFC 5321's path limit
MAX_MONEY_CENTS = 100_000_000  # €1M: a typo guard, not a policy
MAX_SHARES = 100_000
# local@domain.tld: the local part in the characters providers accept unquoted, a domain of dotted labels
_EMAIL = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                    r"@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
# French street words as residents abbreviate them: the normalised address spells them out
_ABBREVIATIONS = {"r": "rue", "av": "avenue", "ave": "avenue", "bd": "boulevard", "bld": "boulevard",
                  "ch": "chemin", "che": "chemin", "imp": "impasse", "pl": "place", "rte": "route",
                  "all": "allee", "sq": "square", "st": "saint", "ste": "sainte", "fg": "faubourg",
                  "hameau": "hameau", "ham": "hameau", "lot": "lotissement", "res": "residence"}


@dataclass(frozen=True, slots=True)
class PledgeInput:
    name: str
    email: str  # normalised
    address: str  # as typed (stripped)
    address_key: str  # normalised: what "one pledge per address" compares
    lat: float
    lon: float
    plan: str
    deposit_cents: int
    shares: int
    voucher_cents: int


def normalise_email(raw: object) -> str:
    """Stripped and lower-cased (Unicode NFKC first); a malformed address is a ValidationError.

    Nothing else is removed: "+tags" and dots in the local part name other mailboxes at many
    providers, so "a.b+coop@x.org" and "ab@x.org" stay two e-mails.
    """
    if not isinstance(raw, str):
        raise ValidationError("an e-mail address is text", field="email", value=str(raw)[:80])
    email = unicodedata.normalize("NFKC", raw).strip().lower()
    if len(email) > MAX_EMAIL or not _EMAIL.match(email):
        raise ValidationError("not an e-mail address", field="email", value=raw[:80], accepted="name@example.org")
    return email


def normalise_address(raw: str) -> str:
    """The key two spellings of one address share: no accents, case, punctuation or repeated spaces,
    common abbreviations spelt out ("12, Av. de l'Église" → "12 avenue de l eglise")."""
    plain = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", " ", plain).split()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


def mask_email(email: str) -> str:
    """"jean.dupont@example.org" → "j***@example.org": enough for the resident to recognise it."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def token_hash(token: str) -> str:
    """What the store keeps of a link's token: its SHA-256 (a leaked table confirms nothing)."""
    return hashlib.sha256(token.encode()).hexdigest()


def parse_pledge(body: dict[str, Any], plans: set[str]) -> PledgeInput:
    """Check a pledge's fields; ValidationError naming the first wrong one."""
    if not isinstance(body, dict):
        raise ValidationError("a pledge is an object", field="body", value=str(body)[:80])
    name = _text(body.get("name"), "name", MAX_NAME)
    email = normalise_email(body.get("email"))
    address = _text(body.get("address"), "address", MAX_ADDRESS)
    address_key = normalise_address(address)
    if not address_key:
        raise ValidationError("the address has no letters or digits", field="address", value=address)
    lat, lon = _coordinate(body.get("lat"), "lat", 90), _coordinate(body.get("lon"), "lon", 180)
    plan = body.get("plan")
    if plan not in plans:
        raise ValidationError("unknown plan", field="plan", value=str(plan), accepted=", ".join(sorted(plans)))
    return PledgeInput(name=name, email=email, address=address, address_key=address_key, lat=lat, lon=lon,
                       plan=str(plan), deposit_cents=money(body.get("deposit_cents", 0), "deposit_cents"),
                       shares=count(body.get("shares", 0), "shares", MAX_SHARES),
                       voucher_cents=money(body.get("voucher_cents", 0), "voucher_cents"))


def money(raw: object, field: str) -> int:
    """An amount in euro cents: an int from 0 (no floats: cents are counted, not measured)."""
    return count(raw, field, MAX_MONEY_CENTS, unit="euro cents")


def count(raw: object, field: str, maximum: int, *, unit: str = "") -> int:
    if raw is None:
        return 0
    if not isinstance(raw, int) or isinstance(raw, bool) or not 0 <= raw <= maximum:
        accepted = f"an integer from 0 to {maximum}" + (f" ({unit})" if unit else "")
        raise ValidationError("must be a whole number, not negative", field=field, value=str(raw)[:40],
                              accepted=accepted)
    return raw


def _text(raw: object, field: str, maximum: int) -> str:
    if not isinstance(raw, str) or not raw.strip() or len(raw.strip()) > maximum:
        raise ValidationError(f"must be 1-{maximum} characters", field=field, value=str(raw)[:80])
    if any(unicodedata.category(c) == "Cc" for c in raw.strip()):
        raise ValidationError("must not hold control characters", field=field, value=raw[:80])
    return " ".join(raw.split())


def _coordinate(raw: object, field: str, limit: int) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw) or abs(raw) > limit:
        raise ValidationError("not a coordinate", field=field, value=str(raw)[:40],
                              accepted=f"degrees from -{limit} to {limit} (WGS 84)")
    return float(raw)
