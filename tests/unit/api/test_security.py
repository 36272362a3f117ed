"""Pure pieces of the API: tokens, passwords, roles, the rate limiter, webhook signatures, problem paths."""

from __future__ import annotations

import pytest

from unilink.access.ratelimit import TokenBucketLimiter
from unilink.access.security import (
    Role,
    hash_password,
    mint_token,
    parse_role,
    secret_matches,
    split_token,
    verify_password,
)
from unilink.api.problems import clip, loc_to_path
from unilink.errors import ValidationError
from unilink.events.signing import sign, verify


def test_minted_token_is_found_by_prefix_and_matches_only_its_own_secret() -> None:
    minted = mint_token()
    prefix, secret = split_token(minted.token)
    assert prefix == minted.prefix
    assert secret_matches(secret, minted.secret_sha256)
    assert not secret_matches(secret + "x", minted.secret_sha256)
    assert minted.token not in minted.secret_sha256 and secret not in minted.secret_sha256


def test_two_tokens_differ() -> None:
    assert mint_token().token != mint_token().token


@pytest.mark.parametrize("bad", ["", "ul_", "ul_abc_def", "xx_0123456789_secret", "Bearer", "ul_0123456789_"])
def test_malformed_tokens_are_refused(bad: str) -> None:
    assert split_token(bad) is None


def test_password_hash_is_argon2id_and_verifies() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert verify_password("correct horse battery", stored)
    assert not verify_password("correct horse batterY", stored)
    assert not verify_password("anything", "not-a-hash")


def test_short_password_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as info:
        hash_password("short")
    assert info.value.field == "password" and "12" in info.value.accepted


def test_unknown_role_lists_the_accepted_ones() -> None:
    assert parse_role("tenant-viewer") is Role.TENANT_VIEWER
    with pytest.raises(ValidationError) as info:
        parse_role("root")
    assert info.value.value == "root" and "operator-admin" in info.value.accepted


def test_token_bucket_allows_a_burst_then_refuses_until_refilled() -> None:
    now = [100.0]
    limiter = TokenBucketLimiter(rate_per_s=2, burst=3, clock=lambda: now[0])
    assert [limiter.acquire("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.acquire("a")
    assert wait == pytest.approx(0.5)
    assert limiter.acquire("b") == 0.0  # buckets are per key
    now[0] += 0.5
    assert limiter.acquire("a") == 0.0
    assert limiter.acquire("a") > 0
    assert TokenBucketLimiter.retry_after_header(0.2) == "1"


def test_signature_verifies_and_detects_tampering_and_replay() -> None:
    body = b'{"type":"change.applied"}'
    header = sign("s3cret", body, timestamp=1_700_000_000)
    assert verify("s3cret", body, header, now=1_700_000_010)
    assert not verify("s3cret", body + b" ", header, now=1_700_000_010)
    assert not verify("other", body, header, now=1_700_000_010)
    assert not verify("s3cret", body, header, now=1_700_000_000 + 3600)  # too old: a replay
    assert not verify("s3cret", body, "garbage", now=1_700_000_000)


def test_pydantic_locations_become_field_paths() -> None:
    assert loc_to_path(("body", "sites", 2, "rate_down")) == "body.sites[2].rate_down"
    assert loc_to_path(("query", "tenant")) == "query.tenant"
    assert loc_to_path(()) == "body"


def test_echoed_values_are_clipped() -> None:
    assert clip(5) == 5 and clip(None) is None
    assert len(clip("x" * 10_000)) <= 201
