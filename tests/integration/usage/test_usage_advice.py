"""Advice on a site's rate from hand-made busy hours (SQLite and PostgreSQL), with prices worked out by
hand from the price book: site hq, 100M down and up on fibre, Internet 100M (the whole line).

Internet tariff (catalog.prices): €20 base + €1.00 per Mbit/s up to 100M + €0.40 per Mbit/s to 1G.
  100M: 2,000 + 100 × 100 = 12,000 cents; 200M: 12,000 + 100 × 40 = 16,000; 50M: 2,000 + 50 × 100 = 7,000.
So +100M costs €40.00/month and −50M saves €50.00/month (the fibre line's price does not change).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from unilink.store.db import Store
from unilink.usage.advice import site_advice
from unilink.usecases import tenant_views
from unilink.usecases.change_plans import plan_change
from usage_samples import busy_days, deployed_store, write_rates

M = 10**6
NOW = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
START = datetime(2026, 11, 24, tzinfo=UTC)


def _advice(store: Store, down: list[int], up: list[int]):  # noqa: ANN202
    deployed_store(store)
    write_rates(store, tenant="acme", site="hq", start=START, down_bps=down, up_bps=up)
    document = tenant_views.deployed_document(store, "acme")
    return site_advice(store, document, "acme", "hq", store.load_network().pop_index(), NOW)


def test_near_its_rate_at_the_busy_hour_gets_the_next_rate_with_its_price(any_store: Store) -> None:
    # 4 of the 7 days reach 95 % at 14:00; the other 3 only 60 %
    down = [r for day in range(7) for r in busy_days(1, busy_bps=(95 if day % 2 == 0 else 60) * M, quiet_bps=20 * M)]
    advice = _advice(any_store, down, [10 * M] * len(down))
    assert advice is not None and advice.kind == "upgrade"
    # fibre is symmetric: up follows down
    assert advice.rates == {"down": (100 * M, 200 * M), "up": (100 * M, 200 * M)}
    assert advice.monthly_delta_cents == 4_000
    assert advice.summary == "+100M (down 100M → 200M, up 100M → 200M; hq-internet 100M → 200M) for +€40.00/month"
    assert advice.document["sites"][0]["access"]["down"] == "200M"
    assert advice.document["services"][0]["rate"] == "200M"          # the Internet used the whole line
    made = plan_change(any_store, "acme", advice.document, actor="test", now=NOW)
    assert made.content["price"]["monthly_delta_cents"] == 4_000      # the plan shows the same price


def test_near_on_only_two_days_is_no_advice(any_store: Store) -> None:
    down = [r for day in range(7) for r in busy_days(1, busy_bps=(95 if day < 2 else 60) * M, quiet_bps=20 * M)]
    assert _advice(any_store, down, [10 * M] * len(down)) is None


def test_never_half_its_rate_is_offered_the_cheaper_rate(any_store: Store) -> None:
    down = busy_days(7, busy_bps=40 * M, quiet_bps=5 * M)
    advice = _advice(any_store, down, [8 * M] * len(down))
    assert advice is not None and advice.kind == "downgrade"
    assert advice.rates == {"down": (100 * M, 50 * M), "up": (100 * M, 50 * M)}
    assert advice.monthly_delta_cents == -5_000
    assert advice.summary == "−50M (down 100M → 50M, up 100M → 50M; hq-internet 100M → 50M) for −€50.00/month"


def test_a_peak_at_half_is_not_offered_less(any_store: Store) -> None:
    down = busy_days(7, busy_bps=50 * M, quiet_bps=5 * M)
    assert _advice(any_store, down, [8 * M] * len(down)) is None


def test_two_days_of_samples_are_too_few(any_store: Store) -> None:
    down = busy_days(2, busy_bps=99 * M, quiet_bps=5 * M)
    deployed_store(any_store)
    write_rates(any_store, tenant="acme", site="hq", start=NOW - timedelta(days=2), down_bps=down,
                up_bps=[8 * M] * len(down))
    document = tenant_views.deployed_document(any_store, "acme")
    assert site_advice(any_store, document, "acme", "hq", any_store.load_network().pop_index(), NOW) is None
